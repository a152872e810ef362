#pragma once
// The node's control plane: tokens, scope maps, the admin user and connected registries, with the validation rules of
// SPEC 2, 3 and 7.
// Requests read it through immutable snapshots (one shared_ptr copy per request under a lock held only for the copy,
// none held while authenticating); every change publishes a new snapshot and persists through the ControlStore seam
// before returning.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/auth/limits.h"
#include "reference/auth/password.h"
#include "reference/auth/permission_set.h"
#include "reference/auth/scope_map.h"
#include "reference/auth/token.h"
#include "reference/common/clock.h"
#include "reference/common/cow_map.h"
#include "reference/common/random.h"
#include "reference/control/connected_registry.h"
#include "reference/control/control_store.h"

namespace outpost::control {

inline constexpr std::string_view kAdminUser = "admin";  // SPEC 7.1

// Snapshots keep their records in maps whose copies share what they did not change (cow_map.h): every change copies
// the snapshot, and copying thousands of connected registries' records for each one made a wide cloud quadratic.
template <class Value>
using NameMap = CowMap<std::string, Value, std::less<>>;

// What authentication reads. Immutable once published.
struct Snapshot {
  uint64_t version = 0;  // bumps on every change
  NameMap<auth::Token> tokens;
  // Every scope map a token may name: the user-defined ones and the five system maps, with compiled permissions.
  NameMap<auth::ScopeMap> scope_maps;
  NameMap<auth::PermissionSet> permissions;
  // Per token: bumps when what logs in as the token changes or stops working (status, passwords, their expiries,
  // deletion and re-creation) and when it joins or leaves a connected registry's client list. Verified passwords and
  // the access and refresh tokens a node issued are tied to it, so each such change takes effect on the next request.
  // What the token may do does not move it (its scope map, that map's actions): permissions are read from the current
  // snapshot on every request and never cached, so such a change applies from the next request to passwords and
  // outstanding JWTs alike, and a JWT stays valid, bounded by the map as it is now (SPEC 4.1; 3.4 ends refresh tokens
  // only when their token is disabled, deleted or has a password regenerated). Values come from the control plane's
  // own counter (generation_counter): a name deleted and re-created never gets a generation it had before. The admin
  // user has an entry too (kAdminUser, which no token may be named), bumped when its password changes.
  NameMap<uint64_t> generations;
  // The last generation (or configuration version) this control plane handed out. It travels with the snapshots, so
  // each control plane counts on its own: nodes simulated in one process never share a counter, and a seed run twice
  // in one process hands out the same numbers (a process-wide counter would not).
  uint64_t generation_counter = 0;
  std::string admin_password_hash;

  // Connected registries (SPEC 2) by name, and two indexes the control plane keeps in step with them.
  NameMap<ConnectedRegistry> connected_registries;
  NameMap<std::string> sync_token_owners;  // sync token name -> its CR
  // SPEC 2.10: sync tokens kept after their CR was deleted without cleanup. Accepted nowhere, whatever their status
  // becomes, until the token is deleted or a new CR of that name takes it over (accepted_at_cloud; no CR lists them).
  std::set<std::string, std::less<>> retired_sync_tokens;
  NameMap<std::vector<std::string>> children;  // CR ("" = the cloud) -> direct children, sorted
  // Who names what, so that a change finds what it affects without reading every record (kept in step by the
  // control plane's edits, control_plane_impl.h): token -> the CRs listing it as a client token, and scope map -> the
  // tokens naming it; both sorted, and without empty lists.
  NameMap<std::vector<std::string>> client_token_users;
  NameMap<std::vector<std::string>> scope_map_users;
  // Per CR: the version of the configuration it reads from its parent (own_config() and the configurations of all
  // its descendants, which it relays). Bumps when any of them changes; strictly increasing across restarts too
  // (values come from the generation counter). See connected_registry_config.h.
  NameMap<uint64_t> config_versions;

