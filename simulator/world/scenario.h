#pragma once
// A simulation scenario: a hierarchy (the live cluster's topology vocabulary, plus links and NICs), a workload of
// client pushes, pulls and control-plane changes, a fault plan (a timeline and/or a seeded random nemesis), and how
// long it runs in virtual time. docs/simulator.md ("Scenario format") and docs/simulator-scenario.schema.json
// describe the JSON; parsing checks everything and fills every default, so a World never has to guess.
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/cli/cluster_topology.h"
#include "reference/common/clock.h"
#include "reference/common/random.h"
#include "simulator/world/fault_details.h"
#include "simulator/world/world_network.h"

namespace outpost::sim::world {

// What is wrong with a scenario, prefixed with where: "workload[2].layerSize.max: ...".
class ScenarioError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The cost knob of SPEC 3.3: every node's PBKDF2 iterations unless the scenario says otherwise (a topology's own
// passwordHashIterations is the live cluster's). Low, because a simulated run checks behaviour, not the cost of
// guessing passwords; reports say which value ran.
inline constexpr unsigned kDefaultSimPasswordHashIterations = 10;

struct SimTopology {
  cli::Topology cluster;  // nodes, modes, repositories, client tokens, sync settings: parsed by the cluster's parser
  LinkSpec default_link;                 // every child -> parent link without a spec of its own
  std::map<std::string, LinkSpec> links;  // child name -> its uplink
  std::map<std::string, NicSpec> nics;    // node name (or "cloud") -> its interface

