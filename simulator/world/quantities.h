#pragma once
// The quantities scenarios are written in, besides durations (reference/common/iso_duration.h): byte sizes, byte
// rates and event rates. Decimal units are powers of 1000 and binary ones of 1024, as their names say.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "reference/common/clock.h"

namespace outpost::sim::world {

// "4096", "4KiB", "1.5MB", "10MiB", "2GB" (B, kB/KB, MB, GB, TB, KiB, MiB, GiB, TiB). nullopt when not one.
std::optional<uint64_t> parse_bytes(std::string_view text);
// Bytes per second: "10MB/s", "1GiB/s", or bits: "100Mbit/s", "1Gbit/s", "500kbit/s". nullopt when not one.
std::optional<uint64_t> parse_byte_rate(std::string_view text);
// Whether a rate's number is zero ("0", "0MB/s"): parse_byte_rate gives 0 for it and for rates under 1 B/s alike.
bool rate_is_zero(std::string_view text);
// Events per hour: "30/h", "2/m" (per minute), "0.5/s". nullopt when not one.
std::optional<double> parse_rate_per_hour(std::string_view text);

// The shortest form parse_human_duration reads back: "1h30m", "90ms", "0s"; ISO-8601 below a millisecond.
std::string format_duration(Nanoseconds duration);
// The same for signed values ("-5m").
std::string format_signed_duration(Nanoseconds duration);

}  // namespace outpost::sim::world
