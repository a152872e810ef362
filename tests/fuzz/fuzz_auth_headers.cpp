// libFuzzer target: the header parsers of the registry's auth layer (SPEC 3.4, 4.5) on arbitrary bytes:
// the Authorization header (one value, and several values in one request), the WWW-Authenticate challenge parsers and
// the token endpoint's form body. Nothing crashes, every accepted value keeps the promises of its header
// (authorization_header.h, www_authenticate.h, form_body.h), and what Outpost renders parses back to what it meant.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "reference/auth/base64.h"
#include "reference/common/http.h"
#include "reference/registry/auth/authorization_header.h"
#include "reference/registry/auth/form_body.h"
#include "reference/registry/auth/www_authenticate.h"

namespace {
using outpost::registry::Authorization;
using outpost::registry::AuthorizationScheme;

void check(bool condition) {
  if (!condition) std::abort();
}

bool has_control(std::string_view text) {
  for (const unsigned char c : text)
    if (c < 0x20 || c == 0x7f) return true;
  return false;
}

bool is_token68_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
         c == '_' || c == '~' || c == '+' || c == '/' || c == '=';
}

std::string without_control(std::string_view text) {
  std::string out;
  for (const char c : text)
    if (!has_control(std::string_view(&c, 1))) out.push_back(c);
  return out;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    const size_t at = text.find(separator);
    parts.push_back(text.substr(0, at));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

void check_authorization(std::string_view value) {
  const Authorization parsed = outpost::registry::parse_authorization(value);
  check(parsed.scheme != AuthorizationScheme::None);  // None is for a request without the header only
  switch (parsed.scheme) {
    case AuthorizationScheme::Basic: {
      check(!parsed.username().empty() && parsed.username().find(':') == std::string::npos);
      check(!has_control(parsed.username()) && !has_control(parsed.password()));
      check(parsed.username().size() <= outpost::registry::kMaxBasicUsernameBytes);
      check(parsed.password().size() <= outpost::registry::kMaxBasicPasswordBytes);
      check(parsed.token().empty());
      // The canonical spelling of the same credentials parses to the same thing (base64 is strict: one spelling).
      const std::string decoded = std::string(parsed.username()) + ":" + std::string(parsed.password());
      const std::string canonical = "Basic " + outpost::auth::base64_encode(decoded);
      check(outpost::registry::parse_authorization(canonical) == parsed);
      break;
    }
    case AuthorizationScheme::Bearer:
      check(!parsed.token().empty() && parsed.token().size() <= outpost::registry::kMaxBearerTokenBytes);
      for (const unsigned char c : parsed.token()) check(is_token68_char(c));
      check(parsed.username().empty() && parsed.password().empty());
      check(outpost::registry::parse_authorization("Bearer " + std::string(parsed.token())) == parsed);
      break;
    case AuthorizationScheme::Other:
    case AuthorizationScheme::Malformed:
      check(parsed.username().empty() && parsed.password().empty() && parsed.token().empty());
      break;
    case AuthorizationScheme::None:
      break;
  }
}

// Several Authorization headers in one request are refused whatever they hold; exactly one parses as its value.
void check_authorization_headers(const std::vector<std::string_view>& values) {
  outpost::http::Headers headers;
  for (const auto value : values) headers.add("Authorization", std::string(value));
  const Authorization parsed = outpost::registry::parse_authorization(headers);
  if (values.size() > 1) check(parsed.scheme == AuthorizationScheme::Malformed);
  else check(parsed == outpost::registry::parse_authorization(values.front()));
}

void check_challenge(std::string_view value) {
  const auto parsed = outpost::registry::parse_challenge(value);
  if (parsed) {
    check(!parsed->scheme.empty());
    for (const auto& [name, param] : parsed->params) {
      check(!name.empty());
      for (const char c : name) check(!(c >= 'A' && c <= 'Z'));  // names are lowercased
      for (const char c : param) check(c == '\t' || !has_control(std::string_view(&c, 1)));
    }
  }
  const auto bearer = outpost::registry::parse_bearer_challenge(value);
  if (bearer) check(parsed.has_value() && parsed->params.count("realm") == 1);
}

// What the node renders parses back to the same challenge, less the control bytes rendering drops.
void check_rendered_challenge(const std::vector<std::string_view>& parts) {
  outpost::registry::BearerChallenge challenge;
  challenge.realm = std::string(parts[0]);
  challenge.service = parts.size() > 1 ? std::string(parts[1]) : "";
  challenge.scope = parts.size() > 2 ? std::string(parts[2]) : "";
  challenge.insufficient_scope = parts.size() > 3;
  const std::string rendered = outpost::registry::render_challenge(challenge);
  check(!has_control(rendered));  // a header value that can never be split
  const auto parsed = outpost::registry::parse_bearer_challenge(rendered);
  check(parsed.has_value());
  outpost::registry::BearerChallenge expected = challenge;
  expected.realm = without_control(challenge.realm);
  expected.service = without_control(challenge.service);
  expected.scope = without_control(challenge.scope);
  check(*parsed == expected);
}

// Percent-encoding every decoded name and value gives a body that decodes to the same fields.
void check_form(std::string_view body) {
  const auto fields = outpost::registry::parse_form(body);
  if (!fields) return;
  std::string encoded;
  for (const auto& [name, value] : fields->fields()) {
    if (!encoded.empty()) encoded.push_back('&');
    encoded += outpost::http::percent_encode(name) + "=" + outpost::http::percent_encode(value);
  }
  const auto again = outpost::registry::parse_form(encoded);
  check(again.has_value());
  // A pair that decodes to an empty name and value ("=") survives; an empty pair ("&&") never reaches fields().
  check(again->fields() == fields->fields());
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  check_authorization(input);
  check_authorization_headers(split(input, '\n'));
  check_challenge(input);
  check_rendered_challenge(split(input, '\0'));
  check_form(input);
  return 0;
}