  // The uplink of `child`: its own spec, or the default.
  LinkSpec link_of(const std::string& child) const;
};

// Topologies from code: a complete tree under the cloud, `fanout` children per node, `depth` levels of connected
// registries. `modes[level - 1]` is the mode of every node at that level (the last one repeats; empty: ReadWrite
// while the parent allows it). Nodes are named after their path: node1, node1n2, node1n2n3. Every node syncs
// `repositories` and gets one client token `<name>-client` (push on ReadWrite nodes, pull on ReadOnly ones).
// Throws ScenarioError (a ReadOnly level above a ReadWrite one, names too long, no repository).
SimTopology tree(unsigned depth, unsigned fanout, const std::vector<std::string>& modes,
                 const std::vector<std::string>& repositories);

// Sizes drawn per layer: fixed, uniform in [min, max], or log-normal around a median (clamped to [min, max]).
struct SizeDistribution {
  enum class Kind { Fixed, Uniform, LogNormal };
  Kind kind = Kind::Fixed;
  uint64_t value = 4096;  // Fixed
  uint64_t min = 1;       // Uniform, LogNormal (clamp)
  uint64_t max = 1;       // Uniform, LogNormal (clamp)
  uint64_t median = 1;    // LogNormal
  double sigma = 1.0;     // LogNormal: standard deviation of the log
  uint64_t draw(Random& random) const;
};

struct CountRange {
  uint32_t min = 1, max = 1;
  uint32_t draw(Random& random) const;
};

// When a workload item fires: at given times, at a fixed interval, or at a Poisson rate; within [start, stop) of the
// run and at most `count` times.
// The most times one workload item or nemesis rate may fire in a run (as many as "count" may ask for).
inline constexpr uint64_t kMostOccurrences = 10'000'000;
// The most faults the nemesis may draw in a run, all its kinds together. Each is planned before the run, applied,
// traced and listed in the report (about 10 KB of memory each in a small world; a partition of a large fleet holds its
// nodes' names): 10 kinds at 1000/s planned 1.2 million faults for two virtual minutes and took 12.5 GB.
inline constexpr uint64_t kMostNemesisFaults = 100'000;
// The highest "rate": one per millisecond, the resolution of drawn times.
inline constexpr double kMostPerHour = 3'600'000;

struct Timing {
  std::vector<Nanoseconds> times;  // "at" or "times"
  std::optional<Nanoseconds> every;
  double per_hour = 0;  // "rate"
  Nanoseconds start{0};
  std::optional<Nanoseconds> stop;  // absent: the run's end
  std::optional<uint64_t> count;
  // The firing times within a run of `duration`, sorted (rates draw their gaps from `random`).
  std::vector<Nanoseconds> expand(Nanoseconds duration, Random& random) const;
  // How many times it fires in a run of `duration`: exactly for times and every, the mean for a rate.
  double expected_count(Nanoseconds duration) const;
};

struct PushAction {
  std::string node;                       // "cloud" or a ReadWrite node
  std::vector<std::string> repositories;  // one is drawn per push
  std::optional<std::string> tag;         // absent: a fresh tag per push, "<node>-<n>"
  std::string token;                      // a client token of the node; "admin" at the cloud
  CountRange layers;
  SizeDistribution layer_size;
  bool synthetic = false;  // "payload": "synthetic": layers are recipes charged at their size (synthetic_body.h)
};

struct PullAction {
  std::string node;
  std::string token;                      // a client token of the node; "admin" at the cloud
  std::vector<std::string> repositories;  // restrict the draw to these names or prefix/* patterns; empty = any
};

struct TokenChange {
  std::string token;
  std::optional<std::string> status;      // "enabled" | "disabled"
  std::optional<std::string> regenerate;  // "password1" | "password2"
};

struct ScopeMapChange {
  std::string scope_map;
  std::optional<std::vector<std::string>> actions;  // replaces the list
  std::vector<std::string> add, remove;
};

// A client deletes something pushed earlier (SPEC 5.1: deletes and untags propagate as pushes do): one acknowledged
// push the node syncs, drawn as a pull draws, deleted by digest (the manifest) or untagged (its tag).
struct DeleteAction {
  std::string node;                       // "cloud" or a ReadWrite node
  std::string token;                      // a client token of the node; "admin" at the cloud
  std::vector<std::string> repositories;  // restrict the draw to these names or prefix/* patterns; empty = any
  bool untag = false;                     // "what": "tag" (DELETE by tag) rather than "manifest" (by digest)
};

// A client tags again something pushed earlier, as a release promotion does: one acknowledged push the node syncs,
// drawn as a pull draws, its manifest read by digest and PUT under a new tag "<node>-tag-<n>". The same manifest
// acknowledged again, so expected at the cloud again (SPEC 5.6), even if a delete of it went by meanwhile.
struct TagAction {
  std::string node;                       // "cloud" or a ReadWrite node
  std::string token;                      // a client token of the node that may push; "admin" at the cloud
  std::vector<std::string> repositories;  // restrict the draw to these names or prefix/* patterns; empty = any
};

struct WorkloadItem {
  std::string where;  // "workload[3]": for messages and reports
  Timing timing;
  std::variant<PushAction, PullAction, TokenChange, ScopeMapChange, DeleteAction, TagAction> action;
};

// New actions go at the end: the nemesis draws its kinds in this order, so existing seeds replay.
enum class FaultAction {
  LinkDown, LinkUp, Partition, Heal, Crash, Restart, Pause, Resume, ClockSkew,
  Toxic, RemoveToxic, LostResponses, Stop, Slow, Jam, Restore, DiskFull, DiskFreed
};
std::string_view to_string(FaultAction action);
std::optional<FaultAction> parse_fault_action(std::string_view text);

// One step of a fault plan. Targets: a node's uplink (link-down/up, toxic, remove-toxic, lost-responses, stop, slow,
// jam, restore), one side of a partition (partition), a node (crash, restart, pause, resume, clock-skew, disk-full,
// disk-freed); heal: none (every partition, cut link and link fault) or one side of a partition.
struct FaultStep {
  Nanoseconds at{0};
  FaultAction action = FaultAction::Heal;
  std::vector<std::string> targets;
  Nanoseconds skew{0};  // clock-skew
  std::string origin;   // "timeline[4]" or "nemesis"
  PartitionShape shape;                          // partition, and the heal that ends it
  std::vector<std::vector<std::string>> groups;  // partition, expanded (partition_shapes.h); targets = groups[0]
  LinkFault link;                                // toxic, remove-toxic, lost-responses, stop, slow, jam, restore
  nlohmann::json to_json() const;
};

// A seeded random nemesis: faults at Poisson times (rates per hour per kind), each healed after a duration drawn
// uniformly in [min_duration, max_duration]. Expanded into FaultSteps before the run, so a report lists them.
struct NemesisSpec {
  std::map<FaultAction, double> per_hour;  // LinkDown, Partition (a subtree), Crash, Pause, ClockSkew, DiskFull
  std::map<PartitionShapeKind, double> partitions_per_hour;  // Level, Halves, Bridge, RandomMinority
  Nanoseconds start{0};
  std::optional<Nanoseconds> stop;  // absent: the run's end
  Nanoseconds min_duration = std::chrono::seconds(10);
  Nanoseconds max_duration = std::chrono::minutes(5);
  Nanoseconds max_skew = std::chrono::minutes(5);
  std::vector<std::string> targets;  // nodes it may hit; empty: every connected registry
  bool enabled() const { return !per_hour.empty() || !partitions_per_hour.empty(); }
};

struct Scenario {
  std::string name = "scenario";
  std::string description;
  std::filesystem::path file;  // where it was read from; empty when built in code
  uint64_t seed = 1;
  Nanoseconds duration = std::chrono::hours(1);
  // After the run every fault heals; convergence must then come within `settle`, checked every `check_interval`.
  Nanoseconds settle = std::chrono::minutes(15);
  Nanoseconds check_interval = std::chrono::seconds(10);
  // Before the run: how long the nodes may take to activate and sync once (their readiness).
  Nanoseconds warm_up = std::chrono::minutes(5);
  // "startNodes": each node starts as soon as its connected registry exists ("asCreated", as `outpost cluster up`
  // does), or once every node's resources exist ("together"): then each node reads its configuration once, instead of
  // once for every node created below it, which is what makes a wide tree build in time linear in its size.
  bool start_nodes_together = false;
  unsigned password_hash_iterations = kDefaultSimPasswordHashIterations;
  // "direct" (no delay: link specs are recorded only) or "simulated" (links with latency and bandwidth).
  std::string network = "direct";
  // "memory" (each host's stores in memory) or "disk" (each host's data directory, as `outpost serve` keeps it: blob
  // and upload files and SQLite, in a temporary directory removed with the world; a crash closes the stores and a
  // restart opens them again, so the node's recovery runs on what the dead process left).
  std::string storage = "memory";
  SimTopology topology;
  std::vector<WorkloadItem> workload;
  std::vector<FaultStep> timeline;
  NemesisSpec nemesis;
};

// Throws ScenarioError naming the workload item or nemesis rate that would fire more than kMostOccurrences times in a
// run of `duration` (the scenario's, or one a command line gives): refused before the run, as a wrong scenario.
void check_occurrences(const Scenario& scenario, Nanoseconds duration);

// Runs `check`, naming `file` in front of a ScenarioError it throws ("FILE: scenario.workload[0]: ..."), as
// load_scenario names it: for checks a command line makes after loading (its own --duration, --network).
template <class Check>
void in_file(const std::filesystem::path& file, Check check) {
  try {
    check();
  } catch (const ScenarioError& error) {
    throw ScenarioError(file.string() + ": " + error.what());
  }
}

// Throws ScenarioError. `base` resolves a topology given as a file name (relative to the scenario's directory).
Scenario parse_scenario(const nlohmann::json& document, const std::filesystem::path& base = {});
// Reads and parses a file; throws ScenarioError (also for unreadable files and invalid JSON), prefixed with the file.
Scenario load_scenario(const std::filesystem::path& file);

}  // namespace outpost::sim::world
