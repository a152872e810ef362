#pragma once
// Structured logs: one JSON object per line on stderr. The timestamp comes from the node's Clock seam, so simulated
// nodes log virtual time and a run's logs are reproducible.
#include <nlohmann/json.hpp>
#include <string_view>

#include "reference/common/clock.h"

namespace outpost::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3, Off = 4 };
Level parse_level(std::string_view name);  // "debug", "info", "warn", "error", "off"; throws on anything else

void set_level(Level level);
Level level();
void set_clock(const Clock* clock);  // nullptr: the system clock

// Writes {"time": RFC 3339, "level": ..., "msg": message, ...fields} as one line, atomically with respect to other threads.
void write(Level level, std::string_view message, nlohmann::json fields = nlohmann::json::object());
inline void info(std::string_view message, nlohmann::json fields = nlohmann::json::object()) {
  write(Level::Info, message, std::move(fields));
}
inline void warn(std::string_view message, nlohmann::json fields = nlohmann::json::object()) {
  write(Level::Warn, message, std::move(fields));
}
inline void error(std::string_view message, nlohmann::json fields = nlohmann::json::object()) {
  write(Level::Error, message, std::move(fields));
}
// An info line written whatever the level: the "listening" line tools and tests wait for. A server sets its level
// first and then announces, so no request it answers after the announcement is logged at the level it had before.
void announce(std::string_view message, nlohmann::json fields = nlohmann::json::object());

}  // namespace outpost::log
