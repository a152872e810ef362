#include "reference/common/json_depth.h"

#include <iterator>
#include <string>

namespace outpost {

bool json_nests_deeper_than(std::string_view text, size_t limit) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character, whatever it is, neither ends the string nor opens anything
      else if (c == '"')
        in_string = false;
      continue;
    }
    switch (c) {
      case '"':
        in_string = true;
        break;
      case '[':
      case '{':
        if (++depth > limit) return true;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return false;
}

JsonTooDeep::JsonTooDeep(size_t limit)
    : std::runtime_error("nests deeper than " + std::to_string(limit) + " levels") {}

nlohmann::json parse_json_within_depth(std::string_view text, size_t limit) {
  if (json_nests_deeper_than(text, limit)) throw JsonTooDeep(limit);
  if (json_holds_nul(text)) throw std::runtime_error("holds a NUL byte, which JSON never does");
  return nlohmann::json::parse(text);
}

nlohmann::json parse_json_within_depth(std::istream& in, size_t limit, size_t max_bytes) {
  // Read in pieces up to the bound: /dev/zero named as a scenario was read until memory ran out.
  std::string text;
  char piece[64 * 1024];
  while (in.read(piece, sizeof piece) || in.gcount() > 0) {
    text.append(piece, static_cast<size_t>(in.gcount()));
    if (text.size() > max_bytes) throw std::runtime_error("larger than " + std::to_string(max_bytes) + " bytes");
  }
  return parse_json_within_depth(text, limit);
}

}  // namespace outpost
