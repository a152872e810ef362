#include "simulator/cli/sim_report.h"

#include <cstdio>

#include "simulator/world/quantities.h"

namespace outpost::sim::commands {

using nlohmann::json;

namespace {
std::string seconds_text(double seconds) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2fs", seconds);
  return text;
}

uint64_t number_at(const json& object, std::initializer_list<const char*> path) {
  const json* at = &object;
  for (const char* key : path) {
    if (!at->is_object() || !at->contains(key)) return 0;
    at = &(*at)[key];
  }
  if (at->is_number_unsigned()) return at->get<uint64_t>();
  return at->is_number_integer() && at->get<int64_t>() > 0 ? static_cast<uint64_t>(at->get<int64_t>()) : 0;
}

std::string string_at(const json& object, std::initializer_list<const char*> path) {
  const json* at = &object;
  for (const char* key : path) {
    if (!at->is_object() || !at->contains(key)) return "";
    at = &(*at)[key];
  }
  return at->is_string() ? at->get<std::string>() : "";
}
}  // namespace

std::vector<std::string> SeedRun::violations() const {
  std::vector<std::string> out;
  for (const auto& violation : result.value("violations", json::array())) out.push_back(violation.get<std::string>());
  if (!deterministic())
    out.push_back("two runs of seed " + std::to_string(seed()) + " differ (run hashes " + hash + " and " +
                  second_hash + ")");
  return out;
}

std::string short_count(double value) {
  char text[32];
  if (value >= 1e9) {
    std::snprintf(text, sizeof text, "%.2fG", value / 1e9);
  } else if (value >= 1e6) {
    std::snprintf(text, sizeof text, "%.2fM", value / 1e6);
  } else if (value >= 1e4) {
    std::snprintf(text, sizeof text, "%.1fk", value / 1e3);
  } else {
    std::snprintf(text, sizeof text, "%.0f", value);
  }
  return text;
}

std::string progress_line(const SeedRun& run) {
  const json& r = run.result;
  std::string line = "seed " + std::to_string(run.seed()) + ": " + (run.ok() ? "ok" : "FAILED");
  if (!r.contains("convergence")) return line + " | " + (run.violations().empty() ? "" : run.violations().front());
  const json& c = r["convergence"];
  line += " | " + (c.value("converged", false)
                       ? "converged " + string_at(c, {"convergedAfter"}) + " after the heal"
                       : std::string("NOT converged"));
  line += " | pushes " + std::to_string(number_at(c, {"pushesAtCloud"})) + "/" +
          std::to_string(number_at(c, {"pushesAcknowledged"})) + " acknowledged at the cloud (" +
          std::to_string(number_at(r, {"workload", "pushes", "attempted"})) + " tried)";
  line += " | pulls " + std::to_string(number_at(r, {"workload", "pulls", "ok"})) + "/" +
          std::to_string(number_at(r, {"workload", "pulls", "attempted"})) + " ok";
  line += " | faults " + std::to_string(number_at(r, {"faults", "applied"}));
  line += " | requests " + short_count(static_cast<double>(number_at(r, {"requests", "total"})));
  line += " | virtual " + string_at(r, {"virtualTime", "end"});
  line += " | wall " + seconds_text(r.value("wallSeconds", 0.0));
  const double build_seconds =
      r.contains("build") && r["build"].is_object() ? r["build"].value("wallSeconds", 0.0) : 0.0;
  if (build_seconds > 0) line += " (build " + seconds_text(build_seconds) + ")";
  line += " | events " + short_count(static_cast<double>(number_at(r, {"events"}))) + " (" +
          short_count(r.value("eventsPerSecond", 0.0)) + "/s";
  // The rate without the building, which a large fleet's short run is mostly made of.
  if (const double after = r.value("eventsPerSecondAfterBuild", 0.0); after > 0)
    line += ", " + short_count(after) + "/s after the build";
  line += ")";
  line += " | hash " + run.hash.substr(0, 12);
  if (!run.deterministic()) line += " then " + run.second_hash.substr(0, 12) + ": NOT DETERMINISTIC";
  else if (run.checked) line += " (deterministic: the same twice)";
  // The workload started on a hierarchy still coming up: the run is valid, but not the one the scenario meant.
  if (!r.value("ready", true))
    line += " | warning: not every node was ready after the warm-up (" + string_at(r, {"virtualTime", "warmUp"}) +
            "); give warmUp more time";
  return line;
}

