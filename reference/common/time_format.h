#pragma once
// RFC 3339 timestamps in UTC, as the management API and logs print them.
#include <optional>
#include <string>
#include <string_view>

#include "reference/common/clock.h"

namespace outpost {

std::string format_rfc3339(WallTime time);                      // 2026-11-28T20:43:56.123Z
// RFC 3339 date-time: Z or +hh:mm offsets, an optional fraction, T and Z in either case, only days the month has,
// years kFirstRfc3339Year to kLastRfc3339Year (what 64-bit nanoseconds hold). Nothing when `text` is not one.
std::optional<WallTime> parse_rfc3339(std::string_view text);
inline constexpr int kFirstRfc3339Year = 1678;
inline constexpr int kLastRfc3339Year = 2261;

}  // namespace outpost
