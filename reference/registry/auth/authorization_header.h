#pragma once
// The Authorization request header (RFC 7235 framing, RFC 7617 Basic, RFC 6750 Bearer), parsed without trusting it.
// The scheme is case-insensitive; Basic credentials must be canonical base64 (auth::base64_decode is strict) holding
// "name:password"; a Bearer token must be token68. Everything else is Malformed, which the node answers exactly as it
// answers wrong credentials (SPEC 4.5), so a parser quirk never tells a client anything. Pure: a fuzz target drives it.
#include <cstddef>
#include <string>
#include <string_view>

#include "reference/common/http.h"

namespace outpost::registry {

enum class AuthorizationScheme {
  None,       // no Authorization header
  Basic,      // username and password are set
  Bearer,     // token is set
  Other,      // a well-formed header with a scheme Outpost does not take (Digest, Negotiate, ...): no credentials
  Malformed,  // several Authorization headers, bad framing, bad base64, no ':' in Basic, oversized, control bytes
};

// The credentials are views into the one buffer the Authorization owns (Basic: the decoded "name:password", split at
// its first ':'; Bearer: the token), so parsing a request's header makes one string, not one per part. The views live
// as long as the Authorization; copies and moves take their own.
class Authorization {
 public:
  Authorization() = default;
  explicit Authorization(AuthorizationScheme scheme) : scheme(scheme) {}
  // `decoded` is "name:password" with its first ':' at `colon`.
  static Authorization basic(std::string decoded, size_t colon);
  static Authorization bearer(std::string_view token);

  AuthorizationScheme scheme = AuthorizationScheme::None;
  // Basic: never empty, never contains ':' or control bytes.
  std::string_view username() const {
    return scheme == AuthorizationScheme::Basic ? std::string_view(text_).substr(0, colon_) : std::string_view();
  }
  // Basic: may be empty; never contains control bytes.
  std::string_view password() const {
    if (scheme != AuthorizationScheme::Basic || colon_ >= text_.size()) return {};
    return std::string_view(text_).substr(colon_ + 1);
  }
  // Bearer: token68 characters only.
  std::string_view token() const {
    return scheme == AuthorizationScheme::Bearer ? std::string_view(text_) : std::string_view();
  }
  friend bool operator==(const Authorization&, const Authorization&) = default;

 private:
  std::string text_;
  size_t colon_ = 0;  // Basic: where `text_` splits
};

// Bounds that keep hashing and parsing cheap whatever a client sends. Token names are at most 50 characters and sync
// token names about 60; generated passwords are 44. The Bearer bound is the JWT parser's own.
inline constexpr size_t kMaxBasicUsernameBytes = 256;
inline constexpr size_t kMaxBasicPasswordBytes = 1024;
inline constexpr size_t kMaxBearerTokenBytes = 64 * 1024;

// One header value.
Authorization parse_authorization(std::string_view value);
// A request's headers: none -> None, exactly one -> parse_authorization, several -> Malformed (which one would count
// is ambiguous, and proxies disagree).
Authorization parse_authorization(const http::Headers& headers);

}  // namespace outpost::registry
