#pragma once
// ISO-8601 durations (`P2D`, `PT1H30M`, `P1DT12H`, `PT0.5S`) as the connected-registry resource takes them for its
// sync window and message TTL (SPEC 2.1), and as `outpost sim run --duration` takes them. Years and months are refused:
// their length depends on the calendar, and no setting here needs them.
#include <optional>
#include <string>
#include <string_view>

#include "reference/common/clock.h"

namespace outpost {

// Accepts `P[nW][nD][T[nH][nM][n[.f]S]]` (case-insensitive designators, at least one component, a fraction only on
// seconds). Nothing for anything else, negative values included.
std::optional<Nanoseconds> parse_iso_duration(std::string_view text);
// The shortest canonical form: `P2D`, `PT1H`, `P1DT2H3M4.5S`, `PT0S` for zero.
std::string format_iso_duration(Nanoseconds duration);

// Human forms for the command line: `90s`, `10m`, `1h`, `2d`, `1h30m`, `250ms`, or an ISO-8601 duration.
std::optional<Nanoseconds> parse_human_duration(std::string_view text);

}  // namespace outpost
