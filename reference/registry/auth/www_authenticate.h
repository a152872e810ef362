#pragma once
// The Bearer challenge of the Docker token flow (SPEC 3.4), rendered for 401 answers and parsed back (by tests, and by
// whatever in Outpost talks to another node's token endpoint):
//   Bearer realm="<scheme>://<Host>/oauth2/token",service="<Host>",scope="<scope>"[,error="insufficient_scope"]
// Values travel as RFC 7230 quoted-strings. Parts of them come from the request (Host, repository names in a mount's
// `from`), so rendering escapes '"' and '\' and drops control bytes: a header can never be split or re-quoted. Pure: a
// fuzz target drives the parser.
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace outpost::registry {

struct BearerChallenge {
  std::string realm;
  std::string service;
  std::string scope;                // "" = no scope parameter (GET /v2/, metrics, management)
  bool insufficient_scope = false;  // error="insufficient_scope" (SPEC 4.3 step 3, Bearer)
  friend bool operator==(const BearerChallenge&, const BearerChallenge&) = default;
};

std::string render_challenge(const BearerChallenge& challenge);
// `Basic realm="<realm>"`: where no token endpoint serves the caller (the cloud's data endpoint), a Bearer challenge
// would send a client to one that refuses it.
std::string render_basic_challenge(std::string_view realm);

// One challenge: a scheme and its auth-params, names lowercased. Nothing for token68 challenges, several challenges
// in one value, duplicate parameter names, unterminated quotes or anything else RFC 7235 does not allow.
struct ParsedChallenge {
  std::string scheme;  // as written; compare case-insensitively
  std::map<std::string, std::string> params;
};
std::optional<ParsedChallenge> parse_challenge(std::string_view value);

// A Bearer challenge's realm, service, scope and error, when the scheme is Bearer and realm is present.
std::optional<BearerChallenge> parse_bearer_challenge(std::string_view value);

}  // namespace outpost::registry
