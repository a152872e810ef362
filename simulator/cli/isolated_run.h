#pragma once
// Runs one world in a child process of its own (fork), and brings back its result as JSON. Two reasons:
//  - a world that crashes (a bug in a node that a seed found) fails that seed, with its replay command, instead of
//    taking the whole command and the other seeds down;
//  - nothing a world leaves in the process can reach the next one (the control plane once counted configuration
//    versions per process, and a second world in one process saw other versions than the first), and each world
//    starts with a fresh heap. Worlds do not need it to replay today (tests/unit/world/test_determinism.cpp runs two
//    in one process), but a seed's replay must never depend on which seeds ran before it.
#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "reference/common/clock.h"
#include "simulator/world/scenario.h"

namespace outpost::sim::commands {

struct IsolatedRun {
  nlohmann::json result;  // RunResult::to_json(); on failure a stub with "ok": false and the violation
  std::string hash;       // the trace hash, "" on failure
};

// `trace_file` not empty: the whole trace is kept and written there in the Chrome trace event format.
IsolatedRun run_isolated(const world::Scenario& scenario, uint64_t seed, std::optional<Nanoseconds> duration,
                         const std::string& trace_file = "");

}  // namespace outpost::sim::commands
