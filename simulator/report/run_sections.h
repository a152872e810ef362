#pragma once
// The sections of one run (one seed) on the HTML report, each an HTML fragment built from the run's JSON
// (world::RunResult::to_json plus what `outpost sim run --report` adds). A section whose data the run lacks says
// "not in this report" instead of failing; html_report.cpp puts them together.
//
// Fields read (all optional):
//   facts:       scenario, seed, ok, violations, network, nodes, passwordHashIterations, virtualTime.*, wallSeconds,
//                events, eventsPerSecond, traceHash, runHash, secondRunHash, deterministic, requests.*, syncRounds,
//                convergence.*, workload.*, faults.applied
//   topology:    topology.nodes [{name, parent, mode}] (parent absent or null: under the cloud), topology.source
//   timeline:    metrics.faults.list [{atNanoseconds, action, targets, origin, at}], virtualTime.endNanoseconds;
//                sync rounds per node from metrics.rounds {node: [[startNanoseconds, endNanoseconds], ...]}, and the
//                failed ones from metrics.failedRounds (the same shape)
//   throughput:  metrics.window, metrics.throughput.{links,levels}.<name>.{bytes, meanOverRun, activeWindows, p50, p90,
//                p99, max}; over time from .series [[windowStartNanoseconds, bytesPerSecond], ...]; metrics.bytes.*
//   propagation: metrics.propagation.{down,up}.<depth>.{count, p50, p90, p99, max, notArrived} (milliseconds)
//   invariants:  invariants.{held, checks [{name, checked, violations}], violations [...], enforcement.delaysMs}
#include <nlohmann/json.hpp>
#include <string>

namespace outpost::sim::report {

// `anchor` prefixes the ids of the run's sections ("seed-7" gives "seed-7-topology", ...); `scenario_file` is the
// report's scenarioFile, for the replay command.
std::string facts_section(const nlohmann::json& run, const std::string& scenario_file);
std::string topology_section(const nlohmann::json& run, const std::string& anchor);
std::string timeline_section(const nlohmann::json& run, const std::string& anchor);
std::string throughput_section(const nlohmann::json& run, const std::string& anchor);
std::string propagation_section(const nlohmann::json& run, const std::string& anchor);
std::string invariants_section(const nlohmann::json& run, const std::string& anchor);

// The command that replays the run: "outpost sim run FILE --seed N [--duration D] [--network N]".
std::string replay_command(const nlohmann::json& run, const std::string& scenario_file);

// "<p class="missing">WHAT: not in this report.</p>"
std::string not_in_report(const std::string& what);

// A topology of more nodes than this is drawn to its first levels only (a tree of thousands is no picture).
inline constexpr size_t kMostNodesDrawn = 120;
// The timeline has a lane per node up to this many, then only the nodes that had faults (or rounds), then it stops.
inline constexpr size_t kMostLanes = 40;

}  // namespace outpost::sim::report
