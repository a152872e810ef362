#pragma once
// The node's control plane: tokens, scope maps and the admin user, with the validation rules of SPEC 2.9, 3 and 7.
// Requests read it through immutable snapshots (one atomic shared_ptr load per request, no lock held while
// authenticating); every change publishes a new snapshot and persists through the ControlStore seam before returning.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reference/auth/limits.h"
#include "reference/auth/password.h"
#include "reference/auth/permission_set.h"
#include "reference/auth/scope_map.h"
#include "reference/auth/token.h"
#include "reference/common/clock.h"
#include "reference/common/random.h"
#include "reference/control/control_store.h"

namespace outpost::control {

inline constexpr std::string_view kAdminUser = "admin";  // SPEC 7.1

// What authentication reads. Immutable once published.
struct Snapshot {
  uint64_t version = 0;  // bumps on every change
  std::map<std::string, auth::Token, std::less<>> tokens;
  // Every scope map a token may name: the user-defined ones and the five system maps, with compiled permissions.
  std::map<std::string, auth::ScopeMap, std::less<>> scope_maps;
  std::map<std::string, auth::PermissionSet, std::less<>> permissions;
  // Per token: bumps on any change that affects what the token can do or which passwords work (status, passwords,
  // expiry, its scope map or that map's actions, deletion and re-creation). Caches of verified credentials and refresh
  // tokens are keyed by it, so every such change takes effect on the next request. Values come from one process-wide
  // counter: a name deleted and re-created never gets a generation it had before. The admin user has an entry too
  // (kAdminUser, which no token may be named), bumped when its password changes.
  std::map<std::string, uint64_t, std::less<>> generations;
  std::string admin_password_hash;

  const auth::Token* token(std::string_view name) const;
  const auth::PermissionSet* permissions_of(const auth::Token& token) const;  // null if its scope map is gone
  uint64_t generation(std::string_view token_name) const;                     // 0 for unknown names
};

struct ControlPlaneOptions {
  auth::PasswordHashCost hash_cost;
  // SPEC 2.9's limits. Only tests lower them, to reach a limit without creating 20,000 records.
  size_t max_tokens = auth::kMaxTokensPerRegistry;
  size_t max_scope_maps = auth::kMaxScopeMapsPerRegistry;  // user-defined maps; the five system maps are not counted
};

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

 private:
  class Impl;  // control_plane_impl.h: shared by the files that implement the operations
  std::shared_ptr<Impl> impl_;
  ControlPlaneOptions options_;
};

}  // namespace outpost::control
