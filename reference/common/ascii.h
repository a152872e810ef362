#pragma once
// ASCII case, the only case the registry knows: names lowercased on input (SPEC), header and host names, media
// types, enumerated words in configuration files. Deliberately not <cctype>: std::tolower follows the C locale, and
// an embedding program that sets another locale must not change which names are equal.
#include <string>
#include <string_view>

namespace outpost {

constexpr char ascii_lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

inline std::string ascii_lowercase(std::string_view text) {
  std::string lower(text);
  for (char& c : lower) c = ascii_lower(c);
  return lower;
}

// Equal letter for letter, ASCII case aside: header names, host names (RFC 9110 5.1, 4.2.3), media types (8.3.1).
constexpr bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

}  // namespace outpost
