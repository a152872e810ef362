#include "simulator/world/control_mirror.h"

#include <algorithm>

#include "reference/common/time_format.h"
#include "simulator/check/world_changes.h"

namespace outpost::sim::world {

using nlohmann::json;

namespace {
std::vector<std::string> path_segments(const std::string& path) {
  std::vector<std::string> out;
  size_t start = 0;
  for (;;) {
    const size_t slash = path.find('/', start);
    out.push_back(path.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) return out;
    start = slash + 1;
  }
}

std::vector<std::string> strings_at(const json& body, const char* key) {
  std::vector<std::string> out;
  if (!body.is_object() || !body.contains(key) || !body[key].is_array()) return out;
  for (const json& item : body[key])
    if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

std::optional<std::string> string_at(const json& body, const char* key) {
  if (!body.is_object() || !body.contains(key) || !body[key].is_string()) return std::nullopt;
  return body[key].get<std::string>();
}

std::optional<check::TokenStatus> status_at(const json& body) {
  const auto status = string_at(body, "status");
  if (!status) return std::nullopt;
  return *status == "disabled" ? check::TokenStatus::Disabled : check::TokenStatus::Enabled;
}

int slot_of(std::string_view password_name) { return password_name == "password2" ? 1 : 0; }
}  // namespace

ControlMirror::ControlMirror(WallTime start, const std::string& cloud_login_server,
                             const std::string& cloud_data_endpoint, const std::string& admin_password,
                             Nanoseconds window)
    : window_(window),
      world_([&] {
        check::World world;
        world.cloud_login_server = cloud_login_server;
        world.cloud_data_endpoint = cloud_data_endpoint;
        return world;
      }()),
      history_(world_, start),
      labels_{"the cloud as it starts"} {
  book_.remember_admin_password(admin_password);
}

bool ControlMirror::close_window(WallTime now) {
  if (!gathering_ || now <= *gathering_ + window_) return false;
  flush();
  return true;
}

void ControlMirror::flush() {
  if (!gathering_) return;
  history_.record(world_, *gathering_);
  labels_.push_back(gathered_ == 1 ? gathered_label_
                                   : std::to_string(gathered_) + " changes from " + gathered_label_);
  gathering_.reset();
  gathered_ = 0;
}

void ControlMirror::apply(const ManagementEvent& call, WallTime applied) {
  if (call.method == http::Method::Get || call.method == http::Method::Head) return;
  if (call.status >= 300) return;  // refused: the cloud changed nothing
  close_window(applied);  // what was gathered before this change's window is a version of its own
  // The path as the operator sent it may carry a query (`connectedRegistries/x?cleanup=true`): the segments are the
  // path's (the query was read as part of the name, and the delete missed the mirror).
  const std::vector<std::string> segments = path_segments(call.path.substr(0, call.path.find('?')));
  bool modelled = false;
  try {
    if (segments[0] == "scopeMaps" && segments.size() == 2) {
      modelled = apply_scope_map(call, segments[1]);
    } else if (segments[0] == "tokens") {
      modelled = apply_token(call, segments, applied);
    } else if (segments[0] == "connectedRegistries") {
      modelled = apply_connected_registry(call, segments, applied);
    }
  } catch (const std::exception& error) {  // a change of something the model does not hold
    unmodelled_.push_back(std::string(http::method_name(call.method)) + " " + call.path + ": " + error.what());
    return;
  }
  if (!modelled) {
    unmodelled_.push_back(std::string(http::method_name(call.method)) + " " + call.path);
    return;
  }
  if (window_ <= Nanoseconds(0)) {
    history_.record(world_, applied);
    labels_.push_back(label_of(call));
    return;
  }
  // A gathered version is labelled by its first change only: the others' bodies are not dumped for nothing (a
  // World of thousands of nodes is built by tens of thousands of calls).
  if (!gathering_) {
    gathering_ = applied;
    gathered_label_ = label_of(call);
  }
  ++gathered_;
}

std::string ControlMirror::label_of(const ManagementEvent& call) {
  std::string label = std::string(http::method_name(call.method)) + " " + call.path;
  if (call.request.is_object() && !call.request.empty()) {
    const std::string body = call.request.dump();
    if (body.size() <= 120) label += " " + body;
  }
  return label;
}

bool ControlMirror::apply_scope_map(const ManagementEvent& call, const std::string& name) {
  switch (call.method) {
    case http::Method::Put: check::set_scope_map(world_, name, strings_at(call.request, "actions")); return true;
    case http::Method::Patch: {
      std::vector<std::string> actions;
      if (const auto* current = world_.scope_map_actions(name)) actions = *current;
      if (call.request.is_object() && call.request.contains("actions")) actions = strings_at(call.request, "actions");
      for (const std::string& added : strings_at(call.request, "addActions"))
        if (std::find(actions.begin(), actions.end(), added) == actions.end()) actions.push_back(added);
      const std::vector<std::string> removed = strings_at(call.request, "removeActions");
      std::erase_if(actions, [&removed](const std::string& action) {
        return std::find(removed.begin(), removed.end(), action) != removed.end();
      });
      check::set_scope_map(world_, name, std::move(actions));
      return true;
    }
    case http::Method::Delete: world_.scope_maps.erase(name); return true;
    default: return false;
  }
}

bool ControlMirror::apply_token(const ManagementEvent& call, const std::vector<std::string>& segments,
                                WallTime applied) {
  if (segments.size() == 3 && segments[2] == "generateCredentials" && call.method == http::Method::Post) {
    const std::string& name = segments[1];
    const auto only = string_at(call.request, "name");
    std::optional<WallTime> expiry;
    if (const auto text = string_at(call.request, "expiry")) expiry = parse_rfc3339(*text);
    for (const int slot : {0, 1}) {
      if (only && slot_of(*only) != slot) continue;  // rotation: the other password keeps working
      check::regenerate_password(world_, name, slot, applied, expiry);
    }
    remember_passwords(name, call.answer);
    return true;
  }
  if (segments.size() != 2) return false;
  const std::string& name = segments[1];
  switch (call.method) {
    case http::Method::Put: {
      const auto scope_map = string_at(call.request, "scopeMap").value_or("");
      // As the control plane's put_token: the status given, else enabled, whether it creates or replaces.
      const check::TokenStatus status = status_at(call.request).value_or(check::TokenStatus::Enabled);
      if (const auto found = world_.tokens.find(name); found != world_.tokens.end()) {
        // A repeated create changes the map and status only; the passwords stay (SPEC 7.2).
        found->second.scope_map = scope_map;
        found->second.status = status;
        return true;
      }
      check::create_token(world_, name, scope_map, applied);
      check::set_token_status(world_, name, status);
      // The passwords it is created with: none (noPasswords), or both with the request's expiry (SPEC 3.3: a past
      // one is accepted, and means already expired).
      check::Token& token = world_.tokens.find(name)->second;
      const bool none = call.request.is_object() && call.request.value("noPasswords", false);
      std::optional<WallTime> expiry;
      if (const auto text = string_at(call.request, "expiry")) expiry = parse_rfc3339(*text);
      for (check::PasswordSlot& password : token.passwords) {
        if (none) password.present = false;
        password.expiry = expiry;
      }
      remember_passwords(name, call.answer);
      return true;
    }
    case http::Method::Patch: {
      if (const auto status = status_at(call.request)) check::set_token_status(world_, name, *status);
      if (const auto scope_map = string_at(call.request, "scopeMap")) {
        const auto found = world_.tokens.find(name);
        if (found == world_.tokens.end()) throw std::invalid_argument("no token " + name + " in the world");
        found->second.scope_map = *scope_map;
      }
      return true;
    }
    case http::Method::Delete: world_.tokens.erase(name); return true;
    default: return false;
  }
}

bool ControlMirror::apply_connected_registry(const ManagementEvent& call, const std::vector<std::string>& segments,
                                             WallTime applied) {
  if (segments.size() < 2) return false;
  const std::string& name = segments[1];
  if (segments.size() == 2 && call.method == http::Method::Put && !world_.connected_registry(name)) {
    check::ConnectedRegistry cr;
    cr.name = name;
    cr.mode = string_at(call.request, "mode") == "ReadOnly" ? check::Mode::ReadOnly : check::Mode::ReadWrite;
    cr.parent = string_at(call.request, "parent").value_or("");
    cr.repositories = strings_at(call.request, "repositories");
    cr.client_tokens = strings_at(call.request, "clientTokens");
    cr.login_server = name + ":5000";  // where the world's host of that name listens
    check::create_connected_registry(world_, std::move(cr), applied);
    book_.trust(check::sync_token_name(name), world_);  // its agent presents the password of its connection string
    return true;
  }
  if (segments.size() == 2 && (call.method == http::Method::Patch || call.method == http::Method::Put)) {
    // An update (PATCH, or PUT of an existing CR): its client tokens and repositories are what the oracle models;
    // mode and parent are immutable (the cloud refuses a change, and a refusal changes nothing); the schedule,
    // notifications, logging and gc decide nothing about access.
    const check::ConnectedRegistry* cr = world_.connected_registry(name);
    if (!cr) return false;
    if (call.request.is_object() && call.request.contains("clientTokens"))
      check::set_client_tokens(world_, name, strings_at(call.request, "clientTokens"));
    if (call.request.is_object() && call.request.contains("repositories")) {
      const std::vector<std::string> wanted = strings_at(call.request, "repositories");
      std::vector<std::string> removed;
      for (const std::string& repository : cr->repositories)
        if (std::find(wanted.begin(), wanted.end(), repository) == wanted.end()) removed.push_back(repository);
      check::remove_repositories(world_, name, removed);
      check::add_repositories(world_, name, wanted);
    }
    return true;
  }
  if (segments.size() == 2 && call.method == http::Method::Delete) {
    // The query (?cleanup=true) is part of the path the operator sent.
    const size_t query = call.path.find('?');
    const bool cleanup = query != std::string::npos &&
                         ("&" + call.path.substr(query + 1) + "&").find("&cleanup=true&") != std::string::npos;
    check::delete_connected_registry(world_, name, cleanup);
    return true;
  }
  if (segments.size() == 3 && call.method == http::Method::Post) {
    const std::string& action = segments[2];
    if (action == "permissions") {
      check::remove_repositories(world_, name, strings_at(call.request, "remove"));
      check::add_repositories(world_, name, strings_at(call.request, "add"));
      return true;
    }
    if (action == "connectionString") {
      // SPEC 7.3: with a `password`, that password of the sync token is regenerated (the string carries the new one,
      // and so does `syncToken`); the agent keeps presenting the old one until it is given the new string.
      const check::ConnectedRegistry* cr = world_.connected_registry(name);
      if (const auto which = string_at(call.request, "password"); which && cr) {
        const std::string token = cr->sync_token;
        check::regenerate_password(world_, token, slot_of(*which), applied, std::nullopt);
        if (call.answer.is_object() && call.answer.contains("syncToken"))
          remember_passwords(token, call.answer["syncToken"]);
      }
      return true;
    }
    if (action == "deactivate" || action == "resync") return true;  // nothing the oracle models changes
  }
  return false;
}

void ControlMirror::remember_passwords(const std::string& token, const json& answer) {
  const check::Token* model = world_.token(token);
  if (!model || !answer.is_object() || !answer.contains("passwords") || !answer["passwords"].is_array()) return;
  for (const json& password : answer["passwords"]) {
    const auto name = string_at(password, "name");
    const auto value = string_at(password, "value");
    if (!name || !value) continue;
    const int slot = slot_of(*name);
    book_.remember_password(token, *value, {slot, model->passwords[static_cast<size_t>(slot)].serial});
  }
}

}  // namespace outpost::sim::world
