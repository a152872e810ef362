#include "simulator/world/quantities.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <string>

#include "reference/common/iso_duration.h"

namespace outpost::sim::world {

namespace {

// A non-negative decimal number at the start of `text` ("1", "1.5", ".5"); the rest is left in `text`.
std::optional<double> leading_number(std::string_view& text) {
  size_t end = 0;
  bool digits = false, dot = false;
  while (end < text.size()) {
    const char c = text[end];
    if (std::isdigit(static_cast<unsigned char>(c))) {
      digits = true;
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      break;
    }
    ++end;
  }
  if (!digits) return std::nullopt;
  double value = 0;
  // from_chars, not stod: a number too large for a double ("1" and 400 zeros) is then "not a quantity", which the
  // caller reports with the key's path, instead of an exception that names nothing.
  const auto [stop, error] = std::from_chars(text.data(), text.data() + end, value);
  if (error != std::errc() || stop != text.data() + end || !std::isfinite(value)) return std::nullopt;
  text.remove_prefix(end);
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  return value;
}

std::optional<double> unit_factor(std::string_view unit) {
  struct Unit {
    std::string_view name;
    double factor;
  };
  static constexpr Unit kUnits[] = {{"", 1},         {"B", 1},          {"kB", 1e3},   {"KB", 1e3},
                                    {"MB", 1e6},     {"GB", 1e9},       {"TB", 1e12},  {"KiB", 1024.0},
                                    {"MiB", 1048576.0}, {"GiB", 1073741824.0}, {"TiB", 1099511627776.0}};
  for (const Unit& known : kUnits)
    if (known.name == unit) return known.factor;
  return std::nullopt;
}

std::optional<uint64_t> whole_bytes(double value) {
  // llround gives a long long: from 2^63 on it overflows (10000000TB read as 2^63), so that is the bound.
  if (!std::isfinite(value) || value < 0 || value >= 9223372036854775808.0) return std::nullopt;
  return static_cast<uint64_t>(std::llround(value));
}

}  // namespace

std::optional<uint64_t> parse_bytes(std::string_view text) {
  const auto number = leading_number(text);
  if (!number) return std::nullopt;
  const auto factor = unit_factor(text);
  if (!factor) return std::nullopt;
  return whole_bytes(*number * *factor);
}

std::optional<uint64_t> parse_byte_rate(std::string_view text) {
  const auto number = leading_number(text);
  if (!number || !text.ends_with("/s")) return std::nullopt;
  text.remove_suffix(2);
  static constexpr std::pair<std::string_view, double> kBits[] = {
      {"bit", 1.0 / 8}, {"kbit", 1e3 / 8}, {"Kbit", 1e3 / 8}, {"Mbit", 1e6 / 8}, {"Gbit", 1e9 / 8}};
  for (const auto& [unit, factor] : kBits)
    if (text == unit) return whole_bytes(*number * factor);
  if (text.empty()) return std::nullopt;  // "/s" alone: bytes or bits? Say which.
  const auto factor = unit_factor(text);
  if (!factor) return std::nullopt;
  return whole_bytes(*number * *factor);
}

bool rate_is_zero(std::string_view text) {
  const auto number = leading_number(text);
  return number && *number == 0;
}

std::optional<double> parse_rate_per_hour(std::string_view text) {
  const auto number = leading_number(text);
  if (!number) return std::nullopt;
  if (text == "/h") return *number;
  if (text == "/m") return *number * 60;
  if (text == "/s") return *number * 3600;
  return std::nullopt;
}

std::string format_duration(Nanoseconds duration) {
  int64_t left = duration.count();
  if (left < 0) return format_iso_duration(duration);
  if (left % 1'000'000 != 0) return format_iso_duration(duration);
  if (left == 0) return "0s";
  static constexpr std::pair<const char*, int64_t> kUnits[] = {{"d", 86'400'000'000'000},
                                                               {"h", 3'600'000'000'000},
                                                               {"m", 60'000'000'000},
                                                               {"s", 1'000'000'000},
                                                               {"ms", 1'000'000}};
  std::string text;
  for (const auto& [suffix, size] : kUnits) {
    if (left < size) continue;
    text += std::to_string(left / size) + suffix;
    left %= size;
  }
  return text;
}

std::string format_signed_duration(Nanoseconds duration) {
  return duration < Nanoseconds(0) ? "-" + format_duration(-duration) : format_duration(duration);
}

}  // namespace outpost::sim::world
