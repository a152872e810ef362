#pragma once
// Reading a run's report (sim_report.h's JSON) for the HTML page, and writing its figures for people. A report may
// come from an older or newer `outpost sim run`, or be edited by hand: every reader here answers "absent" for a field
// that is missing or of another type, rather than throwing, and the page says what it could not find.
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace outpost::sim::report {

using Path = std::initializer_list<std::string_view>;

// The value at `path` inside `object` (objects only along the way), or null.
const nlohmann::json* find(const nlohmann::json& object, Path path);
std::optional<double> number_at(const nlohmann::json& object, Path path);
// A string as it is; a number or a boolean written out; "" for anything else or nothing.
std::string text_at(const nlohmann::json& object, Path path);
std::string scalar_text(const nlohmann::json& value);
// True only for a boolean true.
bool flag_at(const nlohmann::json& object, Path path);

// Decimal units: 1500 -> "1.5 kB", 2300000 -> "2.3 MB".
std::string bytes_text(double bytes);
std::string rate_text(double bytes_per_second);  // "2.3 MB/s"
// 0.8 -> "0.8 ms", 350 -> "350 ms", 1500 -> "1.5 s", 125000 -> "2m 5s".
std::string milliseconds_text(double milliseconds);
// A count with thousands separated: 1234567 -> "1,234,567".
std::string count_text(double value);

// The unit a time axis of `span_nanoseconds` reads best in: seconds, minutes or hours.
struct TimeUnit {
  double nanoseconds;  // one unit
  std::string name;    // "s", "min", "h"
};
TimeUnit time_unit_for(double span_nanoseconds);

}  // namespace outpost::sim::report
