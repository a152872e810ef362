#pragma once
// The changes an operator makes at the cloud, with the rules the SPEC derives from them (SPEC 2.4, 2.5, 2.6, 2.10,
// 3.3), applied to the oracle's World. The simulator calls these beside the management calls it makes, so the World
// says what the cloud should now hold. Refusals (2.3 mode rules, 2.9 limits, 2.10 children) are the control plane's
// business and are not modelled: apply only changes the cloud accepted.
#include <string>
#include <string_view>
#include <vector>

#include "simulator/check/world.h"

namespace outpost::check {

// A new token with both passwords (fresh serials, created now). Returns the serials, password1 first.
std::array<uint64_t, 2> create_token(World& world, std::string_view name, std::string_view scope_map, WallTime now);
// SPEC 3.3: a new value for one slot (0 or 1); the other stays valid. Returns the new serial.
uint64_t regenerate_password(World& world, std::string_view token, int slot, WallTime now,
                             std::optional<WallTime> expiry = std::nullopt);
void set_token_status(World& world, std::string_view token, TokenStatus status);
void set_scope_map(World& world, std::string_view name, std::vector<std::string> actions);

// SPEC 2.4: the CR, its `<name>-sync-scope-map` (its mode's actions on each repository, its gateway actions) and its
// `<name>-sync-token` (both passwords), and its gateway actions and repositories (with its mode's actions) added to
// every ancestor's sync scope map. `cr.sync_token` is set here. Returns the sync token's password serials.
std::array<uint64_t, 2> create_connected_registry(World& world, ConnectedRegistry cr, WallTime now);
// SPEC 2.5: `permissions add` (to its repositories, its sync map and every ancestor's, with its mode's actions) and
// `permissions remove` (from its repositories and sync map and every descendant's, all five actions).
void add_repositories(World& world, std::string_view cr, const std::vector<std::string>& repositories);
void remove_repositories(World& world, std::string_view cr, const std::vector<std::string>& repositories);
void set_client_tokens(World& world, std::string_view cr, std::vector<std::string> tokens);
// SPEC 2.10: a leaf CR goes; with `cleanup` its sync token and map go and its gateway actions leave its ancestors'
// maps; without, its sync token stays but is accepted nowhere.
void delete_connected_registry(World& world, std::string_view cr, bool cleanup);

std::string sync_scope_map_name(std::string_view cr);  // "<cr>-sync-scope-map"
std::string sync_token_name(std::string_view cr);      // "<cr>-sync-token"

}  // namespace outpost::check
