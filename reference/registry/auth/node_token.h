#pragma once
// The JWTs this node issues (SPEC 3.4): ES256 access tokens and refresh tokens, both auth::Claims plus two claims of
// Outpost's own:
//   gen        the token's generation when the JWT was issued (control::Snapshot::generations). A change to what logs
//              in as the token (disabled, deleted, password regenerated or its expiry edited) bumps it, so a JWT naming
//              an older generation is refused from the next request on: this is how refresh tokens are revoked. A
//              change to what the token may do (its scope map, that map's actions) does not: the JWT stays valid and
//              the permissions read from the current snapshot bound it (SPEC 4.1).
//   cred       a digest of the subject's password hashes when the JWT was issued (credential_fingerprint in
//              authenticator.h): generations are counted per control plane, so this is what still tells a regenerated
//              password after a restart.
//   pw         1 or 2: which of the token's passwords the login that led to this JWT matched (absent for the admin
//              user). The JWT is good only while that password is: a refresh token must not outlive the expiry of
//              the password it came from because the token's other password is still valid (SPEC 3.3, 4.1).
//   token_use  "access" or "refresh". A refresh token is never accepted as a Bearer credential and an access token
//              never refreshes, whatever else they share (same key, issuer and audience).
// Signing and verification reuse auth::jwt (algorithm pinned to ES256, kid, aud, exp and nbf with leeway); this file
// adds the two claims and the issuer check.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "reference/auth/jwt.h"

namespace outpost::registry {

enum class TokenUse { Access, Refresh };
std::string_view to_string(TokenUse use);  // "access" | "refresh"

struct NodeToken {
  auth::Claims claims;
  uint64_t generation = 0;
  std::string credential;
  TokenUse use = TokenUse::Access;
  std::optional<int> password_slot;  // 0 = password1, 1 = password2 (claim "pw": 1 or 2); nothing for the admin
  bool operator==(const NodeToken&) const = default;
};

// header {"alg":"ES256","typ":"JWT","kid"} . claims of auth::sign plus gen and token_use . signature.
std::string sign_node_token(const NodeToken& token, const auth::SigningKey& key);

// The token, or why it is refused (for logs; every refusal answers the same 401). Checks auth::verify's list, then
// that iss is `issuer`, gen is a non-negative integer, cred a string, pw (if present) 1 or 2 and token_use is
// `expected`.
using NodeTokenResult = std::variant<NodeToken, std::string>;
NodeTokenResult verify_node_token(std::string_view jwt, const auth::KeySet& keys, std::string_view audience,
                                  std::string_view issuer, TokenUse expected, WallTime now,
                                  Nanoseconds leeway = auth::kDefaultJwtLeeway);

}  // namespace outpost::registry
