#pragma once
// The one access decision (SPEC 4.3): may this request use its route, and if not, what is answered. Every node asks it
// for every request; the registry layer gathers the inputs (route, credentials checked against the token table, the
// node's role) and renders the refusal (JSON body, WWW-Authenticate).
//
// Order of checks, so that what an answer reveals never depends on something a later check protects:
//   0. endpoint (SPEC 1.2; cloud) and, at a connected registry, whether it is disabled (SPEC 2.6: 503)
//   1. authentication and acceptance at this node (SPEC 4.1, 4.2)           -> 401 UNAUTHORIZED + challenge
//   2. a write at a ReadOnly connected registry                             -> 403 DENIED
//   3. the route's actions (SPEC 3.6): Basic -> 403 DENIED; Bearer -> 401 + error="insufficient_scope"
//   4. a repository this connected registry does not sync                   -> 404 NAME/MANIFEST/BLOB_UNKNOWN
#include <optional>
#include <string>
#include <string_view>

#include "reference/auth/docker_scope.h"
#include "reference/auth/permission_set.h"
#include "reference/auth/route_needs.h"

namespace outpost::auth {

// What checking the request's credentials came to. Failures are told apart for logs and tests only: they all answer
// the same bytes (SPEC 4.5).
enum class CredentialState {
  None,                // no Authorization header
  UnknownToken,
  WrongPassword,
  Disabled,            // right password, token disabled
  PasswordExpired,
  InvalidBearerToken,  // a JWT that fails verification (signature, alg, aud, exp, nbf)
  DisabledSyncToken,   // a connected registry's sync token, disabled, with its right password (SPEC 2.6)
  ValidToken,          // an enabled token with a valid password or a verified JWT
  Admin,               // the admin user (SPEC 7.1)
};

enum class Presentation { Basic, Bearer };

// Views: the pointed-to objects must outlive the call. Kept as pointers so the hot path copies nothing.
struct Credentials {
  CredentialState state = CredentialState::None;
  Presentation presented = Presentation::Basic;
  // ValidToken: the token's scope map as it is now (so scope-map changes apply from the next request, SPEC 4.1, even
  // to a JWT issued before them). Null grants nothing.
  const PermissionSet* permissions = nullptr;
  // Bearer: the JWT's access claim. What a request may do is the claim intersected with `permissions`.
  const GrantedAccess* granted = nullptr;
  // ValidToken and DisabledSyncToken: is this token accepted at this node? (SPEC 4.1: sync tokens of CRs under a CR
  // are not accepted at the cloud; SPEC 4.2: the rules at a connected registry.) Computed by the caller.
  bool accepted_at_node = true;
  // ValidToken: the token is a connected registry's sync token. At a connected registry only such a token (a direct
  // child's, the only sync tokens it accepts) brings its gateway actions (SPEC 4.2(b)); a client token is accepted
  // "with its repository actions" (4.2(a)), whatever else its scope map holds. At the cloud every accepted token has
  // all its actions (4.1). Computed by the caller.
  bool sync_token = false;
};

enum class NodeRole { Cloud, ConnectedRegistry };
enum class RegistryMode { ReadWrite, ReadOnly };
enum class Endpoint { LoginServer, DataEndpoint };

struct NodeView {
  NodeRole role = NodeRole::Cloud;
  // Cloud: the endpoint this request arrived on. A connected registry has one endpoint for everything (SPEC 1.2).
  Endpoint endpoint = Endpoint::LoginServer;
  std::string_view login_server;   // cloud: named when an API request reaches the data endpoint ("" = not known)
  std::string_view data_endpoint;  // cloud: named when a gateway request reaches the login server; "" = none, so the
                                   // cloud serves no gateway (SPEC 1.2)
  RegistryMode mode = RegistryMode::ReadWrite;  // connected registry
  bool cr_disabled = false;  // connected registry: its sync token is disabled (SPEC 2.6) or it was turned down (2.7)
  bool repository_synced = true;                // connected registry: the route's repository is in its sync scope
};

struct Denial {
  int status = 0;  // 401, 403, 404 or 503
  std::string code;
  std::string message;
  bool challenge = false;           // send WWW-Authenticate: Bearer realm=...,service=...[,scope=...]
  std::string challenge_scope;      // the scope= value, "" for none (SPEC 3.6)
  bool insufficient_scope = false;  // add error="insufficient_scope" to the challenge
  friend bool operator==(const Denial&, const Denial&) = default;
};

// Exact texts the SPEC prescribes (4.3, 2.6), and the one 401 message every credential failure shares (4.5).
inline constexpr std::string_view kNotAllowedOnThisRegistry = "This operation is not allowed on this registry.";
inline constexpr std::string_view kInsufficientScopes = "Insufficient scopes to perform the operation";
inline constexpr std::string_view kConnectedRegistryDisabled = "connected registry disabled";
inline constexpr std::string_view kAuthenticationRequired = "authentication required";

// Nothing when the request may proceed.
std::optional<Denial> decide(const RouteNeeds& route, const Credentials& credentials, const NodeView& node);

}  // namespace outpost::auth
