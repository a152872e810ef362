#include "simulator/world/fault_plan.h"

#include <algorithm>

#include "simulator/world/partition_shapes.h"

namespace outpost::sim::world {

namespace {

// In whole milliseconds (the bounds rounded down), like every drawn time: reports read back exactly.
Nanoseconds uniform_between(Random& random, Nanoseconds low, Nanoseconds high) {
  using std::chrono::milliseconds;
  const auto from = std::chrono::floor<milliseconds>(low), to = std::chrono::floor<milliseconds>(high);
  return from + milliseconds(static_cast<int64_t>(random.uniform(static_cast<uint64_t>((to - from).count()) + 1)));
}

// Every node the nemesis may hit with `action`: its targets, or every connected registry; never the cloud for a
// link-down or a partition (the cloud has no uplink; a partition is drawn as a subtree).
std::vector<std::string> eligible(const Scenario& scenario, FaultAction action) {
  std::vector<std::string> names = scenario.nemesis.targets;
  if (names.empty())
    for (const cli::NodeSpec& node : scenario.topology.cluster.nodes) names.push_back(node.name);
  if (action == FaultAction::LinkDown || action == FaultAction::Partition)
    std::erase(names, std::string(cli::kCloudNodeName));
  return names;
}

void draw_nemesis(const Scenario& scenario, Nanoseconds duration, Random& random, std::vector<FaultStep>& steps) {
  const NemesisSpec& nemesis = scenario.nemesis;
  for (const auto& [action, per_hour] : nemesis.per_hour) {
    const std::vector<std::string> names = eligible(scenario, action);
    if (names.empty()) continue;
    Timing timing;
    timing.per_hour = per_hour;
    timing.start = nemesis.start;
    timing.stop = nemesis.stop;
    for (Nanoseconds at : timing.expand(duration, random)) {
      const std::string& target = names[random.uniform(names.size())];
      const Nanoseconds lasts = uniform_between(random, nemesis.min_duration, nemesis.max_duration);
      FaultStep begin;
      begin.at = at;
      begin.action = action;
      begin.targets = {target};
      begin.origin = "nemesis";
      FaultStep end = begin;
      end.at = at + lasts;
      end.origin = "nemesis (end)";
      switch (action) {
        case FaultAction::LinkDown: end.action = FaultAction::LinkUp; break;
        case FaultAction::Partition:
          begin.targets = end.targets = subtree(scenario.topology, target);
          end.action = FaultAction::Heal;
          break;
        case FaultAction::Crash: end.action = FaultAction::Restart; break;
        case FaultAction::DiskFull: end.action = FaultAction::DiskFreed; break;
        case FaultAction::Pause: end.action = FaultAction::Resume; break;
        case FaultAction::ClockSkew: {
          // Whole milliseconds, so the report's durations read back exactly.
          const int64_t most = std::chrono::duration_cast<std::chrono::milliseconds>(nemesis.max_skew).count();
          const int64_t drawn = static_cast<int64_t>(random.uniform(static_cast<uint64_t>(2 * most + 1))) - most;
          begin.skew = std::chrono::milliseconds(drawn);
          end.skew = Nanoseconds(0);
          break;
        }
        default: break;
      }
      steps.push_back(std::move(begin));
      steps.push_back(std::move(end));
    }
  }
  // Partitions of a shape: drawn after every other kind, so a scenario without them replays as before.
  for (const auto& [kind, per_hour] : nemesis.partitions_per_hour) {
    Timing timing;
    timing.per_hour = per_hour;
    timing.start = nemesis.start;
    timing.stop = nemesis.stop;
    for (Nanoseconds at : timing.expand(duration, random)) {
      FaultStep begin;
      begin.at = at;
      begin.action = FaultAction::Partition;
      begin.origin = "nemesis";
      begin.shape.kind = kind;
      if (kind == PartitionShapeKind::Level)
        begin.shape.level = 1 + static_cast<unsigned>(random.uniform(max_depth(scenario.topology)));
      begin.groups = partition_groups(begin, scenario.topology, random);
      begin.targets = begin.groups.front();
      FaultStep end = begin;
      end.at = at + uniform_between(random, nemesis.min_duration, nemesis.max_duration);
      end.action = FaultAction::Heal;
      end.origin = "nemesis (end)";
      steps.push_back(std::move(begin));
      steps.push_back(std::move(end));
    }
  }
}

}  // namespace

std::vector<std::string> subtree(const SimTopology& topology, const std::string& root) {
  std::vector<std::string> names = {root};
  for (size_t i = 0; i < names.size(); ++i)
    for (const cli::NodeSpec* child : topology.cluster.children_of(names[i])) names.push_back(child->name);
  return names;
}

std::vector<FaultStep> plan_faults(const Scenario& scenario, Nanoseconds duration, Random& nemesis_random) {
  std::vector<FaultStep> steps = scenario.timeline;
  // The timeline's partition shapes first (the random ones draw from this stream too), then the nemesis.
  expand_partitions(steps, scenario.topology, nemesis_random);
  if (scenario.nemesis.enabled()) draw_nemesis(scenario, duration, nemesis_random, steps);
  std::stable_sort(steps.begin(), steps.end(), [](const FaultStep& a, const FaultStep& b) { return a.at < b.at; });
  return steps;
}

}  // namespace outpost::sim::world
