#pragma once
// What `outpost sim run` prints and writes: one line per seed, the summary, the replay command, the JSON report. It
// reads runs as their JSON results (world::RunResult::to_json), since each run comes back from a child process.
#include <cstdint>
#include <ostream>
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
// The sweep's summary as running totals, so that a sweep holds one run's result at a time however many seeds it runs
// (each result is a whole report: a list of the results grew by about half a megabyte per seed).
class SweepTally {
 public:
  void add(const SeedRun& run);
  // Several lines: seeds passed and failed, totals over every run added.
  std::string text() const;

 private:
  size_t runs_ = 0, passed_ = 0, converged_ = 0, held_ = 0;
  uint64_t events_ = 0, requests_ = 0, acknowledged_ = 0, arrived_ = 0, virtual_ns_ = 0, checks_ = 0;
  double wall_ = 0;
  double after_build_events_ = 0, after_build_wall_ = 0;  // the runs' events and wall time once built
  std::string described_;  // " (scenario, nodes, network, storage, password hash iterations)" of the first run that says
};
// "outpost sim run FILE --seed N [--duration D] [--network N] [--storage S]", `program` naming the executable as it was run (so that
// `build/bin/outpost`, not on PATH, prints a command that works as it is pasted).
std::string replay_command(const std::string& scenario_file, uint64_t seed, const std::string& duration,
                           const std::string& network = "", const std::string& program = "outpost",
                           const std::string& storage = "");

// The --report file, written run by run as the sweep goes: {"runs": [...], "passed", "scenarioFile", "seeds",
// "topology"}, each run its result with runHash, ok and violations (and secondRunHash and deterministic when checked),
// and the topology once for all of them (`sim report` draws it: its nodes [{name, parent, mode}]; null when not
// given). The file is whole JSON only after finish().
class ReportWriter {
 public:
  ReportWriter(std::ostream& out, std::string scenario_file, nlohmann::json topology = nullptr);
  void add(const SeedRun& run);
  void finish();

 private:
  std::ostream& out_;
  std::string scenario_file_;
  nlohmann::json topology_;
  size_t runs_ = 0, passed_ = 0;
};
// One run as the report holds it.
nlohmann::json report_entry(const SeedRun& run);

// 1234567 -> "1.23M"
std::string short_count(double value);

}  // namespace outpost::sim::commands
