#pragma once
// The token endpoint of the Docker token flow (SPEC 3.4), at /oauth2/token and /acr/oauth2/token:
//   GET  with Basic credentials; `service`; `scope` repeated or space-separated; `offline_token=true` adds a refresh
//        token.
//   POST application/x-www-form-urlencoded: grant_type=password with username and password (access_type=offline adds
//        a refresh token), or grant_type=refresh_token with refresh_token; `service`, `scope`.
// Answers {"token", "access_token", "expires_in", "issued_at"[, "refresh_token"]}. The access token is an ES256 JWT
// (node_token.h) whose `access` claim is what was asked intersected with what the identity may do now (asking for more
// is not an error, and scopes that do not parse are left out). Refresh tokens are JWTs too, refused once their token is
// disabled, deleted or has a password changed (generation and credential claims); a scope-map change leaves them
// valid, and the tokens they then get carry the map as it is now (SPEC 3.4, 4.1).
//
// Failures: 401 with the Bearer challenge for credentials that do not authenticate or are not accepted at this node,
// the same bytes whatever the reason (SPEC 4.5); 429 when the client's failed logins are over the limit; 400
// INVALID_REQUEST for a malformed request (missing or repeated fields, unknown grant_type, another service, a body
// that is not a form); 405 for other methods. Whatever auth::decide refuses before credentials for the node it is
// given (NodeFacts, refined per login as for any request): 403 at the cloud's data endpoint, which serves only the
// gateway (SPEC 1.2), and 503 at a disabled connected registry (SPEC 2.6).
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "reference/auth/jwt.h"
#include "reference/common/clock.h"
#include "reference/common/http.h"
#include "reference/common/random.h"
#include "reference/registry/auth/authenticator.h"
#include "reference/registry/auth/service_naming.h"
#include "reference/registry/auth/token_access_policy.h"

namespace outpost::registry {

struct TokenEndpointOptions {
  Nanoseconds access_token_lifetime = std::chrono::minutes(5);  // SPEC 3.4
  // Decision: 30 days, as long-lived as a `docker login` session should be; revocation does not wait for it
  // (disabling or deleting the token, or changing a password, ends its refresh tokens at once).
  Nanoseconds refresh_token_lifetime = std::chrono::hours(24 * 30);
  size_t max_form_bytes = 64 * 1024;
};

class TokenEndpoint final : public http::Handler {
 public:
  // Every reference must outlive the endpoint. `key` signs; its public half must be in the authenticator's KeySet.
  TokenEndpoint(Authenticator& authenticator, const auth::SigningKey& key, ServiceNaming naming, NodeFacts node,
                Random& random, TokenEndpointOptions options = {});
  // The key asked for at each token issued (a node makes its key on first use).
  using KeySource = std::function<const auth::SigningKey&()>;
  TokenEndpoint(Authenticator& authenticator, KeySource key, ServiceNaming naming, NodeFacts node, Random& random,
                TokenEndpointOptions options = {});

  std::unique_ptr<http::Call> start(http::Request request) override;

  static bool serves(std::string_view path) { return path == "/oauth2/token" || path == "/acr/oauth2/token"; }

  // The answer for an authenticated identity (exposed for the POST call and tests). Throws ApiError.
  struct Ask {
    std::string scope;  // space-separated scopes, as given
    bool offline = false;
  };
  http::Response issue(const http::Request& request, const Identity& identity, const Ask& ask);

 private:
  friend class TokenFormCall;
  http::Response answer_get(const http::Request& request);
  http::Response answer_form(const http::Request& request, std::string_view body);
  std::string service_for(const http::Request& request, const std::optional<std::string>& asked) const;

  Authenticator& authenticator_;
  const KeySource key_;
  const ServiceNaming naming_;
  const NodeFacts node_;
  Random& random_;
  const TokenEndpointOptions options_;
};

}  // namespace outpost::registry
