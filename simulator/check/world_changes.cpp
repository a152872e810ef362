#include "simulator/check/world_changes.h"

#include <algorithm>
#include <stdexcept>

#include "simulator/check/scope_rules.h"

namespace outpost::check {

namespace {
Token& existing_token(World& world, std::string_view name) {
  const auto found = world.tokens.find(name);
  if (found == world.tokens.end()) throw std::invalid_argument("no token " + std::string(name) + " in the world");
  return found->second;
}

ConnectedRegistry& existing_cr(World& world, std::string_view name) {
  const auto found = world.connected_registries.find(name);
  if (found == world.connected_registries.end())
    throw std::invalid_argument("no connected registry " + std::string(name) + " in the world");
  return found->second;
}

void add_all(std::vector<std::string>& to, const std::vector<std::string>& actions) {
  for (const std::string& action : actions)
    if (std::find(to.begin(), to.end(), action) == to.end()) to.push_back(action);
}

void remove_all(std::vector<std::string>& from, const std::vector<std::string>& actions) {
  std::erase_if(from, [&](const std::string& action) {
    return std::find(actions.begin(), actions.end(), action) != actions.end();
  });
}

// A CR syncs the repositories its sync scope map names (SPEC 2.4: a child's are added to every ancestor's map, "so
// each node can fetch for its whole subtree"): the control plane derives its `repositories` from that map.
void add_synced(World& world, std::string_view name, const std::vector<std::string>& repositories) {
  add_all(existing_cr(world, name).repositories, repositories);
}

std::vector<std::string> descendants(const World& world, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [other, cr] : world.connected_registries) {
    const auto chain = world.ancestors(other);
    if (std::find(chain.begin(), chain.end(), name) != chain.end()) out.push_back(other);
  }
  return out;
}

std::vector<std::string> mode_actions(const std::vector<std::string>& repositories, Mode mode) {
  std::vector<std::string> out;
  for (const std::string& repository : repositories)
    add_all(out, repository_actions_for_mode(repository, mode == Mode::ReadOnly));
  return out;
}
}  // namespace

std::string sync_scope_map_name(std::string_view cr) { return std::string(cr) + "-sync-scope-map"; }
std::string sync_token_name(std::string_view cr) { return std::string(cr) + "-sync-token"; }

std::array<uint64_t, 2> create_token(World& world, std::string_view name, std::string_view scope_map, WallTime now) {
  Token token;
  token.name = std::string(name);
  token.scope_map = std::string(scope_map);
  for (PasswordSlot& slot : token.passwords) slot = {true, world.next_serial++, now, std::nullopt};
  const std::array<uint64_t, 2> serials{token.passwords[0].serial, token.passwords[1].serial};
  world.tokens.insert_or_assign(token.name, std::move(token));
  world.retired_sync_tokens.erase(std::string(name));
  return serials;
}

uint64_t regenerate_password(World& world, std::string_view token, int slot, WallTime now,
                             std::optional<WallTime> expiry) {
  PasswordSlot& password = existing_token(world, token).passwords.at(static_cast<size_t>(slot));
  password = {true, world.next_serial++, now, expiry};
  return password.serial;
}

void set_token_status(World& world, std::string_view token, TokenStatus status) {
  existing_token(world, token).status = status;
}

void set_scope_map(World& world, std::string_view name, std::vector<std::string> actions) {
  world.scope_maps.insert_or_assign(std::string(name), std::move(actions));
}

std::array<uint64_t, 2> create_connected_registry(World& world, ConnectedRegistry cr, WallTime now) {
  cr.sync_token = sync_token_name(cr.name);
  // A CR of this name deleted without cleanup left its gateway actions in its old ancestors' maps; when it also left
  // its token or map behind, they go from every map but the new ancestors' (docs/connected-registries.md).
  const bool leftovers = world.tokens.contains(cr.sync_token) || world.scope_maps.contains(sync_scope_map_name(cr.name));
  std::vector<std::string> own = mode_actions(cr.repositories, cr.mode);
  add_all(own, gateway_actions_for(cr.name));
  set_scope_map(world, sync_scope_map_name(cr.name), own);
  const auto serials = create_token(world, cr.sync_token, sync_scope_map_name(cr.name), now);
  const std::string name = cr.name;
  const std::vector<std::string> child_repositories = mode_actions(cr.repositories, cr.mode);
  const std::vector<std::string> child_patterns = cr.repositories;
  world.connected_registries.insert_or_assign(name, std::move(cr));
  const std::vector<std::string> ancestors = world.ancestors(name);
  const std::vector<std::string> gateway = gateway_actions_for(name);
  if (leftovers) {
    for (const auto& [other, other_cr] : world.connected_registries) {
      if (other == name || std::find(ancestors.begin(), ancestors.end(), other) != ancestors.end()) continue;
      if (auto map = world.scope_maps.find(sync_scope_map_name(other)); map != world.scope_maps.end())
        remove_all(map->second, gateway);
    }
  }
  for (const std::string& ancestor : ancestors) {
    auto& map = world.scope_maps[sync_scope_map_name(ancestor)];
    add_all(map, gateway);
    add_all(map, child_repositories);
    add_synced(world, ancestor, child_patterns);
  }
  return serials;
}

void add_repositories(World& world, std::string_view name, const std::vector<std::string>& repositories) {
  add_synced(world, name, repositories);
  const std::vector<std::string> actions = mode_actions(repositories, existing_cr(world, name).mode);
  add_all(world.scope_maps[sync_scope_map_name(name)], actions);
  for (const std::string& ancestor : world.ancestors(name)) {
    add_all(world.scope_maps[sync_scope_map_name(ancestor)], actions);
    add_synced(world, ancestor, repositories);
  }
}

void remove_repositories(World& world, std::string_view name, const std::vector<std::string>& repositories) {
  const std::vector<std::string> actions = mode_actions(repositories, Mode::ReadWrite);
  std::vector<std::string> affected = descendants(world, name);
  affected.insert(affected.begin(), std::string(name));
  for (const std::string& each : affected) {
    ConnectedRegistry& cr = existing_cr(world, each);
    remove_all(cr.repositories, repositories);
    if (auto map = world.scope_maps.find(sync_scope_map_name(each)); map != world.scope_maps.end())
      remove_all(map->second, actions);
  }
}

void set_client_tokens(World& world, std::string_view cr, std::vector<std::string> tokens) {
  existing_cr(world, cr).client_tokens = std::move(tokens);
}

void delete_connected_registry(World& world, std::string_view name, bool cleanup) {
  const ConnectedRegistry cr = existing_cr(world, name);
  const std::vector<std::string> ancestors = world.ancestors(name);
  world.connected_registries.erase(world.connected_registries.find(name));
  if (cleanup) {
    world.tokens.erase(cr.sync_token);
    world.scope_maps.erase(sync_scope_map_name(name));
    for (const std::string& ancestor : ancestors)
      if (auto map = world.scope_maps.find(sync_scope_map_name(ancestor)); map != world.scope_maps.end())
        remove_all(map->second, gateway_actions_for(name));
  } else {
    world.retired_sync_tokens.insert(cr.sync_token);
  }
}

}  // namespace outpost::check
