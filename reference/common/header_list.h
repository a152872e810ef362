// The elements of a comma-separated header value (RFC 9110 5.6.1: `#element`), each with the optional white space
// around it trimmed and empty ones skipped, so "a, ,b" gives "a" and "b". Every list-valued header the server reads
// (Accept, Transfer-Encoding) is split here, so they agree on what an element is.
#pragma once

#include <string_view>

namespace outpost::http {

inline std::string_view trim_whitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// Calls `each(element)` for every non-empty element of `value`, in order.
template <class Each>
void for_each_list_element(std::string_view value, Each&& each) {
  while (true) {
    const size_t comma = value.find(',');
    if (const std::string_view element = trim_whitespace(value.substr(0, comma)); !element.empty()) each(element);
    if (comma == std::string_view::npos) return;
    value.remove_prefix(comma + 1);
  }
}

}  // namespace outpost::http
