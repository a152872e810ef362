#pragma once
// `outpost sim shrink`: a seed that fails is replayed with ever smaller fault plans until the plan is 1-minimal (every
// fault left is needed for the failure), and the smallest plan is written as a scenario of its own:
//
//   outpost sim shrink SCENARIO.json --seed N [--duration D] [--network direct|simulated] [--storage memory|disk] [--output FILE]
//                                            [--max-runs N]
//
// The plan is what the seed's run applies: the scenario's timeline and what its nemesis draws, each step on its own
// (a link-down and the link-up that ends it are two steps; dropping the end keeps the link down until the settle
// phase heals everything). The workload stays as it is: it draws from its own stream, which no fault step touches.
// Each run is a child process (isolated_run.h), like `sim run`. Exit status 0 with a minimal plan written, 1 when the
// seed does not fail (nothing to shrink), 2 for a wrong command line or scenario.
#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <set>

#include "simulator/world/scenario.h"

namespace outpost::sim::commands {

struct SimShrinkOptions {
  std::string scenario;
  std::optional<uint64_t> seed;  // default: the scenario's
  std::string duration;
  std::string network;
  std::string storage;
  std::string output;  // default: SCENARIO's name with "-shrunk-<seed>" before ".json", beside it
  size_t max_runs = 200;
  // Accept any failure while shrinking, not only the whole plan's (its invariants and unconverged nodes).
  bool any_failure = false;
  std::string log_level = "off";
  std::string program = "outpost";  // the executable as it was run, for the replay command
};

// The fault plan a seed's run applies (the timeline and the nemesis's draws, sorted as the world applies them).
std::vector<world::FaultStep> fault_plan_of(const world::Scenario& scenario, uint64_t seed,
                                            std::optional<Nanoseconds> duration);

// `scenario` with `steps` as its whole fault plan: a timeline of single steps, no nemesis.
world::Scenario with_plan(world::Scenario scenario, std::vector<world::FaultStep> steps);

// The scenario document `original` (as read from `original_file`) with `steps` as its timeline, no nemesis, `seed`
// as its seed, and its topology file (if it names one) made reachable from `output_file`.
nlohmann::json shrunk_document(const nlohmann::json& original, const std::string& original_file,
                               const std::string& output_file, const std::vector<world::FaultStep>& steps,
                               uint64_t seed, bool minimal = true);

// How a run (its `sim run` result) failed: "invariant <name>" for each invariant it broke and "not converged at
// <node>" for each node that did not converge; "failed" for a failure none of them names; empty for a pass. A
// smaller plan fails the same way when its signature includes the whole plan's.
std::set<std::string> failure_signature(const nlohmann::json& result);

int shrink_simulation(const SimShrinkOptions& options, std::ostream& out, std::ostream& err);

}  // namespace outpost::sim::commands
