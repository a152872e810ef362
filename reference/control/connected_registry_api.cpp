// Connected-registry operations of the management API (SPEC 2, 4.4, 7.2, 7.3): the resources, their sync scope maps
// and tokens, and the tree rules between them.
#include <algorithm>
#include <set>
#include <string_view>
#include <unordered_set>

#include "reference/auth/names.h"
#include "reference/common/ascii.h"
#include "reference/common/iso_duration.h"
#include "reference/common/time_format.h"
#include "reference/control/api_json.h"
#include "reference/control/body_fields.h"
#include "reference/control/connected_registry_config.h"
#include "reference/control/connected_registry_settings.h"
#include "reference/control/connection_string.h"
#include "reference/control/control_errors.h"
#include "reference/control/control_plane_impl.h"

namespace outpost::control {

namespace {
using auth::PasswordName;
using auth::RegistryMode;

std::string names_list(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + in_quotes(name);
  return out;
}

// Names in paths are case-insensitive (SPEC 2.1: stored lowercased).
std::string lookup_name(std::string_view name) { return ascii_lowercase(name); }

std::string describe(const ConnectedRegistry& cr) {
  return in_quotes(cr.name) + " (" + std::string(to_string(cr.mode)) + ")";
}

// Adds what is missing and keeps the list sorted, so a sync scope map reads the same whatever order it grew in.
// A list that is sorted already (every sync map the control plane made) takes each new action at its place: an
// ancestor's map holds every descendant's actions, and sorting it whole at each descendant's creation was most of
// building a wide tree.
void add_sorted(std::vector<std::string>& actions, const std::vector<std::string>& more) {
  if (std::is_sorted(actions.begin(), actions.end())) {
    for (const std::string& action : more) {
      const auto at = std::lower_bound(actions.begin(), actions.end(), action);
      if (at == actions.end() || *at != action) actions.insert(at, action);
    }
    return;
  }
  for (const std::string& action : more)
    if (std::find(actions.begin(), actions.end(), action) == actions.end()) actions.push_back(action);
  std::sort(actions.begin(), actions.end());
}

std::vector<std::string> difference(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  std::vector<std::string> out;
  for (const std::string& value : a)
    if (std::find(b.begin(), b.end(), value) == b.end()) out.push_back(value);
  return out;
}

// The edits one operation makes, collected on copies of the records it touches, then persisted (before anything is
// published, in an order whose every prefix is harmless after a crash: records that name others are written after
// them and erased before them) and applied to a draft snapshot.
class Change {
 public:
  explicit Change(const Snapshot& base) : base_(base) {}

  const Snapshot& base() const { return base_; }

  ConnectedRegistry& registry(const std::string& name) {
    if (auto it = registries_.find(name); it != registries_.end()) return it->second;
    return registries_.emplace(name, existing_registry_or_404(base_, name)).first->second;
  }
  void put_registry(const ConnectedRegistry& cr) { registries_.insert_or_assign(cr.name, cr); }
  void erase_registry(const std::string& name) { erased_registries_.push_back(name); }

  // A CR's sync scope map, to edit in any way, or null when it is missing (only a damaged store lacks one).
  auth::ScopeMap* sync_map(const std::string& cr) {
    auth::ScopeMap* map = edited_sync_map(cr);
    if (map) reshaped_.insert(map->name);
    return map;
  }
  // Adds `actions` to a CR's sync map, keeping it sorted. Remembers which were new, so that the draft's compiled
  // permissions grow by those alone (an ancestor's map lists every descendant's actions: comparing the old and new
  // lists whole at each descendant's creation is work that grows with the tree).
  void grow_sync_map(const std::string& cr, const std::vector<std::string>& actions) {
    const std::string name = auth::sync_scope_map_name(cr);
    if (!maps_.contains(name) && std::is_sorted(actions.begin(), actions.end()) &&
        std::adjacent_find(actions.begin(), actions.end()) == actions.end()) {
      // First edit of this map in the change: the copy is built merged, at its final size. Copying the list and then
      // inserting into it reallocated and moved it all once more, and an ancestor's map lists every descendant's
      // actions (a region's grows at each of its 420 descendants' creation).
      const auto found = base_.scope_maps.find(name);
      if (found == base_.scope_maps.end()) return;
      const auth::ScopeMap& old = found->second;
      if (std::is_sorted(old.actions.begin(), old.actions.end())) {
        auth::ScopeMap grown;
        grown.name = old.name;
        grown.description = old.description;
        grown.type = old.type;
        grown.actions.reserve(old.actions.size() + actions.size());
        std::vector<std::string>& added = grown_[name];
        auto next = old.actions.begin();
        for (const std::string& action : actions) {
          const auto at = std::lower_bound(next, old.actions.end(), action);
          grown.actions.insert(grown.actions.end(), next, at);
          next = at;
          if (at != old.actions.end() && *at == action) continue;
          grown.actions.push_back(action);
          added.push_back(action);
        }
        grown.actions.insert(grown.actions.end(), next, old.actions.end());
        maps_.emplace(name, std::move(grown));
        return;
      }
    }
    auth::ScopeMap* map = edited_sync_map(cr);
    if (!map) return;
    if (!std::is_sorted(map->actions.begin(), map->actions.end())) {  // a damaged store's: compiled anew
      add_sorted(map->actions, actions);
      reshaped_.insert(map->name);
      return;
    }
    std::vector<std::string>& added = grown_[map->name];
    for (const std::string& action : actions) {
      const auto at = std::lower_bound(map->actions.begin(), map->actions.end(), action);
      if (at != map->actions.end() && *at == action) continue;
      map->actions.insert(at, action);
      added.push_back(action);
    }
  }
  void put_map(const auth::ScopeMap& map) {
    maps_.insert_or_assign(map.name, map);
    reshaped_.insert(map.name);
  }
  void erase_map(const std::string& name) { erased_maps_.push_back(name); }

