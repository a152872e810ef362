#pragma once
// Byte ranges: `Range: bytes=first-last` on blob GET (RFC 9110, one range) and `Content-Range: first-last` on upload
// PATCH (the distribution-spec's form, without the "bytes " unit, which is accepted too).
#include <cstdint>
#include <optional>
#include <string_view>

namespace outpost::registry {

struct ByteRange {
  uint64_t first = 0;
  uint64_t last = 0;  // inclusive
  uint64_t length() const { return last - first + 1; }
};

enum class RangeStatus { Whole, Partial, Unsatisfiable };

struct RangeRequest {
  RangeStatus status = RangeStatus::Whole;
  ByteRange range;
};

// A missing or unparsable Range header means the whole blob (RFC 9110 lets a server ignore what it cannot parse).
RangeRequest parse_range_header(std::optional<std::string_view> header, uint64_t size);

// Parses "first-last" (optionally "bytes first-last" or "bytes=first-last"); nullopt when malformed.
std::optional<ByteRange> parse_content_range(std::string_view header);

}  // namespace outpost::registry
