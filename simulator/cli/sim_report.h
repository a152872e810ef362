#pragma once
// What `outpost sim run` prints and writes: one line per seed, the summary, the replay command, the JSON report. It
// reads runs as their JSON results (world::RunResult::to_json), since each run comes back from a child process.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace outpost::sim::commands {

// One seed's run, and what a determinism check found.
struct SeedRun {
  nlohmann::json result;    // RunResult::to_json(), or a stub {"seed", "ok": false, "violations"}
  std::string hash;
  std::string second_hash;  // with --check-determinism: the hash of the second run ("" when not checked)
  bool checked = false;

  uint64_t seed() const { return result.value("seed", uint64_t{0}); }
  bool deterministic() const { return !checked || (!hash.empty() && second_hash == hash); }
  bool ok() const { return result.value("ok", false) && deterministic(); }
  std::vector<std::string> violations() const;  // the run's, and the determinism check's
};

// "seed 7: ok | converged 12s after the heal | pushes 58/58 acknowledged at the cloud | ..."
std::string progress_line(const SeedRun& run);
// The seed's checks and measurements, under its progress line ("" for a run that brought back none):
// "  invariants 7/7 held (20.1k checks) | sync p50 level 1 1.7kB/s, level 2 1.9kB/s | propagation p50 depth 1 ..."
std::string invariants_line(const SeedRun& run);
// Several lines: seeds passed and failed, totals over every run.
std::string summary(const std::vector<SeedRun>& runs);
// "outpost sim run FILE --seed N [--duration D] [--network N]"
std::string replay_command(const std::string& scenario_file, uint64_t seed, const std::string& duration,
                           const std::string& network = "");
nlohmann::json report_json(const std::string& scenario_file, const std::vector<SeedRun>& runs);

// 1234567 -> "1.23M"
std::string short_count(double value);

}  // namespace outpost::sim::commands