  void put_token(const auth::Token& token) { tokens_.insert_or_assign(token.name, token); }
  void erase_token(const std::string& name) { erased_tokens_.push_back(name); }
  // Tokens that joined or left a client list: new generations, so a CR that accepted one before does not honour its
  // old refresh tokens when it is accepted again (see own_config's "generation").
  void regenerate(const std::string& token) { regenerated_.insert(token); }
  // SPEC 2.10: a sync token kept when its CR is deleted without cleanup (Snapshot::retired_sync_tokens).
  void retire(const std::string& token) { retired_.insert(token); }

  // Repository actions of CR `name`'s sync map changed: its `repositories` follow (ConnectedRegistry::repositories).
  // A record this change has not taken yet is left out when its list stays as it is: a new CR's ancestors mostly
  // relay its repositories already, and rewriting each unchanged ancestor's record copied its chunk of the snapshot's
  // records once more per creation.
  void refresh_repositories(const std::string& name) {
    const auth::ScopeMap* map = edited_sync_map(name);
    if (!map) return;
    std::vector<std::string> repositories = repositories_of(map->actions);
    if (!registries_.contains(name) && existing_registry_or_404(base_, name).repositories == repositories) return;
    registry(name).repositories = std::move(repositories);
  }

  bool empty() const {
    return registries_.empty() && erased_registries_.empty() && maps_.empty() && erased_maps_.empty() &&
           tokens_.empty() && erased_tokens_.empty() && regenerated_.empty() && retired_.empty();
  }

  void persist(ControlStore& store) const {
    // A retirement is written first, while its CR still exists, so that no crash leaves the token without its CR
    // and unmarked (enabled again, it would then be accepted); a mark on a token that still has its CR is dropped when
    // the store is loaded. The snapshot then published holds the same set.
    if (!retired_.empty()) {
      std::set<std::string, std::less<>> retired = base_.retired_sync_tokens;
      retired.insert(retired_.begin(), retired_.end());
      ControlPlane::Impl::save_retired_sync_tokens(store, retired);
    }
    for (const std::string& name : erased_registries_) store.erase_connected_registry(name);
    for (const std::string& name : erased_tokens_) store.erase_token(name);
    // A token retired and erased (a cleanup delete) was marked only for a stop before its erase: that done, the mark
    // goes, so that a token made later under that name is an ordinary one. (After a stop here, load() drops it.)
    std::set<std::string, std::less<>> still_retired = base_.retired_sync_tokens;
    bool erased_a_retired = false;
    for (const std::string& name : retired_) {
      if (std::find(erased_tokens_.begin(), erased_tokens_.end(), name) != erased_tokens_.end())
        erased_a_retired = true;
      else
        still_retired.insert(name);
    }
    if (erased_a_retired) ControlPlane::Impl::save_retired_sync_tokens(store, still_retired);
    for (const std::string& name : erased_maps_) store.erase_scope_map(name);
    for (const auto& [name, map] : maps_) store.put_scope_map(map);
    for (const auto& [name, token] : tokens_) store.put_token(token);
    for (const auto& [name, cr] : registries_) store.put_connected_registry(cr);
  }

  // Last: the edited records move into the draft (an ancestor's sync map holds every descendant's actions, and
  // copying it once more per new descendant was a good part of building a wide tree).
  void apply(Snapshot& next) && {
    for (const std::string& name : erased_registries_) ControlPlane::Impl::erase_connected_registry(next, name);
    for (const std::string& name : erased_tokens_) ControlPlane::Impl::erase_token(next, name);
    for (const std::string& name : erased_maps_) ControlPlane::Impl::erase_scope_map(next, name);
    for (auto& [name, map] : maps_) {
      const auto grown = grown_.find(name);
      const bool only_grew = grown != grown_.end() && !reshaped_.contains(name);
      if (only_grew) std::sort(grown->second.begin(), grown->second.end());  // as comparing the lists would give them
      ControlPlane::Impl::set_scope_map(next, std::move(map), only_grew ? &grown->second : nullptr);
    }
    for (const auto& [name, token] : tokens_) ControlPlane::Impl::set_token(next, token);
    for (const auto& [name, cr] : registries_) ControlPlane::Impl::set_connected_registry(next, cr);
    for (const std::string& name : regenerated_)
      if (next.tokens.contains(name)) next.generations.insert_or_assign(name, ControlPlane::Impl::next_generation(next));
    for (const std::string& name : retired_)
      if (next.tokens.contains(name)) ControlPlane::Impl::retire_sync_token(next, name);
  }

