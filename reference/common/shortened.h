#pragma once
// Text someone else sent, cut for a message or a log line: at most `at_most` bytes, then "...". The cut falls on a
// UTF-8 character boundary, so a JSON error body or log line that carries it stays valid UTF-8.
#include <cstddef>
#include <string>
#include <string_view>

namespace outpost {

inline std::string shortened(std::string_view text, size_t at_most) {
  if (text.size() <= at_most) return std::string(text);
  size_t cut = at_most;
  while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
  std::string out(text.substr(0, cut));
  out.append("...");  // appended, not operator+: GCC 12 at -O3 reports a false -Wrestrict on the latter
  return out;
}

}  // namespace outpost
