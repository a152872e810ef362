#pragma once
// Who a request is: checks its credentials against the control plane's current snapshot and says what they came to,
// in auth::decide's vocabulary. Shared by the access policy (every registry request) and the token endpoint (logins
// and refresh tokens), so both apply the same rules:
//  - Basic with the admin user (SPEC 7.1) or a token name and either password (SPEC 3.3, 4.1). Verified passwords are
//    remembered in an auth::CredentialCache keyed by the token's generation, so any change to its credentials forgets
//    them; the last one per token is also kept beside its facts for the current snapshot (token_facts.h), where the
//    usual request finds it. Permissions are never cached: every Identity takes them from the snapshot it was checked
//    against.
//    An unknown name is hashed against auth::dummy_hash and every failure hashes twice (once per password slot, a
//    dummy for an empty slot), so failures take the same time whatever the token's state (SPEC 4.5).
//  - Failed Basic logins are rate-limited per (name, client address); see LoginLimiter and rate_limited() below.
//    Names and passwords beyond the Basic header's bounds (authorization_header.h) fail at once, whatever path they
//    came by.
//  - Bearer: an access token this node issued (node_token.h), whose subject still exists at the generation and with
//    the passwords it was issued for, is enabled and has a usable password. A scope-map change leaves it valid; its
//    access claim is then bounded by the map as it is now (auth::decide, SPEC 4.1).
//  - Refresh tokens (token endpoint only): the same subject checks.
#include <array>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "reference/auth/credential_cache.h"
#include "reference/auth/decision.h"
#include "reference/auth/jwt.h"
#include "reference/auth/password.h"
#include "reference/common/clock.h"
#include "reference/common/error.h"
#include "reference/common/http.h"
#include "reference/control/control_plane.h"
#include "reference/registry/auth/bearer_cache.h"
#include "reference/registry/auth/login_limiter.h"
#include "reference/registry/auth/node_token.h"
#include "reference/registry/auth/service_naming.h"
#include "reference/registry/auth/token_facts.h"

namespace outpost::registry {

// Where the current control-plane state comes from: ControlPlane::snapshot() on a node, a fixed Snapshot in tests.
using SnapshotSource = std::function<std::shared_ptr<const control::Snapshot>()>;
// The keys bearer tokens are verified with, asked at each verification (a node makes its key on first use).
using KeySource = std::function<const auth::KeySet&()>;

struct AuthenticatorOptions {
  // Must be the control plane's cost, so the dummy hash of an unknown name costs what a real one does.
  auth::PasswordHashCost hash_cost;
  // The hashes checked here were made by another node (a connected registry holds its parent's): the dummy is made
  // at their cost (dummy_hash_cost), not at `hash_cost`. Where they are made here (the cloud), `hash_cost` is what
  // every token made since the setting took effect costs.
  bool hashes_made_elsewhere = false;
  std::string issuer = "outpost";  // `iss` of the tokens this node issues, and the only one it accepts
  Nanoseconds jwt_leeway = auth::kDefaultJwtLeeway;
  LoginLimits login_limits;
  size_t cache_capacity = auth::kDefaultCacheCapacity;
  Nanoseconds cache_ttl = auth::kDefaultCredentialTtl;                    // verified access tokens
  Nanoseconds password_cache_ttl = auth::kDefaultPasswordCacheTtl;  // verified passwords (Basic, password grant)
  // Both rules below must depend on nothing but the snapshot and the token: their answers are remembered per snapshot
  // (token_facts.h).
  // SPEC 4.1/4.2: is this valid token accepted at this node? Absent: every token is (the cloud, until connected
  // registries exist; their rules plug in here).
  std::function<bool(const control::Snapshot&, const auth::Token&)> accepts;
  // Is this token a connected registry's sync token? A disabled one presented with its right password then answers
  // 403 "connected registry disabled" instead of the anonymous 401 (SPEC 2.6); an enabled one brings its gateway
  // actions at a connected registry, where client tokens bring only their repository actions (SPEC 4.2).
  std::function<bool(const control::Snapshot&, const auth::Token&)> is_sync_token;
};

// What a request's credentials came to. Holds the snapshot and the verified JWT it points into, so the views in
// credentials() stay valid as long as the Identity lives.
struct Identity {
  auth::CredentialState state = auth::CredentialState::None;
  auth::Presentation presented = auth::Presentation::Basic;
  std::string subject;      // the token name or control::kAdminUser; empty for None
  uint64_t generation = 0;  // the subject's generation in `snapshot`
  bool accepted_at_node = true;
  bool sync_token = false;  // ValidToken: a connected registry's sync token (auth::Credentials::sync_token)
  int password_slot = 0;    // ValidToken: the password it logged in with (0 = password1), or its JWT's (NodeToken)
  std::shared_ptr<const control::Snapshot> snapshot;
  const auth::PermissionSet* permissions = nullptr;  // ValidToken: the token's scope map, now
  std::shared_ptr<const VerifiedBearer> bearer;      // Bearer: the verified access token