 private:
  auth::ScopeMap* edited_sync_map(const std::string& cr) {
    const std::string name = auth::sync_scope_map_name(cr);
    if (auto it = maps_.find(name); it != maps_.end()) return &it->second;
    const auto found = base_.scope_maps.find(name);
    if (found == base_.scope_maps.end()) return nullptr;
    return &maps_.emplace(name, found->second).first->second;
  }

  const Snapshot& base_;
  std::map<std::string, ConnectedRegistry> registries_;
  std::vector<std::string> erased_registries_;
  std::map<std::string, auth::ScopeMap> maps_;
  std::map<std::string, std::vector<std::string>> grown_;  // map -> the actions grow_sync_map added
  std::set<std::string> reshaped_;  // maps edited otherwise (or replaced): their permissions are compiled anew
  std::vector<std::string> erased_maps_;
  std::map<std::string, auth::Token> tokens_;
  std::vector<std::string> erased_tokens_;
  std::set<std::string> regenerated_;
  std::set<std::string> retired_;
};

// SPEC 2.5 add: `repositories` with `cr`'s mode actions into its sync map and every ancestor's.
void add_repositories(Change& change, const ConnectedRegistry& cr, const std::vector<std::string>& repositories) {
  if (repositories.empty()) return;
  std::vector<std::string> actions;
  for (const std::string& repository : repositories) add_sorted(actions, sync_repository_actions(cr.mode, repository));
  std::vector<std::string> chain = {cr.name};
  for (std::string& ancestor : ancestors_of(change.base(), cr.name)) chain.push_back(std::move(ancestor));
  for (const std::string& name : chain) {
    change.grow_sync_map(name, actions);
    change.refresh_repositories(name);
  }
}

// SPEC 2.5 remove: all five actions on `repositories` from its sync map and every descendant's.
void remove_repositories(Change& change, const ConnectedRegistry& cr, const std::vector<std::string>& repositories) {
  if (repositories.empty()) return;
  std::vector<std::string> actions;
  for (const std::string& repository : repositories) add_sorted(actions, all_repository_actions(repository));
  std::vector<std::string> chain = {cr.name};
  for (std::string& descendant : descendants_of(change.base(), cr.name)) chain.push_back(std::move(descendant));
  for (const std::string& name : chain) {
    if (auth::ScopeMap* map = change.sync_map(name)) remove_all(map->actions, actions);
    change.refresh_repositories(name);
  }
}

// The client-token rules against the current tokens (SPEC 2.1, 4.4).
void check_client_tokens(const Snapshot& snapshot, const ConnectedRegistry& cr) {
  check_client_token_count(cr.client_tokens.size());
  for (const std::string& name : cr.client_tokens) {
    const auth::Token* token = snapshot.token(name);
    if (!token)
      throw invalid_request("client token " + in_quotes(name) + " does not exist; create it first",
                            {{"field", "clientTokens"}, {"token", name}});
    // Its own sync token too: a CR being created owns it only once it exists, so sync_token_owner misses it.
    const ConnectedRegistry* owner = sync_token_owner(snapshot, name);
    if (owner || name == cr.sync.token)
      throw invalid_request(in_quotes(name) + " is the sync token of connected registry " +
                                in_quotes(owner ? owner->name : cr.name) + " and cannot be a client token",
                            {{"field", "clientTokens"}, {"token", name}});
    // SPEC 2.10: accepted nowhere, so not at a CR either.
    if (snapshot.retired_sync_tokens.contains(name))
      throw invalid_request(in_quotes(name) +
                                " is the sync token kept from a deleted connected registry and is accepted nowhere; "
                                "delete it and create a new token to use as a client token",
                            {{"field", "clientTokens"}, {"token", name}});
    if (cr.mode != RegistryMode::ReadOnly) continue;
    const auto map = snapshot.scope_maps.find(token->scope_map);
    if (map == snapshot.scope_maps.end()) continue;
    std::vector<std::string> writes;
    for (const std::string& action : map->second.actions)
      if (!read_only_action(action)) writes.push_back(action);
    if (!writes.empty())
      throw invalid_request("connected registry " + describe(cr) +
                                " accepts only client tokens with read actions "
                                "(SPEC 4.4); token " +
                                in_quotes(name) + " has scope map " + in_quotes(token->scope_map) + " with " +
                                names_list(writes),
                            {{"field", "clientTokens"}, {"token", name}, {"actions", writes}});
  }
}

// SPEC 2.3: a ReadOnly parent may only have ReadOnly children.
void check_mode_compatible(const ConnectedRegistry& parent, const ConnectedRegistry& child) {
  if (parent.mode == RegistryMode::ReadOnly && child.mode == RegistryMode::ReadWrite)
    throw invalid_request("connected registry " + describe(child) + " cannot have parent " + describe(parent) +
                              ": a ReadOnly parent may only have ReadOnly children",
                          {{"name", child.name}, {"parent", parent.name}});
}

// SPEC 2.3: what cannot change after creation; a body may repeat the current value.
void check_immutable(const ConnectedRegistry& cr, const ConnectedRegistrySettings& settings) {
  if (settings.mode && *settings.mode != cr.mode)
    throw invalid_request("the mode of connected registry " + describe(cr) + " cannot change after creation; got " +
                              in_quotes(to_string(*settings.mode)),
                          {{"field", "mode"}});
  if (settings.parent_given && settings.parent != cr.parent)  // null names the cloud: a move there too
    throw invalid_request("the parent of connected registry " + in_quotes(cr.name) + " (" +
                              (cr.parent ? in_quotes(*cr.parent) : std::string("the cloud")) +
                              ") cannot change after creation",
                          {{"field", "parent"}});
  if (settings.sync_token && *settings.sync_token != cr.sync.token)
    throw invalid_request("the sync token of connected registry " + in_quotes(cr.name) + " is " +
                              in_quotes(cr.sync.token) + " and cannot change",
                          {{"field", "sync.token"}});
}

// Settings a PUT replaces: absent ones go back to their defaults (SPEC 2.2).
void replace_settings(ConnectedRegistry& cr, const ConnectedRegistrySettings& settings) {
  const ConnectedRegistry defaults;
  cr.client_tokens = settings.client_tokens.value_or(std::vector<std::string>{});
  cr.sync.schedule = settings.schedule.value_or(defaults.sync.schedule);
  cr.sync.window = settings.window;
  cr.sync.message_ttl = settings.message_ttl.value_or(defaults.sync.message_ttl);
  cr.notifications = settings.notifications.value_or(std::vector<std::string>{});
  cr.log_level = settings.log_level.value_or(defaults.log_level);
  cr.gc.enabled = settings.gc_enabled.value_or(defaults.gc.enabled);
  cr.gc.schedule = settings.gc_schedule.value_or(defaults.gc.schedule);
}

// Settings a PATCH changes: only those named.
void patch_settings(ConnectedRegistry& cr, const ConnectedRegistrySettings& settings) {
  const auto add_missing = [](std::vector<std::string>& list, const std::vector<std::string>& more) {
    for (const std::string& value : more)
      if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
  };
  if (settings.client_tokens) cr.client_tokens = *settings.client_tokens;
  if (settings.add_client_tokens) add_missing(cr.client_tokens, *settings.add_client_tokens);
  if (settings.remove_client_tokens) remove_all(cr.client_tokens, *settings.remove_client_tokens);
  if (settings.schedule) {
    cr.sync.schedule = *settings.schedule;
    // Continuous sync has no window: naming the every-minute schedule alone clears one (as ACR does).
    if (!settings.window_given && *settings.schedule == kDefaultSyncSchedule) cr.sync.window.reset();
  }
  if (settings.window_given) cr.sync.window = settings.window;
  if (settings.message_ttl) cr.sync.message_ttl = *settings.message_ttl;
  if (settings.notifications) cr.notifications = *settings.notifications;
  if (settings.add_notifications) add_missing(cr.notifications, *settings.add_notifications);
  if (settings.remove_notifications) remove_all(cr.notifications, *settings.remove_notifications);
  if (settings.log_level) cr.log_level = *settings.log_level;
  if (settings.gc_enabled) cr.gc.enabled = *settings.gc_enabled;
  if (settings.gc_schedule) cr.gc.schedule = *settings.gc_schedule;
}

// Tokens that joined or left the client list get new generations (Change::regenerate).
void regenerate_moved_clients(Change& change, const ConnectedRegistry& before, const ConnectedRegistry& after) {
  for (const std::string& token : difference(before.client_tokens, after.client_tokens)) change.regenerate(token);
  for (const std::string& token : difference(after.client_tokens, before.client_tokens)) change.regenerate(token);
}

// SPEC 7.3: the cloud's data endpoint for a CR under the cloud; for one under a CR, the login server that parent last
// reported, or the placeholder the operator fills in.
std::string parent_endpoint(const ControlPlane::Impl& impl, const ControlPlaneOptions& options,
                            const ConnectedRegistry& cr) {
  if (!cr.parent) return options.data_endpoint.empty() ? std::string(kDataEndpointPlaceholder) : options.data_endpoint;
  std::lock_guard lock(impl.status_mutex);
  const auto status = impl.statuses.find(*cr.parent);
  if (status == impl.statuses.end() || status->second.status.login_server.empty())
    return std::string(kParentEndpointPlaceholder);
  return status->second.status.login_server;
}

// What the operator sees (SPEC 2.1, 5.3): the node's last report, except that
// - a report older than status_offline_after shows the node Offline, saying since when: a node that went silent (down,
//   cut off, outside its sync window) cannot report that itself, and its last "Online" would stand forever;
// - a CR whose sync token is disabled is Unhealthy whatever it last said (SPEC 2.6): its parent refuses it, so it
//   cannot report that itself either. This says more than silence does, so it wins.
std::optional<ConnectedRegistryStatus> status_of(const ControlPlane::Impl& impl, const ConnectedRegistry& cr) {
  std::optional<ConnectedRegistryStatus> status;
  {
    std::lock_guard lock(impl.status_mutex);
    if (const auto it = impl.statuses.find(cr.name); it != impl.statuses.end()) {
      status = it->second.status;
      const Nanoseconds age = impl.clock.monotonic() - it->second.received;
      if (impl.status_offline_after > Nanoseconds::zero() && age > impl.status_offline_after) {
        status->connection_state = ConnectionState::Offline;
        StatusDetail detail;
        detail.type = "Connectivity";
        detail.code = "StatusOverdue";
        // Worded from the last report's arrival, not from now: the same at every read while the node stays silent.
        // The likely causes, the sync window first when it has one: between windows it is silent by design.
        const std::string causes =
            !cr.active()
                ? "no instance of it is activated (deactivate freed the activation, or none has started), and the "
                  "cloud takes no instance's report until one activates"
            : cr.sync.window ? "it syncs only in windows (schedule '" + cr.sync.schedule + "', each " +
                                 format_iso_duration(*cr.sync.window) +
                                 ") and is silent between them, or it or a link between it and the cloud is down"
                           : "it, or a link between it and the cloud, is down, or a connected registry above it "
                             "syncs only in windows";
        detail.description = "its last status report reached the cloud at " + format_rfc3339(it->second.received_at) +
                             ", more than " + format_iso_duration(impl.status_offline_after) + " ago: " + causes;
        detail.timestamp = it->second.received_at;
        status->status_details.push_back(std::move(detail));
      }
    }
  }
  const auto snapshot = impl.current();
  const auth::Token* token = snapshot->token(cr.sync.token);
  if (token && token->status == auth::TokenStatus::Disabled) {
    if (!status) status.emplace();
    status->connection_state = ConnectionState::Unhealthy;
    StatusDetail detail;
    detail.type = "Sync";
    detail.code = "SyncTokenDisabled";
    detail.description = "the sync token " + cr.sync.token + " is disabled: connected registry disabled";
    status->status_details.push_back(std::move(detail));
  }
  return status;
}

nlohmann::json resource_json(const ControlPlane::Impl& impl, const ConnectedRegistry& cr) {
  const auto status = status_of(impl, cr);
  return connected_registry_json(cr, status ? &*status : nullptr);
}

// {"name", "passwords": [...]}: the sync token with the values generated by this request.
nlohmann::json sync_token_json(const auth::Token& token, const PasswordValues& values) {
  nlohmann::json passwords = nlohmann::json::array();
  for (PasswordName which : {PasswordName::Password1, PasswordName::Password2})
    if (values[static_cast<size_t>(which)])
      passwords.push_back(password_json(which, token.password(which), values[static_cast<size_t>(which)]));
  return {{"name", token.name}, {"passwords", std::move(passwords)}};
}
}  // namespace

// ---- Reading ----

ControlPlane::Result ControlPlane::list_connected_registries(const ConnectedRegistryFilter& filter) const {
  std::optional<RegistryMode> mode;
  if (filter.mode) {
    mode = parse_registry_mode(*filter.mode);
    if (!mode)
      throw invalid_request("filter 'mode' is ReadWrite or ReadOnly; got " + in_quotes(*filter.mode),
                            {{"field", "mode"}});
  }
  std::optional<ConnectionState> state;
  if (filter.connection_state) {
    state = parse_connection_state(*filter.connection_state);
    if (!state)
      throw invalid_request("filter 'connectionState' is Online, Offline, Syncing or Unhealthy; got " +
                                in_quotes(*filter.connection_state),
                            {{"field", "connectionState"}});
  }
  const auto snapshot = impl_->current();
  // The children of that CR; "cloud" (unless a CR has that name) the cloud's own children. An unknown name is 404, as
  // everywhere else, rather than an empty list that reads as "no children".
  std::optional<std::optional<std::string>> parent;
  if (filter.parent) {
    const std::string key = lookup_name(*filter.parent);
    if (key == "cloud" && !snapshot->connected_registry(key)) parent.emplace(std::nullopt);
    else parent.emplace(existing_registry_or_404(*snapshot, key).name);
  }
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [name, cr] : snapshot->connected_registries) {
    if (parent && cr.parent != *parent) continue;
    if (mode && cr.mode != *mode) continue;
    const auto status = status_of(*impl_, cr);
    if (state && (status ? status->connection_state : ConnectedRegistryStatus{}.connection_state) != *state) continue;
    list.push_back(connected_registry_json(cr, status ? &*status : nullptr));
  }
  return {200, std::move(list)};
}

