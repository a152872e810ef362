#include "reference/common/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>
#include <stdexcept>

#include "reference/common/json_text.h"
#include "reference/common/time_format.h"

namespace outpost::log {

namespace {
std::atomic<Level> g_level{Level::Info};
std::atomic<const Clock*> g_clock{nullptr};
std::mutex g_write_mutex;
const SystemClock g_system_clock;

std::string_view level_name(Level level) {
  switch (level) {
    case Level::Debug: return "debug";
    case Level::Info: return "info";
    case Level::Warn: return "warn";
    case Level::Error: return "error";
    case Level::Off: break;
  }
  return "off";
}
}  // namespace

Level parse_level(std::string_view name) {
  for (Level level : {Level::Debug, Level::Info, Level::Warn, Level::Error, Level::Off})
    if (level_name(level) == name) return level;
  throw std::invalid_argument("unknown log level '" + std::string(name) + "' (debug, info, warn, error, off)");
}

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }
void set_clock(const Clock* clock) { g_clock = clock; }

namespace {
void emit(Level level, std::string_view message, nlohmann::json fields) {
  const Clock* clock = g_clock.load();
  nlohmann::json line = {{"time", format_rfc3339((clock ? clock : &g_system_clock)->now())},
                         {"level", level_name(level)},
                         {"msg", message}};
  for (auto& [key, value] : fields.items()) line[key] = std::move(value);
  const std::string text = json_text(line) + "\n";
  std::lock_guard lock(g_write_mutex);
  std::fwrite(text.data(), 1, text.size(), stderr);
}
}  // namespace

void write(Level level, std::string_view message, nlohmann::json fields) {
  if (level < g_level.load() || level == Level::Off) return;
  emit(level, message, std::move(fields));
}

void announce(std::string_view message, nlohmann::json fields) { emit(Level::Info, message, std::move(fields)); }

}  // namespace outpost::log
