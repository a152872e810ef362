#pragma once
// The configuration a connected registry (CR) reads from its parent (SPEC 5.2), its version, and the reverse: the
// control-plane snapshot a CR node authenticates with, built from that configuration.
//
// own_config() is deterministic JSON (object keys sorted, lists sorted), so equal states give equal bytes and a
// digest of it tells whether a CR's configuration changed. Snapshot::config_versions holds, per CR, a version that
// bumps when its own configuration or any descendant's changes (a CR relays its descendants' configurations, so it
// must look again when any of them moved). ControlPlane::Impl::publish() keeps the versions with
// refresh_config_versions(); they come from the generation counter and so never repeat, across restarts included.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/auth/token.h"
#include "reference/control/control_plane.h"

namespace outpost::control {

// Everything CR `name` needs (SPEC 5.2), throwing ApiError 404 for an unknown name:
//   {"name", "mode", "parent" (null = the cloud), "repositories", "clientTokens",
//    "sync": {"token", "schedule", "window" (ISO-8601 or null), "messageTtl"}, "notifications", "logging": {"level"},
//    "gc": {"enabled", "schedule"},
//    "enabled": its sync token is enabled (SPEC 2.6), "resync": its resync generation (SPEC 2.11),
//    "children": [names of its direct children],
//    "tokens": [its client tokens and its direct children's sync tokens, by name: {"name", "scopeMap", "status",
//               "generation", "passwords": [{"name", "hash", "creationTime", "expiry"?}]}],
//    "scopeMaps": [{"name", "actions"}: the user-defined maps those tokens name; the system maps are known everywhere]}
// Password hashes, never passwords. Times are RFC 3339 UTC with nanoseconds, so an expiry means the same instant at
// every node. "generation" is the token's generation at the cloud (Snapshot::generations): it changes whenever the
// token's status or passwords, or its membership of a CR's client tokens, change, and never comes back; a change of
// its scope map or of that map's actions leaves it alone (the node reads permissions from "scopeMaps").
nlohmann::json own_config(const Snapshot& snapshot, std::string_view name);

// The snapshot a CR node authenticates with, from its own_config(): the tokens and user-defined maps it lists, the five
// system maps, compiled permissions, and generations (the cloud's, or when absent a digest of the token's status and
// passwords, so that they change whenever those do). Its connected registries are the CR itself (every
// field of the configuration) and its direct children (name, parent and sync token only), with the indexes, so that
// sync_token_owner() works at the CR too. No admin user: it is accepted only at the cloud (SPEC 7.1).
// "tokens" and "scopeMaps" are required; without "mode" the document is taken as tokens and maps only (no tree).
// Throws std::invalid_argument for a document that is not in own_config()'s shape.
std::shared_ptr<Snapshot> snapshot_from_config(const nlohmann::json& config);

// The CR whose sync token this is, or null.
const ConnectedRegistry* sync_token_owner(const Snapshot& snapshot, std::string_view token);

// SPEC 4.1: every token is accepted at the cloud except the sync tokens of CRs whose parent is another CR (those talk
// only to their parent) and, SPEC 2.10, sync tokens kept after their CR was deleted (Snapshot::retired_sync_tokens).
// Fits registry::AuthenticatorOptions::accepts.
bool accepted_at_cloud(const Snapshot& snapshot, const auth::Token& token);

// The tree: parent first up to the top CR; every descendant, parents before children (depth-first, by name).
std::vector<std::string> ancestors_of(const Snapshot& snapshot, std::string_view name);
std::vector<std::string> descendants_of(const Snapshot& snapshot, std::string_view name);

// The digest of own_config() each CR had when its version was last set.
using ConfigDigests = std::map<std::string, std::string, std::less<>>;
using VersionSource = std::function<uint64_t()>;

// Gives every CR of `snapshot` a new version and records its digest (a node's start: everything is new).
void assign_config_versions(Snapshot& snapshot, ConfigDigests& digests, const VersionSource& new_version);

// After a change from `before` to `next`: recomputes own_config() for the CRs the change can touch (CRs added,
// removed or changed, their parents, and the CRs whose configuration lists a token whose generation, scope map or
// map's actions changed), and gives
// a new version to each whose digest changed and to all its ancestors. Removed CRs lose their version and digest.
void refresh_config_versions(const Snapshot& before, Snapshot& next, ConfigDigests& digests,
                             const VersionSource& new_version);

}  // namespace outpost::control
