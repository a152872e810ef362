#pragma once
// Runs one world in a child process of its own (fork), and brings back its result as JSON. Two reasons:
//  - a world that crashes (a bug in a node that a seed found) fails that seed, with its replay command, instead of
//    taking the whole command and the other seeds down;
//  - nothing a world leaves in the process can reach the next one (the control plane once counted configuration
//    versions per process, and a second world in one process saw other versions than the first), and each world
//    starts with a fresh heap. Worlds do not need it to replay today (tests/unit/world/test_determinism.cpp runs two
//    in one process), but a seed's replay must never depend on which seeds ran before it.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "reference/common/clock.h"
#include "simulator/world/data_root.h"
#include "simulator/world/scenario.h"

namespace outpost::sim::commands {

struct IsolatedRun {
  nlohmann::json result;  // RunResult::to_json(); on failure a stub with "ok": false and the violation
  std::string hash;       // the trace hash, "" on failure
};

// A run started in a child process of its own; collect() waits for it to end and brings back its result. Several
// may run at once (`sim run --jobs`): each child writes its result into a pipe of its own.
class StartedRun {
 public:
  // `trace_file` not empty: the whole trace is kept and written there in the Chrome trace event format.
  StartedRun(const world::Scenario& scenario, uint64_t seed, std::optional<Nanoseconds> duration,
             const std::string& trace_file = "");
  StartedRun(StartedRun&& other) noexcept;
  StartedRun& operator=(StartedRun&&) = delete;
  StartedRun(const StartedRun&) = delete;
  StartedRun& operator=(const StartedRun&) = delete;
  // A run dropped before it was collected is collected here, so that no child is left behind.
  ~StartedRun();

  // Blocks until the child has written its result and ended. Once only.
  IsolatedRun collect();

 private:
  std::string scenario_name_;
  uint64_t seed_ = 0;
  int pid_ = -1;  // -1: collected (or moved from)
  int result_fd_ = -1;
  // On disk storage, where the child's world keeps its hosts' data (its TMPDIR): removed here once the child has
  // ended, however it ended (the child ends with _exit, its world never destroyed, and may be killed).
  std::unique_ptr<world::DataRoot> data_root_;
};

// One run, started and collected.
IsolatedRun run_isolated(const world::Scenario& scenario, uint64_t seed, std::optional<Nanoseconds> duration,
                         const std::string& trace_file = "");

}  // namespace outpost::sim::commands
