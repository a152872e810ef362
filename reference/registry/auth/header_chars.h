#pragma once
// The character classes of RFC 7230 that the Authorization and WWW-Authenticate headers are made of. Shared by their
// parser and their writer, so both read a scheme and a parameter name the same way.
namespace outpost::registry {

// OWS: optional whitespace.
inline bool is_whitespace(char c) { return c == ' ' || c == '\t'; }

// tchar: what an auth-scheme and a parameter name are made of.
inline bool is_tchar(unsigned char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-': case '.': case '^':
    case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

}  // namespace outpost::registry
