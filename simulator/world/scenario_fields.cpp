#include "simulator/world/scenario_fields.h"

#include <algorithm>
#include <cmath>

#include "reference/common/iso_duration.h"
#include "simulator/net/bandwidth_model.h"
#include "simulator/world/quantities.h"
#include "simulator/world/scenario.h"

namespace outpost::sim::world {

void scenario_fail(const std::string& where, const std::string& what) { throw ScenarioError(where + ": " + what); }

Fields::Fields(const nlohmann::json& object, std::string where, std::initializer_list<std::string_view> allowed)
    : object_(object), where_(std::move(where)) {
  std::string list;
  for (std::string_view name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
  if (!object_.is_object()) scenario_fail(where_, "must be a JSON object (keys: " + list + ")");
  for (const auto& [key, value] : object_.items())
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end())
      scenario_fail(where_, "unknown key '" + key + "' (" + (list.empty() ? "it takes none" : "known: " + list) + ")");
}

const nlohmann::json* Fields::get(const char* key) const {
  const auto it = object_.find(key);
  return it == object_.end() || it->is_null() ? nullptr : &*it;
}

std::optional<std::string> Fields::string(const char* key) const {
  const nlohmann::json* value = get(key);
  if (!value) return std::nullopt;
  if (!value->is_string()) fail(key, "must be a string");
  return value->get<std::string>();
}

std::string Fields::required_string(const char* key) const {
  auto value = string(key);
  if (!value || value->empty()) fail(key, "is required");
  return *value;
}

std::optional<std::vector<std::string>> Fields::strings(const char* key) const {
  const nlohmann::json* value = get(key);
  if (!value) return std::nullopt;
  if (value->is_string()) return std::vector<std::string>{value->get<std::string>()};
  if (!value->is_array()) fail(key, "must be a string or an array of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < value->size(); ++i) {
    if (!(*value)[i].is_string() || (*value)[i].get<std::string>().empty())
      scenario_fail(at(key) + "[" + std::to_string(i) + "]", "must be a non-empty string");
    out.push_back((*value)[i].get<std::string>());
  }
  return out;
}

std::optional<Nanoseconds> Fields::signed_duration(const char* key) const {
  const nlohmann::json* value = get(key);
  if (!value) return std::nullopt;
  if (!value->is_string()) fail(key, "must be a duration string like \"90s\", \"10m\", \"1h\" or \"PT1H\"");
  std::string_view text = value->get_ref<const std::string&>();
  const bool negative = text.starts_with('-');
  if (negative) text.remove_prefix(1);
  const auto parsed = parse_human_duration(text);
  if (!parsed)
    fail(key, "'" + value->get<std::string>() + "' is not a duration: use 250ms, 90s, 10m, 1h, 2d, 1h30m or ISO-8601 "
                                                "(PT1H)");
  return negative ? -*parsed : *parsed;
}

std::optional<Nanoseconds> Fields::duration(const char* key) const {
  const auto value = signed_duration(key);
  if (value && *value < Nanoseconds(0)) fail(key, "must not be negative");
  return value;
}

std::optional<Nanoseconds> Fields::plan_time(const char* key) const {
  const auto value = duration(key);
  if (value && *value % std::chrono::milliseconds(1) != Nanoseconds(0))
    fail(key, "must be whole milliseconds, as every time of the plan is (\"1500ms\" or \"PT1.5S\", not \"PT1.5005S\")");
  return value;
}

namespace {
// A JSON number that is a whole number from 0: 3 and 3.0 (and 1.5e6) are the same number to JSON, and to a schema.
// Doubles only up to 2^53, where each whole one is exact.
std::optional<uint64_t> whole_number_of(const nlohmann::json& value) {
  if (value.is_number_unsigned()) return value.get<uint64_t>();
  if (value.is_number_integer()) {
    const int64_t number = value.get<int64_t>();
    return number >= 0 ? std::optional<uint64_t>(static_cast<uint64_t>(number)) : std::nullopt;
  }
  if (value.is_number_float()) {
    const double real = value.get<double>();
    if (real >= 0 && real <= 9007199254740992.0 && std::floor(real) == real) return static_cast<uint64_t>(real);
  }
  return std::nullopt;
}
}  // namespace

std::optional<uint64_t> Fields::whole(const char* key, uint64_t min, uint64_t max) const {
  const nlohmann::json* value = get(key);
  if (!value) return std::nullopt;
  const auto number = whole_number_of(*value);
  if (!number || *number < min || *number > max)
    fail(key, "must be a whole number from " + std::to_string(min) + " to " + std::to_string(max));
  return number;
}

std::optional<double> Fields::number(const char* key, double min, double max) const {
  const nlohmann::json* value = get(key);
  if (!value) return std::nullopt;
  if (!value->is_number() || value->get<double>() < min || value->get<double>() > max)
    fail(key, "must be a number from " + nlohmann::json(min).dump() + " to " + nlohmann::json(max).dump());
  return value->get<double>();
}

std::optional<uint64_t> Fields::bytes(const char* key) const {
  const nlohmann::json* value = get(key);
  if (!value) return std::nullopt;
  if (const auto number = whole_number_of(*value)) return number;
  const auto parsed = value->is_string() ? parse_bytes(value->get<std::string>()) : std::nullopt;
  if (!parsed) fail(key, "must be a byte size: a whole number of bytes or a string like \"4KiB\", \"1.5MB\"");
  return parsed;
}

std::optional<uint64_t> Fields::byte_rate(const char* key) const {
  const nlohmann::json* value = get(key);
  if (!value) return std::nullopt;
  std::optional<uint64_t> parsed = whole_number_of(*value);
  if (!parsed) {
    parsed = value->is_string() ? parse_byte_rate(value->get<std::string>()) : std::nullopt;
    if (!parsed)
      fail(key, "must be a rate: bytes per second as a whole number, or a string like \"10MB/s\" or \"100Mbit/s\"");
    // The model moves whole bytes per second, and 0 means no limit: "1bit/s" must not round down into an infinite
    // link.
    if (*parsed == 0 && !rate_is_zero(value->get<std::string>()))
      fail(key, "is under 1 B/s, the least rate a link can have (0 means no limit)");
  }
  // Checked here, with the field's place, rather than when the world is built ("capacity above ...", no field).
  if (*parsed > BandwidthModel::kMaxCapacity)
    fail(key, "is above " + std::to_string(BandwidthModel::kMaxCapacity) +
                  " B/s (2^46, 70 TB/s), the most the bandwidth model carries");
  return parsed;
}

std::optional<double> Fields::per_hour(const char* key) const {
  const nlohmann::json* value = get(key);
  if (!value) return std::nullopt;
  const auto parsed = value->is_string() ? parse_rate_per_hour(value->get<std::string>()) : std::nullopt;
  if (!parsed || !std::isfinite(*parsed) || *parsed <= 0)
    fail(key, "must be a positive rate like \"30/h\", \"2/m\" or \"0.5/s\"");
  // Times are drawn in whole milliseconds: above one per millisecond most gaps would be zero and time would not move.
  if (*parsed > kMostPerHour) fail(key, "must be at most 1000/s (3600000/h): times are drawn in whole milliseconds");
  return parsed;
}

}  // namespace outpost::sim::world