ControlPlane::Result ControlPlane::get_connected_registry(std::string_view name) const {
  const auto snapshot = impl_->current();
  return {200, resource_json(*impl_, existing_registry_or_404(*snapshot, lookup_name(name)))};
}

ControlPlane::Result ControlPlane::list_notifications(std::string_view name) const {
  const std::string key = lookup_name(name);
  existing_registry_or_404(*impl_->current(), key);
  std::lock_guard lock(impl_->status_mutex);
  nlohmann::json events = nlohmann::json::array();
  if (const auto it = impl_->notifications.find(key); it != impl_->notifications.end())
    for (const auto& event : it->second) events.push_back(event);
  return {200, std::move(events)};
}

// ---- Creating and changing ----

ControlPlane::Result ControlPlane::put_connected_registry(std::string_view path_name, const nlohmann::json& body) {
  if (!auth::valid_connected_registry_name(path_name))
    throw invalid_request("connected registry names are " + std::string(auth::kConnectedRegistryNameRule) + "; " +
                              in_quotes(path_name) + " is not",
                          {{"name", path_name}});
  const std::string name = lookup_name(path_name);
  const ConnectedRegistrySettings settings = read_connected_registry_settings(body, SettingsBody::Put, name);

  std::lock_guard lock(impl_->writer);
  const auto base = impl_->current();
  Change change(*base);

  if (const ConnectedRegistry* existing = base->connected_registry(name)) {
    check_immutable(*existing, settings);
    ConnectedRegistry replaced = *existing;
    replace_settings(replaced, settings);
    check_client_tokens(*base, replaced);
    change.put_registry(replaced);
    regenerate_moved_clients(change, *existing, replaced);
    if (settings.repositories) {
      remove_repositories(change, replaced, difference(existing->repositories, *settings.repositories));
      add_repositories(change, replaced, difference(*settings.repositories, existing->repositories));
    }
    // Nothing moved (a client sending back what it read): no write, no new versions. (Repository and client-list
    // changes always show in the record itself.)
    if (change.registry(name) == *existing) return {200, resource_json(*impl_, *existing)};
    change.persist(impl_->store);
    auto next = impl_->draft();
    std::move(change).apply(*next);
    const ConnectedRegistry result = next->connected_registries.at(name);
    impl_->publish(std::move(next));
    return {200, resource_json(*impl_, result)};
  }

  // Create (SPEC 2.3, 2.4).
  ConnectedRegistry cr;
  cr.name = name;
  cr.mode = settings.mode.value_or(RegistryMode::ReadWrite);
  cr.parent = settings.parent;
  cr.sync.token = auth::sync_token_name(name);
  if (settings.sync_token && *settings.sync_token != cr.sync.token)
    throw invalid_request("the sync token is made with the connected registry and named " + in_quotes(cr.sync.token) +
                              "; an existing token cannot be given (got " + in_quotes(*settings.sync_token) + ")",
                          {{"field", "sync.token"}});
  replace_settings(cr, settings);
  std::vector<std::string> chain;  // its ancestors, parent first
  if (cr.parent) {
    const ConnectedRegistry* parent = base->connected_registry(*cr.parent);
    if (!parent)
      throw invalid_request("parent " + in_quotes(*cr.parent) +
                                " does not exist; create it first (a parent need not "
                                "be running or activated)",
                            {{"field", "parent"}, {"parent", *cr.parent}});
    check_mode_compatible(*parent, cr);
    chain.push_back(parent->name);
    for (std::string& ancestor : ancestors_of(*base, parent->name)) chain.push_back(std::move(ancestor));
  }
  check_client_tokens(*base, cr);

  // The sync scope map and token of SPEC 2.4. Names left behind by an earlier CR of this name (deleted without
  // cleanup) or made by hand are taken over, as ACR does, unless something else relies on them.
  const std::string map_name = auth::sync_scope_map_name(name);
  const std::string token_name = cr.sync.token;
  if (const auto& users = base->clients_of(token_name); !users.empty())
    throw conflict("token " + in_quotes(token_name) + " is a client token of connected registry " +
                       in_quotes(users.front()) + "; remove it from that list before creating " + in_quotes(name),
                   {{"token", token_name}, {"connectedRegistry", users.front()}});
  for (const std::string& other_name : base->users_of(map_name))
    if (other_name != token_name)
      throw conflict("scope map " + in_quotes(map_name) + " is used by token " + in_quotes(other_name) +
                         "; give that token another scope map before creating " + in_quotes(name),
                     {{"scopeMap", map_name}, {"token", other_name}});
  const bool new_map = !base->scope_maps.contains(map_name);
  const auth::Token* old_token = base->token(token_name);
  if (new_map && base->scope_maps.size() - auth::system_scope_maps().size() >= options_.max_scope_maps)
    throw limit_exceeded(
        "limit exceeded: a registry holds at most " + std::to_string(options_.max_scope_maps) + " scope maps",
        {{"limit", "scope maps per registry"}, {"max", options_.max_scope_maps}});
  if (!old_token && base->tokens.size() >= options_.max_tokens)
    throw limit_exceeded("limit exceeded: a registry holds at most " + std::to_string(options_.max_tokens) + " tokens",
                         {{"limit", "tokens per registry"}, {"max", options_.max_tokens}});

  // A CR of this name deleted without cleanup (SPEC 2.10) left its gateway actions in its ancestors' maps: kept there,
  // they let those CRs, which need not be this one's ancestors now, read its configuration and take its activation.
  // They go from every map but the new ancestors'. Looked for only when that CR left its token or map behind (a fleet
  // of new CRs is not searched at each creation); see docs/connected-registries.md for one whose leftovers were
  // deleted by hand.
  if (old_token || !new_map) {
    const std::vector<std::string> gateway = sync_gateway_actions(name);
    for (const auto& [other, other_cr] : base->connected_registries) {
      if (std::find(chain.begin(), chain.end(), other) != chain.end()) continue;
      const auto other_map = base->scope_maps.find(auth::sync_scope_map_name(other));
      if (other_map == base->scope_maps.end()) continue;
      const auto& actions = other_map->second.actions;  // sorted
      const bool stale = std::any_of(gateway.begin(), gateway.end(), [&](const std::string& action) {
        return std::binary_search(actions.begin(), actions.end(), action);
      });
      if (!stale) continue;
      if (auth::ScopeMap* edited = change.sync_map(other)) remove_all(edited->actions, gateway);
    }
  }

  std::vector<std::string> repository_actions;
  for (const std::string& repository : settings.repositories.value_or(std::vector<std::string>{}))
    add_sorted(repository_actions, sync_repository_actions(cr.mode, repository));
  std::vector<std::string> own_actions = repository_actions;
  add_sorted(own_actions, sync_gateway_actions(name));
  auth::ScopeMap map;
  map.name = map_name;
  map.description = "Created by connected registry sync token: " + name;
  map.actions = own_actions;
  map.type = auth::ScopeMapType::UserDefined;
  change.put_map(map);
  cr.repositories = repositories_of(map.actions);

  // Every ancestor relays this CR's gateway traffic and content (SPEC 2.4).
  std::vector<std::string> for_ancestors = repository_actions;
  add_sorted(for_ancestors, sync_gateway_actions(name));
  for (const std::string& ancestor : chain) {
    change.grow_sync_map(ancestor, for_ancestors);
    change.refresh_repositories(ancestor);
  }

  auth::Token token = old_token ? *old_token : auth::Token{};
  token.name = token_name;
  token.scope_map = map_name;
  token.status = auth::TokenStatus::Enabled;
  PasswordValues values;
  for (PasswordName which : {PasswordName::Password1, PasswordName::Password2})
    values[static_cast<size_t>(which)] = impl_->new_password(token.password(which), options_.hash_cost, std::nullopt);
  change.put_token(token);
  change.put_registry(cr);
  for (const std::string& client : cr.client_tokens) change.regenerate(client);

  change.persist(impl_->store);
  auto next = impl_->draft();
  std::move(change).apply(*next);
  impl_->publish(std::move(next));

  nlohmann::json answer = resource_json(*impl_, cr);
  answer["syncToken"] = sync_token_json(token, values);
  answer["connectionString"] =
      format_connection_string({name, token_name, *values[0], parent_endpoint(*impl_, options_, cr), options_.scheme});
  return {201, std::move(answer)};
}