  bool admin() const { return state == auth::CredentialState::Admin; }
  bool valid() const { return admin() || state == auth::CredentialState::ValidToken; }
  auth::Credentials credentials() const;
};

class Authenticator {
 public:
  Authenticator(SnapshotSource snapshots, auth::KeySet keys, const Clock& clock, AuthenticatorOptions options = {});
  Authenticator(SnapshotSource snapshots, KeySource keys, const Clock& clock, AuthenticatorOptions options = {});

  // The request's Authorization header. Access tokens must name naming.service_for(request) as their audience (worked
  // out only for one: most requests carry Basic credentials). Throws rate_limited() when failed Basic logins for this
  // name from this client are over the limit.
  Identity authenticate(const http::Request& request, const ServiceNaming& naming);
  // A name and password (Basic, or the token endpoint's password grant) from `client` (an address). Throws
  // rate_limited() like authenticate().
  Identity authenticate_password(std::string_view name, std::string_view password, std::string_view client);
  Identity authenticate_bearer(std::string_view jwt, std::string_view service);
  Identity authenticate_refresh(std::string_view jwt, std::string_view service);

  const AuthenticatorOptions& options() const { return options_; }
  const Clock& clock() const { return clock_; }

 private:
  Identity for_subject(std::shared_ptr<const control::Snapshot> snapshot, const NodeToken& token,
                       auth::Presentation presented);
  // Where a login came from. A request's remote address is cut down to its client address (client_address) only
  // when the login reaches the rate limiter: the usual request, answered from the caches, never reads it.
  struct LoginSource {
    std::string_view address;
    bool remote_address = false;  // a request's remote address, not cut down yet
    std::string_view client() const { return remote_address ? client_address(address) : address; }
  };
  Identity login(std::string_view name, std::string_view password, LoginSource source);
  Identity admin_password(std::shared_ptr<const control::Snapshot> snapshot, std::string_view password,
                          LoginSource source);
  class AdmittedCheck;  // a password check the failed-login limiter admitted (throws 429 when it does not)

  SnapshotSource snapshots_;
  const KeySource keys_;
  const Clock& clock_;
  const AuthenticatorOptions options_;
  TokenFactsMemo token_facts_;  // after options_, whose rules it takes
  auth::CredentialCache tokens_;
  auth::CredentialCache admin_;  // apart from tokens_, so no token name can ever share an entry with the admin user
  BearerCache bearers_;
  LoginLimiter limiter_;
};

// SPEC 4.5 allows nothing but the one 401 for a wrong credential; too many of them from one client answer this
// instead. Decision: 429 TOOMANYREQUESTS (the distribution-spec code) with Retry-After, not a 401: it reveals
// nothing more (the limiter counts unknown names, wrong and right passwords of disabled or expired tokens alike, and
// its state is made of the client's own failures), it tells a legitimate client that retrying now is pointless, and
// it is not a verdict on the credentials: the refused attempt was never checked. The body is the same bytes for every
// name.
ApiError rate_limited(Nanoseconds retry_after);

// A short digest of the password hashes the subject holds now (salted, so regenerating a password always changes
// it). Tokens issued to a subject carry it beside `gen`: generations are counted per control plane, so after a restart a
// number may come round again, but a regenerated password's digest never does.
std::string credential_fingerprint(const control::Snapshot& snapshot, std::string_view subject);

// Where a node verifies hashes made elsewhere (AuthenticatorOptions::hashes_made_elsewhere), the cost a dummy hash
// must have to take as long as they do (SPEC 4.5): that of the token's own hashes when one of its slots is empty,
// otherwise that of the first token holding one, else `fallback` (the node's setting). A connected registry holds hashes its parent made, at the parent's cost; its own setting would make an
// unknown name answer faster (or slower) than a wrong password.
auth::PasswordHashCost dummy_hash_cost(const control::Snapshot& snapshot, const auth::Token* token,
                                       const auth::PasswordHashCost& fallback);

}  // namespace outpost::registry
