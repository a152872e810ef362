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
// Largest JSON file read from a stream: a run report with every series of the wide fleet is a few tens of MiB.
inline constexpr size_t kMaxJsonFileBytes = size_t{256} << 20;

// Whether `text` holds a NUL byte. RFC 8259 has no place for one (inside a string it must be escaped, outside it is not
// whitespace), but nlohmann's lexer reads it as the end of input, so "{}\0anything" parses as {} and whatever follows
// the NUL would be stored, served or relayed as if it were part of the document. Every reader of untrusted JSON
// refuses such text as not JSON; json_scan does so itself.
inline bool json_holds_nul(std::string_view text) { return text.find('\0') != std::string_view::npos; }

// Whether some '[' or '{' of `text` sits more than `limit` levels deep (the outermost bracket is level 1). Brackets
// inside strings do not count. Not a validity check: text that is not JSON is left to the parser that follows.
bool json_nests_deeper_than(std::string_view text, size_t limit);

// "nests deeper than N levels", from the parsers below.
class JsonTooDeep : public std::runtime_error {
 public:
  explicit JsonTooDeep(size_t limit);
};

// nlohmann::json::parse, after refusing text nested deeper than `limit` (JsonTooDeep) or holding a NUL byte; its own
// errors pass through. From a stream, text beyond `max_bytes` is refused too (std::runtime_error).
nlohmann::json parse_json_within_depth(std::string_view text, size_t limit);
nlohmann::json parse_json_within_depth(std::istream& in, size_t limit, size_t max_bytes = kMaxJsonFileBytes);

}  // namespace outpost
