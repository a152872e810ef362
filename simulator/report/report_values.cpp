#include "simulator/report/report_values.h"

#include <cmath>
#include <cstdio>

#include "simulator/report/svg.h"

namespace outpost::sim::report {

const nlohmann::json* find(const nlohmann::json& object, Path path) {
  const nlohmann::json* at = &object;
  for (const std::string_view key : path) {
    if (!at->is_object()) return nullptr;
    const auto found = at->find(key);
    if (found == at->end()) return nullptr;
    at = &*found;
  }
  return at;
}

std::optional<double> number_at(const nlohmann::json& object, Path path) {
  const nlohmann::json* value = find(object, path);
  if (!value || !value->is_number()) return std::nullopt;
  return value->get<double>();
}

std::string scalar_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number_integer() || value.is_number_unsigned()) return value.dump();
  if (value.is_number_float()) return number(value.get<double>());
  return "";
}

std::string text_at(const nlohmann::json& object, Path path) {
  const nlohmann::json* value = find(object, path);
  return value ? scalar_text(*value) : "";
}

bool flag_at(const nlohmann::json& object, Path path) {
  const nlohmann::json* value = find(object, path);
  return value && value->is_boolean() && value->get<bool>();
}

std::string bytes_text(double bytes) {
  constexpr const char* kUnits[] = {"B", "kB", "MB", "GB", "TB", "PB"};
  size_t unit = 0;
  while (std::abs(bytes) >= 1000 && unit + 1 < std::size(kUnits)) {
    bytes /= 1000;
    ++unit;
  }
  return number(unit == 0 ? std::round(bytes) : std::round(bytes * 10) / 10) + " " + kUnits[unit];
}

std::string rate_text(double bytes_per_second) { return bytes_text(bytes_per_second) + "/s"; }

std::string milliseconds_text(double milliseconds) {
  if (!std::isfinite(milliseconds)) return "?";
  if (milliseconds < 10) return number(std::round(milliseconds * 100) / 100) + " ms";
  if (milliseconds < 1000) return number(std::round(milliseconds)) + " ms";
  if (milliseconds < 60'000) return number(std::round(milliseconds / 100) / 10) + " s";
  const auto seconds = static_cast<long long>(std::llround(milliseconds / 1000));
  if (seconds < 3600) return std::to_string(seconds / 60) + "m " + std::to_string(seconds % 60) + "s";
  return std::to_string(seconds / 3600) + "h " + std::to_string(seconds % 3600 / 60) + "m";
}

std::string count_text(double value) {
  if (!std::isfinite(value)) return "?";
  if (std::abs(value) > 9e18 || std::abs(value - std::round(value)) > 1e-9) return number(value);
  const long long whole = std::llround(value);
  std::string digits = std::to_string(whole < 0 ? -whole : whole);
  for (size_t at = digits.size(); at > 3; at -= 3) digits.insert(at - 3, ",");
  return (whole < 0 ? "-" : "") + digits;
}

TimeUnit time_unit_for(double span_nanoseconds) {
  if (span_nanoseconds < 180e9) return {1e9, "s"};
  if (span_nanoseconds < 48 * 3600e9) return {60e9, "min"};
  return {3600e9, "h"};
}

}  // namespace outpost::sim::report
