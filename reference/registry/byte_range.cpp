#include "reference/registry/byte_range.h"

#include <algorithm>
#include <charconv>

namespace outpost::registry {

namespace {
std::optional<uint64_t> parse_number(std::string_view text) {
  uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}
}  // namespace

RangeRequest parse_range_header(std::optional<std::string_view> header, uint64_t size) {
  if (!header) return {};
  std::string_view spec = trim(*header);
  if (!spec.starts_with("bytes=")) return {};
  spec.remove_prefix(6);
  if (spec.find(',') != std::string_view::npos) return {};  // multiple ranges: serve the whole blob
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  const auto first = parse_number(trim(spec.substr(0, dash)));
  const auto last = parse_number(trim(spec.substr(dash + 1)));
  if (!first && !last) return {};
  if (!first) {  // suffix range: the last N bytes
    if (*last == 0 || size == 0) return {RangeStatus::Unsatisfiable, {}};
    const uint64_t n = std::min(*last, size);
    return {RangeStatus::Partial, {size - n, size - 1}};
  }
  if (*first >= size) return {RangeStatus::Unsatisfiable, {}};
  if (last && *last < *first) return {};
  return {RangeStatus::Partial, {*first, last ? std::min(*last, size - 1) : size - 1}};
}

std::optional<ByteRange> parse_content_range(std::string_view header) {
  std::string_view spec = trim(header);
  if (spec.starts_with("bytes=")) spec.remove_prefix(6);
  else if (spec.starts_with("bytes ")) spec.remove_prefix(6);
  if (const size_t slash = spec.find('/'); slash != std::string_view::npos) spec = spec.substr(0, slash);
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  const auto first = parse_number(trim(spec.substr(0, dash)));
  const auto last = parse_number(trim(spec.substr(dash + 1)));
  if (!first || !last || *last < *first) return std::nullopt;
  // 0-18446744073709551615 names 2^64 bytes, a length no uint64_t holds: it wrapped to 0 and matched an empty body.
  if (*last - *first == UINT64_MAX) return std::nullopt;
  return ByteRange{*first, *last};
}

}  // namespace outpost::registry
