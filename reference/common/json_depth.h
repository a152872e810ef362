#pragma once
// How deep a JSON text nests, told without parsing it. nlohmann::json parses and frees iteratively, but dump(), copies
// and comparisons recurse once per level: a body of a few hundred kilobytes nested 100,000 levels deep overflows the
// stack of whatever code touches the parsed value. Every parser of untrusted JSON asks this first and refuses such text.
#include <cstddef>
#include <istream>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

namespace outpost {

// Deepest nesting accepted in the JSON files people write (scenarios, topologies, configuration): theirs reach 6.
inline constexpr size_t kMaxJsonFileDepth = 64;

// Whether some '[' or '{' of `text` sits more than `limit` levels deep (the outermost bracket is level 1). Brackets
// inside strings do not count. Not a validity check: text that is not JSON is left to the parser that follows.
bool json_nests_deeper_than(std::string_view text, size_t limit);

// "nests deeper than N levels", from the parsers below.
class JsonTooDeep : public std::runtime_error {
 public:
  explicit JsonTooDeep(size_t limit);
};

// nlohmann::json::parse, after refusing text nested deeper than `limit` (JsonTooDeep); its own errors pass through.
nlohmann::json parse_json_within_depth(std::string_view text, size_t limit);
nlohmann::json parse_json_within_depth(std::istream& in, size_t limit);

}  // namespace outpost