ControlPlane::Result ControlPlane::patch_connected_registry(std::string_view path_name, const nlohmann::json& body) {
  const std::string name = lookup_name(path_name);
  const ConnectedRegistrySettings settings = read_connected_registry_settings(body, SettingsBody::Patch, name);

  std::lock_guard lock(impl_->writer);
  const auto base = impl_->current();
  const ConnectedRegistry& existing = existing_registry_or_404(*base, name);
  check_immutable(existing, settings);
  ConnectedRegistry patched = existing;
  patch_settings(patched, settings);
  check_client_tokens(*base, patched);
  Change change(*base);
  change.put_registry(patched);
  regenerate_moved_clients(change, existing, patched);
  if (settings.repositories) {
    remove_repositories(change, patched, difference(existing.repositories, *settings.repositories));
    add_repositories(change, patched, difference(*settings.repositories, existing.repositories));
  }
  if (change.registry(name) == existing) return {200, resource_json(*impl_, existing)};
  change.persist(impl_->store);
  auto next = impl_->draft();
  std::move(change).apply(*next);
  const ConnectedRegistry result = next->connected_registries.at(name);
  impl_->publish(std::move(next));
  return {200, resource_json(*impl_, result)};
}

ControlPlane::Result ControlPlane::update_connected_registry_permissions(std::string_view path_name,
                                                                         const nlohmann::json& body) {
  const std::string name = lookup_name(path_name);
  const BodyFields fields(body, "a connected registry permissions body", {"add", "remove"});
  const std::vector<std::string> add =
      normalized_repositories(fields.strings("add").value_or(std::vector<std::string>{}), "add");
  const std::vector<std::string> remove =
      normalized_repositories(fields.strings("remove").value_or(std::vector<std::string>{}), "remove");
  for (const std::string& repository : add)
    if (std::find(remove.begin(), remove.end(), repository) != remove.end())
      throw invalid_request("repository " + in_quotes(repository) + " is both in 'add' and in 'remove'",
                            {{"repository", repository}});

  std::lock_guard lock(impl_->writer);
  const auto base = impl_->current();
  const ConnectedRegistry& cr = existing_registry_or_404(*base, name);
  Change change(*base);
  remove_repositories(change, cr, remove);
  add_repositories(change, cr, add);
  if (!change.empty()) {
    change.persist(impl_->store);
    auto next = impl_->draft();
    std::move(change).apply(*next);
    impl_->publish(std::move(next));
  }
  return {200, resource_json(*impl_, impl_->current()->connected_registries.at(name))};
}