void SweepTally::add(const SeedRun& run) {
  const json& result = run.result;
  ++runs_;
  passed_ += run.ok();
  if (result.contains("convergence")) converged_ += result["convergence"].value("converged", false);
  if (result.contains("invariants") && result["invariants"].is_object()) {
    held_ += result["invariants"].value("held", false);
    for (const json& check : result["invariants"].value("checks", json::array()))
      checks_ += number_at(check, {"checked"});
  }
  events_ += number_at(result, {"events"});
  requests_ += number_at(result, {"requests", "total"});
  acknowledged_ += number_at(result, {"convergence", "pushesAcknowledged"});
  arrived_ += number_at(result, {"convergence", "pushesAtCloud"});
  virtual_ns_ += number_at(result, {"virtualTime", "endNanoseconds"});
  wall_ += result.value("wallSeconds", 0.0);
  if (const double after = result.value("eventsPerSecondAfterBuild", 0.0); after > 0) {
    // Summed as events and seconds, so the sweep's rate weighs each run by its length.
    const double events = static_cast<double>(number_at(result, {"events"}) - number_at(result, {"build", "events"}));
    after_build_events_ += events;
    after_build_wall_ += events / after;
  }
  if (described_.empty() && result.contains("network"))
    described_ = " (" + string_at(result, {"scenario"}) + ", " + std::to_string(number_at(result, {"nodes"})) +
                 " nodes, " + string_at(result, {"network"}) + " network, " +
                 (result.contains("storage") ? string_at(result, {"storage"}) : std::string("memory")) +
                 " storage, password hash iterations " +
                 std::to_string(number_at(result, {"passwordHashIterations"})) + ")";
}

std::string SweepTally::text() const {
  std::string text = "summary: " + std::to_string(passed_) + "/" + std::to_string(runs_) + " seeds passed" + described_;
  text += "\n  converged " + std::to_string(converged_) + "/" + std::to_string(runs_) + ", pushes acknowledged " +
          std::to_string(acknowledged_) + ", at the cloud " + std::to_string(arrived_);
  text += "\n  invariants held in " + std::to_string(held_) + "/" + std::to_string(runs_) + " seeds (" +
          std::to_string(checks_) + " checks)";
  text += "\n  requests " + std::to_string(requests_) + ", events " + std::to_string(events_) + ", virtual time " +
          world::format_duration(std::chrono::round<std::chrono::milliseconds>(
              Nanoseconds(static_cast<int64_t>(virtual_ns_)))) +
          ", wall time " + seconds_text(wall_);
  if (wall_ > 0) text += ", " + short_count(static_cast<double>(events_) / wall_) + " events/s";
  if (after_build_wall_ > 0)
    text += " (" + short_count(after_build_events_ / after_build_wall_) + "/s after the build)";
  return text;
}

namespace {
// A word as a POSIX shell reads it back: as it is when it holds nothing the shell treats specially, else in single
// quotes (a path with a space once printed a replay command that did not run).
std::string shell_word(const std::string& word) {
  const bool plain = !word.empty() && word.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                             "0123456789_-./:=,+@%") == std::string::npos;
  if (plain) return word;
  std::string quoted = "'";
  for (const char c : word) quoted += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return quoted + "'";
}
}  // namespace

std::string replay_command(const std::string& scenario_file, uint64_t seed, const std::string& duration,
                           const std::string& network, const std::string& program, const std::string& storage) {
  std::string command = shell_word(program) + " sim run " + shell_word(scenario_file) + " --seed " + std::to_string(seed);
  if (!duration.empty()) command += " --duration " + shell_word(duration);
  if (!network.empty()) command += " --network " + shell_word(network);
  if (!storage.empty()) command += " --storage " + shell_word(storage);
  return command;
}

