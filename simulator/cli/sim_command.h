#pragma once
// `outpost sim run`: runs a scenario (docs/simulator.md) in the deterministic simulator, one world per seed.
//
//   outpost sim run SCENARIO.json [--seed N | --seeds A..B] [--duration D] [--report FILE] [--trace FILE]
//                                 [--network direct|simulated] [--storage memory|disk] [--check-determinism] [--jobs N] [--log-level off]
//
// One progress line per seed, then a summary. Exit status 0 when every seed passed, 1 when one broke an invariant
// (each such seed prints its violations and the command that replays it), 2 for a wrong command line or scenario.
// Each seed runs in a child process of its own (isolated_run.h), up to --jobs of them at once. --check-determinism runs each seed twice and compares
// the trace hashes; --report writes every run as JSON; --trace writes each run's trace for Perfetto (FILE, or
// FILE-<seed>.json for several seeds).
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "reference/common/clock.h"
#include "simulator/cli/report_command.h"
#include "simulator/cli/shrink_command.h"
#include "simulator/world/scenario.h"

namespace outpost::sim::commands {

inline constexpr int kExitViolation = 1;
inline constexpr int kExitUsage = 2;

// A command line's --network and --storage over the scenario's (empty: the scenario's own). Throws
// std::invalid_argument naming the flag and its value. `sim run` and `sim shrink` both take them.
void apply_world_flags(world::Scenario& scenario, const std::string& network, const std::string& storage);

struct SimRunOptions {
  std::string scenario;
  std::optional<uint64_t> seed;
  std::string seeds;     // "A..B"
  std::string duration;  // "1h", "PT1H"; empty: the scenario's
  std::string report;    // a file for the JSON report; empty: none
  std::string trace;     // a file for the Chrome trace; empty: none
  std::string network;   // "direct" or "simulated"; empty: the scenario's
  std::string storage;   // "memory" or "disk"; empty: the scenario's
  bool check_determinism = false;
  size_t jobs = 1;  // seeds run at once, each in its own process
  std::string log_level = "off";
  std::string program = "outpost";  // the executable as it was run, for the replay command
};

// "A..B" (inclusive, A <= B, at most a million seeds); throws std::invalid_argument with a message.
std::vector<uint64_t> parse_seed_range(const std::string& text);
// Where --trace FILE puts one seed's trace: FILE itself for a single seed, else FILE with "-<seed>" before its
// extension.
std::string trace_file_for(const std::string& file, uint64_t seed, bool several);
// --duration's value (10m, 1h, PT1H): throws std::invalid_argument naming it when it is not a duration, or is not
// longer than zero ("-5m" and "0s" are durations, just not ones a run can last).
Nanoseconds parse_run_duration(const std::string& text);

// Runs `options` and prints to `out` (progress, summary) and `err` (problems). Returns the exit status.
int run_simulation(const SimRunOptions& options, std::ostream& out, std::ostream& err);

class SimCommand {
 public:
  // Adds `sim` and its verbs to `app`; the object holds what the parser fills, so it must outlive parsing.
  explicit SimCommand(CLI::App& app);
  SimCommand(const SimCommand&) = delete;
  SimCommand& operator=(const SimCommand&) = delete;

  bool selected() const { return group_->parsed(); }
  int run() const;  // the exit status

 private:
  CLI::App* group_;
  CLI::App* run_;
  CLI::App* shrink_;
  CLI::App* report_;
  SimRunOptions options_;
  SimShrinkOptions shrink_options_;
  SimReportOptions report_options_;
};

}  // namespace outpost::sim::commands
