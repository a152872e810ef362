#include "reference/registry/byte_range.h"

#include <algorithm>
#include <charconv>

#include "reference/common/ascii.h"

namespace outpost::registry {

namespace {
std::optional<uint64_t> parse_number(std::string_view text) {
  uint64_t value = 0;
  if (text.empty()) return std::nullopt;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// One side of a Range spec: empty (absent), digits (a position; one too large for uint64_t is read as the largest,
// which lies past any blob), or anything else (the header is malformed).
struct RangeSide {
  bool valid = true;
  std::optional<uint64_t> value;
};

RangeSide parse_side(std::string_view text) {
  if (text.empty()) return {};
  if (!std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) return {false, {}};
  return {true, parse_number(text).value_or(UINT64_MAX)};
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}
}  // namespace

RangeRequest parse_range_header(std::optional<std::string_view> header, uint64_t size) {
  // An empty blob has no byte to name, so no range of it is satisfiable; a client that sends a Range on every GET
  // (resumable downloaders) got 416 for a zero-byte layer. Served whole instead, as Go's ServeContent (and so
  // Distribution) has done since golang/go#54794.
  if (!header || size == 0) return {};
  std::string_view spec = trim(*header);
  // RFC 9110 14.1: range units compare case-insensitively ("Bytes=0-9" was served as the whole blob).
  if (spec.size() < 6 || !ascii_iequals(spec.substr(0, 6), "bytes=")) return {};
  spec.remove_prefix(6);
  if (spec.find(',') != std::string_view::npos) return {};  // multiple ranges: serve the whole blob
  const size_t dash = spec.find('-');
  if (dash == std::string_view::npos) return {};
  // A side that is no number makes the header one to ignore: read as absent, "bytes=abc-3" was the last 3 bytes.
  const RangeSide first_side = parse_side(trim(spec.substr(0, dash)));
  const RangeSide last_side = parse_side(trim(spec.substr(dash + 1)));
  if (!first_side.valid || !last_side.valid) return {};
  const auto first = first_side.value;
  const auto last = last_side.value;
  if (!first && !last) return {};
  if (!first) {  // suffix range: the last N bytes
    if (*last == 0 || size == 0) return {RangeStatus::Unsatisfiable, {}};
    const uint64_t n = std::min(*last, size);
    return {RangeStatus::Partial, {size - n, size - 1}};
  }
  if (last && *last < *first) return {};  // RFC 9110 14.1.1: invalid, so ignored, wherever it lies
  if (*first >= size) return {RangeStatus::Unsatisfiable, {}};
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