  const auth::Token* token(std::string_view name) const;
  const auth::PermissionSet* permissions_of(const auth::Token& token) const;  // null if its scope map is gone
  uint64_t generation(std::string_view token_name) const;                     // 0 for unknown names
  const ConnectedRegistry* connected_registry(std::string_view name) const;   // null if unknown
  uint64_t config_version(std::string_view name) const;                       // 0 for unknown names
  const std::vector<std::string>& children_of(std::string_view name) const;   // "" = the cloud's
  const std::vector<std::string>& clients_of(std::string_view token) const;   // CRs listing it as a client token
  const std::vector<std::string>& users_of(std::string_view scope_map) const;  // tokens naming it
  // Keep client_token_users and scope_map_users in step with a record that changed: `before` null for a new record,
  // `after` null for an erased one. Whoever edits tokens or connected registries calls them.
  void index_token(const auth::Token* before, const auth::Token* after);
  void index_client_tokens(const ConnectedRegistry* before, const ConnectedRegistry* after);
};

// A snapshot of the five system scope maps and their compiled permissions alone. Every snapshot starts as a copy of
// it: copies share its records (cow_map.h), so a node's control plane and each configuration a connected registry
// applies (snapshot_from_config) neither copy the maps nor compile their permissions again.
const Snapshot& system_snapshot();

struct ControlPlaneOptions {
  auth::PasswordHashCost hash_cost;
  // SPEC 2.9's limits. Only tests lower them, to reach a limit without creating 20,000 records.
  size_t max_tokens = auth::kMaxTokensPerRegistry;
  size_t max_scope_maps = auth::kMaxScopeMapsPerRegistry;  // user-defined maps; the five system maps are not counted
  // The cloud's data endpoint (host:port) and the protocol connected registries reach their parent with, for the
  // connection strings of SPEC 7.3. Empty: the cloud serves no gateway, and connection strings of CRs under the
  // cloud carry kDataEndpointPlaceholder.
  std::string data_endpoint;
  std::string scheme = "http";
  // How long a connected registry's last status report stays what the cloud shows: past this with no report, it shows
  // Offline (and says since when), as a node that went silent (down, cut off, or between its sync windows) cannot say
  // so itself. Zero: a report stays shown until the next, however old. Set it above (depth + 1) status intervals of
  // the deepest node: a relay passes its subtree's reports up once per interval of its own.
  Nanoseconds status_offline_after = std::chrono::minutes(5);
};

// Filters of GET /mgmt/v1/connectedRegistries (SPEC 7.2); absent = any. Values are checked (400 for an unknown mode or
// state, which would otherwise silently match nothing).
struct ConnectedRegistryFilter {
  std::optional<std::string> parent;            // direct children of this CR
  std::optional<std::string> mode;              // ReadWrite | ReadOnly (aliases Registry | Mirror)
  std::optional<std::string> connection_state;  // Online | Offline | Syncing | Unhealthy
};

// How many notifications the cloud keeps per CR for GET .../notifications (the newest).
inline constexpr size_t kMaxNotificationsPerConnectedRegistry = 1000;
inline constexpr std::string_view kDataEndpointPlaceholder = "<data-endpoint>";

class ControlPlane {
 public:
  // Loads the store's records into the first snapshot.
  ControlPlane(ControlStore& store, const Clock& clock, Random& random, ControlPlaneOptions options = {});

  std::shared_ptr<const Snapshot> snapshot() const;
  const ControlPlaneOptions& options() const { return options_; }

  // The admin user's password (SPEC 7.1): `from_file` when given (replacing any stored hash; the caller has already
  // dropped the file's trailing newline; an empty one throws std::invalid_argument), else the stored one, else a
  // generated one. Returns the password only when it was generated now, for the caller to print once.
  std::optional<std::string> ensure_admin(const std::optional<std::string>& from_file);

  // Node settings kept with the control plane (the JWT signing key PEM, the instance id).
  std::optional<std::string> setting(std::string_view key) const;
  void put_setting(std::string_view key, std::string_view value);

