#pragma once
// RFC 3339 timestamps in UTC, as the management API and logs print them.
#include <optional>
#include <string>
#include <string_view>

#include "reference/common/clock.h"

namespace outpost {

std::string format_rfc3339(WallTime time);                      // 2026-11-28T20:43:56.123Z
std::optional<WallTime> parse_rfc3339(std::string_view text);  // accepts Z or +hh:mm offsets, optional fraction

}  // namespace outpost
