// The connected-registry rules that token and scope-map operations must keep (SPEC 2.6, 4.4), so that no change made
// through /tokens or /scopeMaps can undo what the connected-registry operations maintain.
#include <optional>

#include "reference/auth/names.h"
#include "reference/control/connected_registry_config.h"
#include "reference/control/control_errors.h"
#include "reference/control/control_plane_impl.h"

namespace outpost::control {

namespace {

// The CRs that list `token` as a client token, in name order.
std::vector<const ConnectedRegistry*> clients_of(const Snapshot& snapshot, std::string_view token) {
  std::vector<const ConnectedRegistry*> out;
  for (const std::string& name : snapshot.clients_of(token))
    if (const ConnectedRegistry* cr = snapshot.connected_registry(name)) out.push_back(cr);
  return out;
}

std::vector<std::string> write_actions(const std::vector<std::string>& actions) {
  std::vector<std::string> writes;
  for (const std::string& action : actions)
    if (!read_only_action(action)) writes.push_back(action);
  return writes;
}

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& value : values) out += (out.empty() ? "" : ", ") + in_quotes(value);
  return out;
}

// SPEC 4.4 for one token about to hold `actions`.
void check_read_only_clients(const Snapshot& snapshot, std::string_view token,
                             const std::vector<std::string>& actions) {
  const std::vector<std::string> writes = write_actions(actions);
  if (writes.empty()) return;
  for (const ConnectedRegistry* cr : clients_of(snapshot, token))
    if (cr->mode == auth::RegistryMode::ReadOnly)
      throw invalid_request("token " + in_quotes(token) + " is a client token of connected registry " +
                                in_quotes(cr->name) +
                                " (ReadOnly), whose client tokens may only hold read actions "
                                "(SPEC 4.4); refused: " +
                                joined(writes),
                            {{"token", token}, {"connectedRegistry", cr->name}, {"actions", writes}});
}
}  // namespace

void check_token_deletable(const Snapshot& snapshot, std::string_view token) {
  if (const ConnectedRegistry* owner = sync_token_owner(snapshot, token))
    throw conflict("token " + in_quotes(token) + " is the sync token of connected registry " + in_quotes(owner->name) +
                       " and cannot be deleted while it exists; delete the connected registry (with cleanup to "
                       "delete its sync token too)",
                   {{"token", token}, {"connectedRegistry", owner->name}});
  const auto clients = clients_of(snapshot, token);
  if (!clients.empty()) {
    std::vector<std::string> names;
    for (const ConnectedRegistry* cr : clients) names.push_back(cr->name);
    throw conflict("token " + in_quotes(token) + " is a client token of connected registr" +
                       (names.size() > 1 ? "ies " : "y ") + joined(names) + "; remove it from their clientTokens first",
                   {{"token", token}, {"connectedRegistries", names}});
  }
}

void check_token_change(const Snapshot& snapshot, const auth::Token& changed) {
  const auth::Token* current = snapshot.token(changed.name);
  if (const ConnectedRegistry* owner = sync_token_owner(snapshot, changed.name);
      owner && current && current->scope_map != changed.scope_map)
    throw conflict("token " + in_quotes(changed.name) + " is the sync token of connected registry " +
                       in_quotes(owner->name) + "; its scope map " + in_quotes(current->scope_map) +
                       " is managed with the connected registry (permissions add/remove)",
                   {{"token", changed.name}, {"connectedRegistry", owner->name}});
  if (const auto map = snapshot.scope_maps.find(changed.scope_map); map != snapshot.scope_maps.end())
    check_read_only_clients(snapshot, changed.name, map->second.actions);
}

void check_scope_map_change(const Snapshot& snapshot, std::string_view name, const std::vector<std::string>& actions) {
  // A CR's sync scope map: the map named after it, or the map its sync token names. The first such CR by name.
  std::optional<std::string> managed_by;
  const auto consider = [&managed_by](const std::string& cr) {
    if (!managed_by || cr < *managed_by) managed_by = cr;
  };
  const std::string suffix = auth::sync_scope_map_name("");
  if (name.size() > suffix.size() && name.ends_with(suffix)) {
    const std::string cr(name.substr(0, name.size() - suffix.size()));
    if (snapshot.connected_registry(cr)) consider(cr);
  }
  for (const std::string& token : snapshot.users_of(name))
    if (const ConnectedRegistry* owner = sync_token_owner(snapshot, token)) consider(owner->name);
  if (managed_by)
    throw conflict("scope map " + in_quotes(name) + " is the sync scope map of connected registry " +
                       in_quotes(*managed_by) + " and changes only with it: use its permissions add/remove",
                   {{"scopeMap", name}, {"connectedRegistry", *managed_by}});
  for (const std::string& token : snapshot.users_of(name)) check_read_only_clients(snapshot, token, actions);
}

}  // namespace outpost::control
