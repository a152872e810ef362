#pragma once
// A hierarchy of real nodes (tests/unit/sync/hierarchy_world.h) whose every access decision is recorded through the
// decision observer seam, with the simulator's side of it: the World it believes the cloud holds (mirrored with
// world_changes.h as it makes management calls), the passwords it was handed (a CredentialBook), the history of
// World versions and a violation log.
#include <set>
#include <string>
#include <vector>

#include "reference/auth/base64.h"
#include "simulator/check/credential.h"
#include "simulator/check/decision_observation.h"
#include "simulator/check/violation.h"
#include "simulator/check/world_changes.h"
#include "simulator/check/world_history.h"
#include "tests/unit/sync/hierarchy_world.h"

namespace outpost::check::testing {

using test::HierarchyWorld;

// "repositories/<pattern>/<action>" for every pattern and action.
inline std::vector<std::string> repository_actions(const std::vector<std::string>& patterns,
                                                   const std::vector<std::string>& actions) {
  std::vector<std::string> out;
  for (const std::string& pattern : patterns)
    for (const std::string& action : actions) out.push_back("repositories/" + pattern + "/" + action);
  return out;
}
inline const std::vector<std::string> kAllActions = {"content/read", "content/write", "content/delete", "metadata/read",
                                                     "metadata/write"};
inline const std::vector<std::string> kReadActions = {"content/read", "metadata/read"};

class CheckedHierarchy {
 public:
  CheckedHierarchy()
      : world_([this](node::NodeOptions& options) { options.decision_observer = observer(); }),
        model_(empty_cloud()),
        history_(model_, world_.clock().now()),
        log_(42, [this] { return last_events(); }) {
    book_.remember_admin_password(HierarchyWorld::kAdminPassword);
  }

  HierarchyWorld& world() { return world_; }
  World& model() { return model_; }
  CredentialBook& book() { return book_; }
  ViolationLog& log() { return log_; }
  WorldHistory& history() { return history_; }
  WallTime now() { return world_.clock().now(); }
  const std::vector<ObservedDecision>& decisions() const { return decisions_; }

  // The model changed as the cloud did: a new version of the World from now.
  void commit() { history_.record(model_, now()); }

  // A token made at the cloud through the management API, mirrored in the model and the book.
  void create_token(const std::string& name, const std::string& scope_map) {
    const auto created = world_.manage(http::Method::Put, "tokens/" + name, {{"scopeMap", scope_map}});
    check::create_token(model_, name, scope_map, now());
    remember_passwords(name, created.at("passwords"));
    commit();
  }

  void create_scope_map(const std::string& name, const std::vector<std::string>& actions) {
    world_.manage(http::Method::Put, "scopeMaps/" + name, {{"actions", actions}});
    set_scope_map(model_, name, actions);
    commit();
  }

  // A CR and its node (HierarchyWorld::add_connected_registry: a client token `<name>-client` with `client_actions`).
  std::pair<std::string, std::string> add_connected_registry(const std::string& name, Mode mode,
                                                             const std::string& parent,
                                                             const std::vector<std::string>& repositories,
                                                             const std::vector<std::string>& client_actions) {
    world_.tweak_next_node = [this](node::NodeOptions& options) { options.decision_observer = observer(); };
    const nlohmann::json resource = {{"mode", mode == Mode::ReadOnly ? "ReadOnly" : "ReadWrite"},
                                     {"parent", parent.empty() ? nlohmann::json(nullptr) : nlohmann::json(parent)},
                                     {"repositories", repositories}};
    const auto client = world_.add_connected_registry(name, resource, client_actions);
    set_scope_map(model_, name + "-clients", client_actions);
    check::create_token(model_, client.first, name + "-clients", now());
    create_connected_registry(model_, {name, mode, parent, repositories, {client.first}, "", name + ":5000"}, now());
    book_.remember_password(client.first, client.second, {0, model_.token(client.first)->passwords[0].serial});
    book_.trust(sync_token_name(name), model_);  // the agent presents the password of its connection string
    commit();
    return client;
  }

  // One exchange from client `from`, run to completion in virtual time.
  http::ClientResponse exchange(const std::string& authority, http::Method method, const std::string& target,
                                const std::string& authorization, const std::string& from = "operator") {
    http::ClientRequest request;
    request.method = method;
    request.authority = authority;
    request.target = target;
    if (!authorization.empty()) request.headers.set("Authorization", authorization);
    if (method == http::Method::Post || method == http::Method::Put) {
      request.headers.set("Content-Type", "application/octet-stream");
      request.body = std::make_unique<http::StringBody>("");
    }
    std::optional<http::ClientResult> result;
    world_.network().client(from).send(std::move(request), nullptr,
                                       [&result](http::ClientResult r) { result = std::move(r); });
    for (int i = 0; i < 1'000'000 && !result; ++i)
      if (!world_.loop().run_one()) break;
    if (!result || !result->ok()) throw std::runtime_error("no answer from " + authority + target);
    return std::move(*result->response);
  }

 private:
  registry::DecisionObserver observer() {
    return [this](const registry::DecisionRecord& record) {
      decisions_.push_back(observed_decision(record, world_.clock().now()));
    };
  }

  static World empty_cloud() {
    World world;
    world.cloud_login_server = "cloud:5000";  // as HierarchyWorld names them
    world.cloud_data_endpoint = "cloud:5001";
    return world;
  }

  std::vector<std::string> last_events() const {
    std::vector<std::string> out;
    for (size_t i = decisions_.size() > 5 ? decisions_.size() - 5 : 0; i < decisions_.size(); ++i)
      out.push_back(describe(decisions_[i]) + " -> " + describe(decisions_[i].outcome));
    return out;
  }

  void remember_passwords(const std::string& token, const nlohmann::json& passwords) {
    for (const auto& password : passwords) {
      const int slot = password.at("name") == "password1" ? 0 : 1;
      book_.remember_password(token, password.at("value").get<std::string>(),
                              {slot, model_.token(token)->passwords[static_cast<size_t>(slot)].serial});
    }
  }

  std::vector<ObservedDecision> decisions_;  // before world_: its nodes report into it
  HierarchyWorld world_;
  World model_;
  CredentialBook book_;
  WorldHistory history_;
  ViolationLog log_;
};

inline std::string basic(const std::string& name, const std::string& password) {
  return "Basic " + auth::base64_encode(name + ":" + password);
}

}  // namespace outpost::check::testing
