#include "simulator/world/operator.h"

#include <algorithm>

namespace outpost::sim::world {

using nlohmann::json;

Operator::Operator(http::HttpClient& client, StopSignal& stop, std::string cloud_authority, Credentials admin)
    : client_(client), stop_(stop), cloud_(std::move(cloud_authority)), admin_(std::move(admin)) {}

const Credentials& Operator::credentials(const std::string& token) const {
  const auto it = passwords_.find(token);
  if (it == passwords_.end()) throw OperatorError("the operator holds no password of token " + token);
  return it->second;
}

Task<json> Operator::call(http::Method method, std::string path, json body) {
  const std::string text = body.is_null() ? std::string() : body.dump();
  http::ClientResult result =
      co_await exchange(stop_, client_, make_request(method, cloud_, "/mgmt/v1/" + path, admin_, text));
  json answer;
  if (result.ok() && !result.response->body.empty()) {
    answer = json::parse(result.response->body, nullptr, false);
    if (answer.is_discarded()) answer = nullptr;
  }
  if (on_call) on_call(method, path, body, result, answer);
  if (!result.ok()) throw OperatorError("management " + path + ": " + result.transport_error);
  if (result.response->status >= 300)
    throw OperatorError("management " + std::string(http::method_name(method)) + " " + path + ": " +
                        std::to_string(result.response->status) + " " + result.response->body);
  if (answer.is_null() && !result.response->body.empty())
    co_return json::parse(result.response->body);  // not JSON: throws, as a parse here always did
  co_return answer;
}

Task<void> Operator::create_client_token(cli::ClientTokenSpec token, std::string description) {
  if (token.create_scope_map) {
    json map = json::object();
    map["actions"] = token.actions;
    map["description"] = description;
    co_await call(http::Method::Put, "scopeMaps/" + token.scope_map, std::move(map));
  }
  json body = json::object();
  body["scopeMap"] = token.scope_map;
  const json created = co_await call(http::Method::Put, "tokens/" + token.name, std::move(body));
  for (const auto& password : created.value("passwords", json::array()))
    if (password.value("name", "") == "password1" && password.contains("value"))
      passwords_[token.name] = {token.name, password["value"].get<std::string>()};
  if (!passwords_.contains(token.name)) throw OperatorError("token " + token.name + " was created without password1");
}

Task<void> Operator::create_reader_token(std::string name) {
  cli::ClientTokenSpec token;
  token.name = name;
  token.scope_map = name + "-map";
  // Every repository, not the node's: a node reads only what it syncs anyway (SPEC 4.3: 404 for the rest), and its
  // scope can grow during a run (permissions, a PATCH of repositories), which a reader of the topology's
  // repositories never saw: the convergence check found repositories added later missing.
  for (const char* verb : {"content/read", "metadata/read"})
    token.actions.push_back(std::string("repositories/*/") + verb);
  co_await create_client_token(std::move(token), "the simulator's reader: convergence checks");
}

Task<std::string> Operator::create_connected_registry(cli::NodeSpec node, std::vector<std::string> client_tokens,
                                                      std::string parent_login_server) {
  json body = json::object();
  body["mode"] = node.mode;
  body["parent"] = node.parent ? json(*node.parent) : json(nullptr);
  body["repositories"] = node.repositories;
  body["clientTokens"] = client_tokens;
  for (const auto& [key, value] : node.settings.items()) body[key] = value;
  const json created = co_await call(http::Method::Put, "connectedRegistries/" + node.name, std::move(body));
  std::string connection = created.value("connectionString", "");
  const std::string placeholder = "<parent-endpoint>";
  if (const size_t at = connection.find(placeholder); at != std::string::npos)
    connection.replace(at, placeholder.size(), parent_login_server);
  if (connection.empty()) throw OperatorError("connected registry " + node.name + " came without a connection string");
  co_return connection;
}

Task<void> Operator::change_token(TokenChange change) {
  if (change.status) {
    json body = json::object();
    body["status"] = *change.status;
    co_await call(http::Method::Patch, "tokens/" + change.token, std::move(body));
  }
  if (change.regenerate) {
    json body = json::object();
    body["name"] = *change.regenerate;
    const json answer = co_await call(http::Method::Post, "tokens/" + change.token + "/generateCredentials",
                                      std::move(body));
    // The world's clients use password1: they learn a new one, and keep theirs when password2 changes.
    for (const auto& password : answer.value("passwords", json::array()))
      if (password.value("name", "") == "password1" && password.contains("value"))
        passwords_[change.token] = {change.token, password["value"].get<std::string>()};
  }
}

Task<void> Operator::change_scope_map(ScopeMapChange change) {
  std::vector<std::string> actions;
  if (change.actions) {
    actions = *change.actions;
  } else {
    const json current = co_await call(http::Method::Get, "scopeMaps/" + change.scope_map, nullptr);
    for (const auto& action : current.value("actions", json::array())) actions.push_back(action.get<std::string>());
    for (const std::string& added : change.add)
      if (std::find(actions.begin(), actions.end(), added) == actions.end()) actions.push_back(added);
    std::erase_if(actions, [&change](const std::string& action) {
      return std::find(change.remove.begin(), change.remove.end(), action) != change.remove.end();
    });
  }
  json body = json::object();
  body["actions"] = actions;
  co_await call(http::Method::Patch, "scopeMaps/" + change.scope_map, std::move(body));
}

}  // namespace outpost::sim::world
