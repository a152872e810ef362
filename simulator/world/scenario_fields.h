#pragma once
// Reading one JSON object of a scenario: unknown keys refused (a misspelt key is an error, not a default silently
// taken), typed getters for the scenario's quantities (durations, byte sizes, rates), and every error prefixed with
// the place it concerns ("workload[2].layerSize.max: must be at least min").
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/common/clock.h"

namespace outpost::sim::world {

[[noreturn]] void scenario_fail(const std::string& where, const std::string& what);

class Fields {
 public:
  // Throws unless `object` is a JSON object whose keys are all in `allowed`.
  Fields(const nlohmann::json& object, std::string where, std::initializer_list<std::string_view> allowed);

  const std::string& where() const { return where_; }
  std::string at(std::string_view key) const { return where_ + "." + std::string(key); }
  [[noreturn]] void fail(std::string_view key, const std::string& what) const { scenario_fail(at(key), what); }

  // Null and absent are the same: "not given".
  const nlohmann::json* get(const char* key) const;
  bool has(const char* key) const { return get(key) != nullptr; }

  std::optional<std::string> string(const char* key) const;
  std::string required_string(const char* key) const;
  std::optional<std::vector<std::string>> strings(const char* key) const;  // a string or an array of strings
  std::optional<Nanoseconds> duration(const char* key) const;              // "90s", "1h", "PT1H" (not negative)
  // A time of the run's plan ("at", "every", "for", ...): a duration in whole milliseconds, as the plan is drawn.
  std::optional<Nanoseconds> plan_time(const char* key) const;
  std::optional<Nanoseconds> signed_duration(const char* key) const;       // also "-5m"
  std::optional<uint64_t> whole(const char* key, uint64_t min, uint64_t max) const;
  std::optional<double> number(const char* key, double min, double max) const;
  std::optional<uint64_t> bytes(const char* key) const;       // 4096 or "4KiB"
  std::optional<uint64_t> byte_rate(const char* key) const;   // 1000000 (bytes/s) or "10MB/s"
  std::optional<double> per_hour(const char* key) const;      // "30/h", at most kMostPerHour

 private:
  const nlohmann::json& object_;
  std::string where_;
};

}  // namespace outpost::sim::world
