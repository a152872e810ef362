#include "reference/registry/auth/www_authenticate.h"

#include <strings.h>

#include "reference/common/ascii.h"
#include "reference/registry/auth/header_chars.h"

namespace outpost::registry {

namespace {
void quote_into(std::string& out, std::string_view value) {
  out.push_back('"');
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) continue;
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

void append_param(std::string& out, std::string_view name, std::string_view value) {
  if (out.back() != ' ') out.push_back(',');
  out.append(name);
  out.push_back('=');
  quote_into(out, value);
}

class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}
  bool done() const { return pos_ >= text_.size(); }
  char peek() const { return text_[pos_]; }
  void skip_whitespace() {
    while (!done() && is_whitespace(peek())) ++pos_;
  }
  std::string_view token() {
    const size_t start = pos_;
    while (!done() && is_tchar(static_cast<unsigned char>(peek()))) ++pos_;
    return text_.substr(start, pos_ - start);
  }
  bool take(char c) {
    if (done() || peek() != c) return false;
    ++pos_;
    return true;
  }
  // After the opening quote: the unescaped content, or nothing when the string never ends or holds a control byte.
  std::optional<std::string> quoted_rest() {
    std::string value;
    while (!done()) {
      const char c = text_[pos_++];
      const auto byte = static_cast<unsigned char>(c);
      if (c == '"') return value;
      if (c == '\\') {
        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ) (RFC 9110): an escaped control byte is still refused
        // (found by fuzz_auth_headers).
        if (done()) return std::nullopt;
        const char escaped = text_[pos_++];
        const auto escaped_byte = static_cast<unsigned char>(escaped);
        if ((escaped_byte < 0x20 && escaped != '\t') || escaped_byte == 0x7f) return std::nullopt;
        value.push_back(escaped);
        continue;
      }
      if ((byte < 0x20 && c != '\t') || byte == 0x7f) return std::nullopt;
      value.push_back(c);
    }
    return std::nullopt;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

std::string render_challenge(const BearerChallenge& challenge) {
  std::string out = "Bearer ";
  append_param(out, "realm", challenge.realm);
  append_param(out, "service", challenge.service);
  if (!challenge.scope.empty()) append_param(out, "scope", challenge.scope);
  if (challenge.insufficient_scope) append_param(out, "error", "insufficient_scope");
  return out;
}

std::string render_basic_challenge(std::string_view realm) {
  std::string out = "Basic ";
  append_param(out, "realm", realm);
  return out;
}

std::optional<ParsedChallenge> parse_challenge(std::string_view value) {
  Cursor cursor(value);
  cursor.skip_whitespace();
  ParsedChallenge parsed;
  parsed.scheme = std::string(cursor.token());
  if (parsed.scheme.empty()) return std::nullopt;
  cursor.skip_whitespace();
  // A challenge may have no params at all; after a ',' one must follow (a trailing ',' finds no name and is refused).
  bool first = true;
  while (!cursor.done()) {
    if (!first) {
      if (!cursor.take(',')) return std::nullopt;
      cursor.skip_whitespace();
    }
    first = false;
    const std::string name = ascii_lowercase(cursor.token());
    if (name.empty()) return std::nullopt;
    cursor.skip_whitespace();
    if (!cursor.take('=')) return std::nullopt;  // token68 challenges and a second challenge's scheme end up here
    cursor.skip_whitespace();
    std::string param_value;
    if (cursor.take('"')) {
      auto quoted = cursor.quoted_rest();
      if (!quoted) return std::nullopt;
      param_value = std::move(*quoted);
    } else {
      param_value = std::string(cursor.token());
      if (param_value.empty()) return std::nullopt;
    }
    if (!parsed.params.emplace(name, std::move(param_value)).second) return std::nullopt;
    cursor.skip_whitespace();
  }
  return parsed;
}

std::optional<BearerChallenge> parse_bearer_challenge(std::string_view value) {
  auto parsed = parse_challenge(value);
  if (!parsed || parsed->scheme.size() != 6 || strncasecmp(parsed->scheme.data(), "Bearer", 6) != 0)
    return std::nullopt;
  const auto realm = parsed->params.find("realm");
  if (realm == parsed->params.end()) return std::nullopt;
  BearerChallenge challenge;
  challenge.realm = realm->second;
  if (auto it = parsed->params.find("service"); it != parsed->params.end()) challenge.service = it->second;
  if (auto it = parsed->params.find("scope"); it != parsed->params.end()) challenge.scope = it->second;
  if (auto it = parsed->params.find("error"); it != parsed->params.end())
    challenge.insufficient_scope = it->second == "insufficient_scope";
  return challenge;
}

}  // namespace outpost::registry
