#pragma once
// What the report tests count in rendered text: how often a piece (an element, a colour) appears.
#include <cstddef>
#include <string>

namespace outpost::sim::report::test {

// Non-overlapping occurrences of `what` in `text`.
inline size_t occurrences(const std::string& text, const std::string& what) {
  size_t count = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + what.size())) ++count;
  return count;
}

}  // namespace outpost::sim::report::test