// ---- Deleting ----

ControlPlane::Result ControlPlane::delete_connected_registry(std::string_view path_name, bool cleanup) {
  const std::string name = lookup_name(path_name);
  {
    std::lock_guard lock(impl_->writer);
    const auto base = impl_->current();
    const ConnectedRegistry& cr = existing_registry_or_404(*base, name);
    if (const auto& children = base->children_of(name); !children.empty())
      throw conflict(
          "connected registry " + in_quotes(name) + " has children (" + names_list(children) + "); delete them first",
          {{"name", name}, {"children", children}});
    Change change(*base);
    change.erase_registry(name);
    const auth::Token* token = base->token(cr.sync.token);
    if (cleanup) {
      // SPEC 2.10: its sync token and map go, and its gateway actions leave every ancestor's map (repository actions
      // stay there: other CRs may sync those repositories through them).
      // Retired as well as erased: the mark is written before the CR's erase, so a stop between that and the token's
      // erase leaves the token marked (accepted nowhere), not an ordinary one with its sync map's rights. It goes
      // when the token's erase is done (Change::persist).
      if (token) {
        change.retire(token->name);
        change.erase_token(token->name);
      }
      const std::string map_name = auth::sync_scope_map_name(name);
      const auto& map_users = base->users_of(map_name);
      const bool map_used_elsewhere = std::any_of(map_users.begin(), map_users.end(),
                                                  [&](const std::string& user) { return user != cr.sync.token; });
      if (base->scope_maps.contains(map_name) && !map_used_elsewhere) change.erase_map(map_name);
      for (const std::string& ancestor : ancestors_of(*base, name))
        if (auth::ScopeMap* map = change.sync_map(ancestor)) remove_all(map->actions, sync_gateway_actions(name));
    } else if (token) {
      // SPEC 2.10: a kept sync token is accepted nowhere. It is retired (accepted_at_cloud refuses it whatever its
      // status, and it may not become a client token, so no CR lists it), and disabled, so that its record says so.
      change.retire(token->name);
      if (token->status == auth::TokenStatus::Enabled) {
        auth::Token disabled = *token;
        disabled.status = auth::TokenStatus::Disabled;
        change.put_token(disabled);
      }
    }
    change.persist(impl_->store);
    auto next = impl_->draft();
    std::move(change).apply(*next);
    impl_->publish(std::move(next));
  }
  std::lock_guard lock(impl_->status_mutex);
  if (const auto it = impl_->statuses.find(name); it != impl_->statuses.end()) impl_->statuses.erase(it);
  if (const auto it = impl_->notifications.find(name); it != impl_->notifications.end()) impl_->notifications.erase(it);
  return {204, nullptr};
}

