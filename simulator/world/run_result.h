#pragma once
// What one run of a world comes to: the judgement (convergence, acknowledged pushes, verified pulls), what the
// workload did, what the faults were, and the cost (virtual and wall time, events, requests). `violations` is what
// makes `outpost sim run` exit non-zero.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "simulator/world/convergence.h"
#include "simulator/world/scenario.h"
#include "simulator/world/workload.h"

namespace outpost::sim::world {

struct RequestTotals {
  uint64_t requests = 0;            // exchanges that ended
  uint64_t transport_failures = 0;  // of those, refused, reset or cut
  uint64_t bytes_up = 0;            // request bodies
  uint64_t bytes_down = 0;          // response bodies
  uint64_t rounds = 0;              // sync rounds finished, every node together
};

struct RunResult {
  std::string scenario;
  uint64_t seed = 0;
  std::string network;  // "direct", ...
  std::string storage;  // "memory" or "disk"
  unsigned password_hash_iterations = 0;
  size_t nodes = 0;     // the cloud included
  bool ready = false;   // every node activated and synced once before the run began
  bool stalled = false;  // stopped at a busy loop (invariant time-moves): what would have come after is not judged
  Nanoseconds warm_up{0};
  Nanoseconds duration{0};
  Nanoseconds settle{0};     // from the heal to the end of the last check
  Nanoseconds virtual_end{0};
  double wall_seconds = 0;
  uint64_t events = 0;       // dispatched by the event loop
  // The world's building (its resources, its nodes started, the warm-up until all are ready): its wall time and
  // events, timed by build() whoever called it, and the wall time of run_all after the building (all of run_all when
  // the world was built before it; 0 when the building itself stopped the run).
  double build_wall_seconds = 0;
  uint64_t build_events = 0;
  double after_build_wall_seconds = 0;
  std::string trace_hash;    // the run's identity: two runs of one seed must agree on it
  uint64_t trace_records = 0;
  RequestTotals requests;
  WorkloadStats workload;
  std::vector<FaultStep> faults;  // the plan, timeline and nemesis
  uint64_t faults_applied = 0;
  ConvergenceReport convergence;
  // The invariant checks attached to the run (invariant_watch.h): their report, and one text per violation.
  nlohmann::json invariants;
  std::vector<std::string> invariant_violations;
  nlohmann::json metrics;  // run_metrics.h
  std::vector<std::string> violations;

  bool ok() const { return violations.empty(); }
  double events_per_second() const { return wall_seconds > 0 ? static_cast<double>(events) / wall_seconds : 0; }
  // The rate once the world is built: the run's own events over the run's own wall time.
  double events_per_second_after_build() const {
    return after_build_wall_seconds > 0 ? static_cast<double>(events - build_events) / after_build_wall_seconds : 0;
  }
  nlohmann::json to_json() const;
};

// Fills result.violations from what the result holds (the end-of-run judgement, then the invariants' violations).
void judge(RunResult& result);

}  // namespace outpost::sim::world
