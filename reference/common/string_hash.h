#pragma once
// Hash maps keyed by std::string that are asked with std::string_view (or a literal) without building a key string:
// lookups on hot paths (a host by name for every exchange, a node by name) otherwise allocate a copy per call.
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace outpost {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

template <class Value>
using StringMap = std::unordered_map<std::string, Value, StringHash, std::equal_to<>>;

}  // namespace outpost