  // Management operations (SPEC 7.2). Bodies and answers are the API's JSON; errors are ApiError with the codes of
  // SPEC 7.2 (INVALID_REQUEST, NOT_FOUND, DENIED for system scope maps, CONFLICT, LIMIT_EXCEEDED). A null body reads
  // as an empty object; unknown members and wrongly typed ones are refused (400). Lists answer a JSON array sorted by
  // name. The body members each operation takes:
  //   put_scope_map:   "actions" (required), "description", "name" and "type" ("UserDefined") if present must match.
  //   patch_scope_map: "description", "actions" (replaces the list), "addActions", "removeActions" (applied in that
  //                    order; removing an absent action is not an error), modelled on the --add/--remove
  //                    options of `az acr scope-map update`.
  //   put_token:       "scopeMap" (required; an existing map, else 400), "status" (default "enabled", also when
  //                    replacing); on creation only: "noPasswords" (true: no password is generated) and "expiry"
  //                    (RFC 3339, for both generated passwords). On an existing token PUT replaces scopeMap and status
  //                    and leaves the passwords alone, so a retried create succeeds (200) without rotating anything.
  //                    Token names follow SPEC 3.3 and may not be "admin" (the admin user, SPEC 7.1).
  //   patch_token:     "scopeMap", "status".
  //   generate_credentials: "name" ("password1" | "password2"; absent = both), "expiry" (absent = never).
  //
  // Connected registries (SPEC 2, 7.2; names are lowercased on input, in the path as in the body):
  //   put_connected_registry:   create (201) or replace (200). Members: "name", "mode" (default ReadWrite), "parent"
  //                    (null = the cloud), "repositories", "clientTokens", "sync" {"token", "schedule", "window",
  //                    "messageTtl"}, "notifications", "logging" {"level"}, "gc" {"enabled", "schedule"}; the status
  //                    members of a GET answer are accepted and ignored, so an answer can be sent back. "mode",
  //                    "parent" and "sync.token" are immutable (on replace, if present they must be unchanged;
  //                    "sync.token" on create must be absent or "<name>-sync-token"). On replace, absent settings take
  //                    their defaults, except "repositories": absent keeps them, a list is applied as permissions
  //                    add (what is new) and remove (what is gone). Creation makes "<name>-sync-scope-map" and
  //                    "<name>-sync-token" (SPEC 2.4; replacing any of those names), extends every ancestor's sync
  //                    scope map, and answers the resource plus "syncToken" {"name", "passwords" (with values)} and
  //                    "connectionString" (with password1).
  //   patch_connected_registry: the mutable members of the PUT body ("sync.token", "mode", "parent" only if
  //                    unchanged), plus "addClientTokens", "removeClientTokens", "addNotifications",
  //                    "removeNotifications" (applied after the full lists, in that order). Setting the schedule to
  //                    "* * * * *" without naming "sync.window" clears the window (continuous sync, as ACR does).
  //   update_connected_registry_permissions: {"add": [...], "remove": [...]} (SPEC 2.5; a repository in both is
  //                    refused): add goes to its sync scope map and every ancestor's (with this CR's mode actions),
  //                    remove to its own and every descendant's (all five actions).
  //   delete_connected_registry: 409 while it has children; `cleanup` as SPEC 2.10. Without cleanup the sync token and
  //                    map stay; the token is disabled and retired (Snapshot::retired_sync_tokens), so that it is
  //                    accepted nowhere even if enabled again, and may not become a client token (SPEC 2.10).
  //   connection_string: {"password": "password1" | "password2" (absent: none regenerated, the string carries
  //                    kPasswordPlaceholder), "protocol": "http" | "https" (default: options().scheme)} ->
  //                    {"connectionString", "syncToken": {"name", "passwords": [the regenerated one, with value]}}.
  //   deactivate_connected_registry, resync_connected_registry: 200 with the resource.
  struct Result {
    int status = 200;  // 200, 201 or 204
    nlohmann::json body;
  };
  Result list_scope_maps() const;
  Result get_scope_map(std::string_view name) const;
  Result put_scope_map(std::string_view name, const nlohmann::json& body);    // create (201) or replace (200)
  Result patch_scope_map(std::string_view name, const nlohmann::json& body);  // partial, incl. add/remove lists
  Result delete_scope_map(std::string_view name);                             // 409 while a token uses it
  Result list_tokens() const;
  Result get_token(std::string_view name) const;
  Result put_token(std::string_view name, const nlohmann::json& body);  // create answers 201 with password values
  Result patch_token(std::string_view name, const nlohmann::json& body);
  Result delete_token(std::string_view name);
  Result generate_credentials(std::string_view name, const nlohmann::json& body);

  Result list_connected_registries(const ConnectedRegistryFilter& filter = {}) const;
  Result get_connected_registry(std::string_view name) const;
  Result put_connected_registry(std::string_view name, const nlohmann::json& body);
  Result patch_connected_registry(std::string_view name, const nlohmann::json& body);
  Result delete_connected_registry(std::string_view name, bool cleanup);
  Result deactivate_connected_registry(std::string_view name);
  Result resync_connected_registry(std::string_view name);
  Result update_connected_registry_permissions(std::string_view name, const nlohmann::json& body);
  Result connection_string(std::string_view name, const nlohmann::json& body);
  Result list_notifications(std::string_view name) const;  // a JSON array, oldest first

  // Gateway-facing operations (the data endpoint calls them; no JSON API). Unknown CRs throw ApiError 404 NOT_FOUND.
  // SPEC 2.7: one running instance per CR. Activating with the id already recorded (a restart on the same data
  // directory) succeeds; another id throws ApiError 409 ALREADY_ACTIVATED until deactivate(). Persisted.
  void activate(std::string_view name, std::string_view instance_id);
  void deactivate(std::string_view name);
  // Status as the node reports it (SPEC 5.3). Kept in memory beside the snapshots, not in them (it changes on every
  // report and must not copy a snapshot), and written to the store only when the process stops gracefully
  // (keep_reported_statuses): after that restart each CR shows its last report, aged by the wall clock; after a crash
  // a CR is Offline until it reports.
  void report_status(std::string_view name, ConnectedRegistryStatus status);
  // The same, for a CR the caller found by `name` in `found_in`, a snapshot() of this control plane: while that is
  // still the current snapshot, the CR is known to exist and is not searched for again (the cloud takes in every
  // node's report each interval, and that search read a dozen cold entries of a fleet's thousands).
  void report_status(const Snapshot& found_in, std::string_view name, ConnectedRegistryStatus status);
  std::optional<ConnectedRegistryStatus> status(std::string_view name) const;  // nothing if it never reported
  // Writes every CR's last report, with when it reached the cloud, for the next start to take back (once).
  void keep_reported_statuses();
  // Events the node forwarded (SPEC 5.3), listed by GET .../notifications; the newest
  // kMaxNotificationsPerConnectedRegistry are kept, in memory only.
  void add_notifications(std::string_view name, std::vector<nlohmann::json> events);

  // control_plane_impl.h: shared by the files that implement the operations (named here so that their helpers can
  // name it too; it is defined only there).
  class Impl;

 private:
  std::shared_ptr<Impl> impl_;
  ControlPlaneOptions options_;
};

}  // namespace outpost::control
