#include "reference/common/host_port.h"

#include <algorithm>

namespace outpost {

namespace {
// Named for this file alone: the library is built as one unity source, where iso_duration.cpp has its own is_digit.
bool host_digit(char c) { return c >= '0' && c <= '9'; }
bool host_hex(char c) { return host_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool host_name_char(char c) {
  return host_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '.' || c == '-' || c == '_';
}

bool is_port(std::string_view digits) {
  if (digits.empty() || digits.size() > 5 || digits.front() == '0') return false;
  if (!std::all_of(digits.begin(), digits.end(), host_digit)) return false;
  unsigned value = 0;
  for (const char c : digits) value = value * 10 + static_cast<unsigned>(c - '0');
  return value <= 65535;
}
}  // namespace

bool is_host_port(std::string_view text) {
  if (text.empty() || text.size() > kMaxHostPortLength) return false;
  std::string_view rest;
  if (text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos || close < 2) return false;
    const std::string_view address = text.substr(1, close - 1);
    if (!std::all_of(address.begin(), address.end(), [](char c) { return host_hex(c) || c == ':' || c == '.'; }) ||
        address.find(':') == std::string_view::npos)
      return false;
    rest = text.substr(close + 1);
  } else {
    const size_t colon = text.find(':');
    const std::string_view host = text.substr(0, colon);
    if (host.empty() || !std::all_of(host.begin(), host.end(), host_name_char)) return false;
    rest = colon == std::string_view::npos ? std::string_view() : text.substr(colon);
  }
  if (rest.empty()) return true;
  return rest.front() == ':' && is_port(rest.substr(1));
}

}  // namespace outpost