// ---- Actions ----

ControlPlane::Result ControlPlane::deactivate_connected_registry(std::string_view name) {
  deactivate(name);
  return get_connected_registry(name);
}

ControlPlane::Result ControlPlane::resync_connected_registry(std::string_view path_name) {
  const std::string name = lookup_name(path_name);
  std::lock_guard lock(impl_->writer);
  const auto base = impl_->current();
  ConnectedRegistry cr = existing_registry_or_404(*base, name);
  ++cr.resync_generation;
  impl_->store.put_connected_registry(cr);
  auto next = impl_->draft();
  Impl::set_connected_registry(*next, cr);
  impl_->publish(std::move(next));
  return {200, resource_json(*impl_, cr)};
}

ControlPlane::Result ControlPlane::connection_string(std::string_view path_name, const nlohmann::json& body) {
  const std::string name = lookup_name(path_name);
  const BodyFields fields(body, "a connectionString body", {"password", "protocol"});
  std::optional<PasswordName> which;
  if (const auto password = fields.string("password")) {
    which = auth::parse_password_name(*password);
    if (!which)
      throw invalid_request(
          "field 'password' is 'password1' or 'password2' (absent: no password is regenerated); "
          "got " +
              in_quotes(*password),
          {{"field", "password"}});
  }
  const std::string protocol = fields.string("protocol").value_or(options_.scheme);
  if (protocol != "http" && protocol != "https")
    throw invalid_request("field 'protocol' is 'http' or 'https'; got " + in_quotes(protocol), {{"field", "protocol"}});

  std::lock_guard lock(impl_->writer);
  const auto base = impl_->current();
  const ConnectedRegistry& cr = existing_registry_or_404(*base, name);
  const auth::Token* existing_token = base->token(cr.sync.token);
  if (!existing_token)
    throw conflict("the sync token " + in_quotes(cr.sync.token) + " of connected registry " + in_quotes(name) +
                       " no longer exists",
                   {{"name", name}});
  auth::Token token = *existing_token;
  PasswordValues values;
  std::string password(kPasswordPlaceholder);
  if (which) {
    // Rotation (SPEC 3.3): the other password keeps working until it is regenerated in turn.
    password = impl_->new_password(token.password(*which), options_.hash_cost, std::nullopt);
    values[static_cast<size_t>(*which)] = password;
    impl_->store.put_token(token);
    auto next = impl_->draft();
    Impl::set_token(*next, token);
    impl_->publish(std::move(next));
  }
  return {200,
          {{"connectionString",
            format_connection_string({name, token.name, password, parent_endpoint(*impl_, options_, cr), protocol})},
           {"syncToken", sync_token_json(token, values)}}};
}

const ConnectedRegistry& existing_registry_or_404(const Snapshot& snapshot, std::string_view name) {
  if (const ConnectedRegistry* cr = snapshot.connected_registry(name)) return *cr;
  throw not_found("connected registry " + in_quotes(name) + " does not exist", {{"name", name}});
}

void remove_all(std::vector<std::string>& values, const std::vector<std::string>& gone) {
  // Usually a handful of names (a node's four gateway actions); a PATCH may name many, looked up hashed then, so that
  // removing them from a sync scope map of thousands of actions is not quadratic.
  constexpr size_t kScanned = 8;
  if (gone.size() <= kScanned) {
    std::erase_if(values,
                  [&](const std::string& value) { return std::find(gone.begin(), gone.end(), value) != gone.end(); });
    return;
  }
  const std::unordered_set<std::string_view> lookup(gone.begin(), gone.end());
  std::erase_if(values, [&](const std::string& value) { return lookup.contains(value); });
}

}  // namespace outpost::control
