#include "reference/registry/auth/authorization_header.h"

#include <array>
#include <cstdint>
#include <cstring>

#include "reference/auth/base64.h"
#include "reference/common/ascii.h"
#include "reference/registry/auth/header_chars.h"

namespace outpost::registry {

namespace {
std::string_view trim(std::string_view text) {
  while (!text.empty() && is_whitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_whitespace(text.back())) text.remove_suffix(1);
  return text;
}

// RFC 7235 token68: 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
// A table rather than a chain of comparisons: every request's credentials (about 80 characters) pass through here.
constexpr std::array<bool, 256> kToken68Characters = [] {
  std::array<bool, 256> table{};
  for (unsigned char c : std::string_view("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/"))
    table[c] = true;
  return table;
}();

bool is_token68(std::string_view text) {
  size_t end = text.size();
  while (end > 0 && text[end - 1] == '=') --end;
  if (end == 0) return false;
  for (size_t i = 0; i < end; ++i)
    if (!kToken68Characters[static_cast<unsigned char>(text[i])]) return false;
  return true;
}

bool is_control(unsigned char c) { return c < 0x20 || c == 0x7f; }

// Eight bytes at a time (every Basic request's decoded credentials, about a hundred bytes, come through here; a byte
// at a time was most of parsing them). Exact, not a filter: for every n <= 0x80, (w - n*ones) & ~w & highs is non-zero
// exactly when some byte of w is below n, and a byte equal to 0x7f is a zero byte of w ^ 0x7f*ones.
bool has_control(std::string_view text) {
  constexpr uint64_t kOnes = 0x0101010101010101, kHighs = 0x8080808080808080;
  uint64_t found = 0;
  size_t at = 0;
  for (; at + sizeof(uint64_t) <= text.size(); at += sizeof(uint64_t)) {
    uint64_t word = 0;
    std::memcpy(&word, text.data() + at, sizeof word);
    const uint64_t del = word ^ (0x7f * kOnes);
    found |= ((word - 0x20 * kOnes) & ~word & kHighs) | ((del - kOnes) & ~del & kHighs);
  }
  for (; at < text.size(); ++at) found |= is_control(static_cast<unsigned char>(text[at]));
  return found != 0;
}

Authorization malformed() { return Authorization(AuthorizationScheme::Malformed); }

Authorization parse_basic(std::string_view credentials) {
  // The largest header we take for a name and password of the bounds above, base64 (4 bytes per 3).
  constexpr size_t kMaxEncoded = (kMaxBasicUsernameBytes + 1 + kMaxBasicPasswordBytes + 2) / 3 * 4;
  if (credentials.size() > kMaxEncoded) return malformed();
  // No token68 pass first: the strict decoder refuses everything that is not canonical base64, and canonical base64
  // is token68 (its alphabet is a part of token68's, its '=' padding comes only at the end), so the answer is the same.
  auto decoded = auth::base64_decode(credentials);
  if (!decoded) return malformed();
  const size_t colon = decoded->find(':');
  if (colon == std::string::npos || colon == 0) return malformed();
  std::string_view username = std::string_view(*decoded).substr(0, colon);
  std::string_view password = std::string_view(*decoded).substr(colon + 1);
  // RFC 7617 2: neither part may hold control characters (asked of both at once: the ':' between them is none); a
  // name never holds a ':' (the first one splits).
  if (username.size() > kMaxBasicUsernameBytes || password.size() > kMaxBasicPasswordBytes || has_control(*decoded))
    return malformed();
  // Name and password stay in the decoded buffer rather than being copied out (every request has them).
  return Authorization::basic(std::move(*decoded), colon);
}

Authorization parse_bearer(std::string_view credentials) {
  if (credentials.size() > kMaxBearerTokenBytes || !is_token68(credentials)) return malformed();
  return Authorization::bearer(credentials);
}
}  // namespace

Authorization Authorization::basic(std::string decoded, size_t colon) {
  Authorization basic(AuthorizationScheme::Basic);
  basic.text_ = std::move(decoded);
  basic.colon_ = colon;
  return basic;
}

Authorization Authorization::bearer(std::string_view token) {
  Authorization bearer(AuthorizationScheme::Bearer);
  bearer.text_ = std::string(token);
  return bearer;
}

Authorization parse_authorization(std::string_view value) {
  value = trim(value);
  if (value.empty()) return malformed();
  size_t scheme_end = 0;
  while (scheme_end < value.size() && !is_whitespace(value[scheme_end])) {
    if (!is_tchar(static_cast<unsigned char>(value[scheme_end]))) return malformed();
    ++scheme_end;
  }
  const std::string_view scheme = value.substr(0, scheme_end);
  // What follows the scheme: one or more spaces, then the credentials (trailing whitespace was trimmed above).
  const std::string_view credentials = trim(value.substr(scheme_end));
  if (ascii_iequals(scheme, "Basic")) return credentials.empty() ? malformed() : parse_basic(credentials);
  if (ascii_iequals(scheme, "Bearer")) return credentials.empty() ? malformed() : parse_bearer(credentials);
  if (has_control(credentials)) return malformed();
  return Authorization(AuthorizationScheme::Other);
}

Authorization parse_authorization(const http::Headers& headers) {
  // One walk over the headers that remembers the first value and stops at a second, instead of get_all's vector:
  // every request comes through here.
  const std::string* value = nullptr;
  for (const auto& [name, entry] : headers.entries()) {
    if (!ascii_iequals(name, "Authorization")) continue;
    if (value) return malformed();
    value = &entry;
  }
  return value ? parse_authorization(*value) : Authorization{};
}

}  // namespace outpost::registry