std::string invariants_line(const SeedRun& run) {
  const json& r = run.result;
  if (!r.contains("invariants") || !r["invariants"].is_object() || !r["invariants"].contains("checks")) return "";
  const json& checks = r["invariants"]["checks"];
  size_t held = 0;
  uint64_t checked = 0;
  for (const json& check : checks) {
    held += number_at(check, {"violations"}) == 0;
    checked += number_at(check, {"checked"});
  }
  std::string line = "  invariants " + std::to_string(held) + "/" + std::to_string(checks.size()) + " held (" +
                     short_count(static_cast<double>(checked)) + " checks)";
  const json* metrics = r.contains("metrics") && r["metrics"].is_object() ? &r["metrics"] : nullptr;
  if (!metrics) return line;
  const auto per = [](const json& by_key, const char* label, const char* field, const auto& render) {
    std::string text;
    if (!by_key.is_object()) return text;
    for (const auto& [key, value] : by_key.items()) {
      if (!value.contains(field) || !value[field].is_number()) continue;  // null: no sample (none arrived)
      text += std::string(text.empty() ? "" : ", ") + label + " " + key + " " + render(value[field].template get<double>());
    }
    return text;
  };
  const auto rate = [](double bytes_per_second) { return short_count(bytes_per_second) + "B/s"; };
  const auto milliseconds = [](double ms) {
    return world::format_duration(std::chrono::round<std::chrono::milliseconds>(
        std::chrono::duration<double, std::milli>(ms)));
  };
  const json empty = json::object();
  const json& levels = metrics->contains("throughput") ? (*metrics)["throughput"].value("levels", empty) : empty;
  const json& down = metrics->contains("propagation") ? (*metrics)["propagation"].value("down", empty) : empty;
  // The busiest window beside the median: a long poll's few bytes, spread over the minutes it waited, make most active
  // windows a trickle, so a level that moved gigabytes in a few windows can show a median of 0 B/s.
  std::string sync;
  if (levels.is_object()) {
    for (const auto& [level, value] : levels.items()) {
      if (!value.contains("p50") || !value["p50"].is_number()) continue;
      sync += std::string(sync.empty() ? "" : ", ") + "level " + level + " " + rate(value["p50"].get<double>());
      if (value.contains("max") && value["max"].is_number()) sync += " (max " + rate(value["max"].get<double>()) + ")";
    }
  }
  if (!sync.empty()) line += " | sync p50 " + sync;
  if (const std::string text = per(down, "depth", "p50", milliseconds); !text.empty())
    line += " | propagation p50 " + text;
  line += " | retries " + std::to_string(number_at(*metrics, {"retries", "retried"}));
  if (metrics->contains("bytes")) {
    const json& bytes = (*metrics)["bytes"];
    if (bytes.value("minimal", uint64_t{0}) == 0) {
      // Nothing had to move (no push in the run): a ratio to zero would read "0.00x", as if nothing had.
      line += " | bytes moved " + std::to_string(bytes.value("moved", uint64_t{0})) + " B, none needed";
    } else {
      char ratio[32];
      std::snprintf(ratio, sizeof ratio, "%.2fx", bytes.value("ratio", 0.0));
      line += std::string(" | bytes moved ") + ratio + " minimal";
    }
  }
  return line;
}

json report_entry(const SeedRun& run) {
  json entry = run.result;
  entry["runHash"] = run.hash;
  if (run.checked) {
    entry["secondRunHash"] = run.second_hash;
    entry["deterministic"] = run.deterministic();
  }
  entry["ok"] = run.ok();
  entry["violations"] = run.violations();
  return entry;
}

ReportWriter::ReportWriter(std::ostream& out, std::string scenario_file, json topology)
    : out_(out), scenario_file_(std::move(scenario_file)), topology_(std::move(topology)) {
  out_ << "{\n  \"runs\": [";
}

void ReportWriter::add(const SeedRun& run) {
  // The entry as dump(2) writes it, moved in by the two levels it sits at (JSON strings hold no raw newline, so every
  // line break is the layout's).
  const std::string entry = report_entry(run).dump(2);
  out_ << (runs_ == 0 ? "\n    " : ",\n    ");
  for (const char c : entry) {
    out_ << c;
    if (c == '\n') out_ << "    ";
  }
  out_.flush();
  ++runs_;
  passed_ += run.ok();
}

void ReportWriter::finish() {
  out_ << (runs_ == 0 ? "]" : "\n  ]") << ",\n  \"passed\": " << passed_
       << ",\n  \"scenarioFile\": " << json(scenario_file_).dump() << ",\n  \"seeds\": " << runs_
       << ",\n  \"topology\": " << topology_.dump() << "\n}\n";
  out_.flush();
}

}  // namespace outpost::sim::commands
