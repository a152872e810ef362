#include "simulator/world/partition_shapes.h"

#include <algorithm>
#include <map>

#include "simulator/world/fault_details.h"
#include "simulator/world/fault_plan.h"
#include "simulator/world/topology_queries.h"

namespace outpost::sim::world {

namespace {

std::vector<std::string> sorted(std::vector<std::string> names) {
  std::sort(names.begin(), names.end());
  return names;
}

// Every node not in `side`, sorted.
std::vector<std::string> rest_of(const SimTopology& topology, const std::vector<std::string>& side) {
  std::vector<std::string> rest;
  for (const std::string& name : node_names(topology))
    if (std::find(side.begin(), side.end(), name) == side.end()) rest.push_back(name);
  return sorted(std::move(rest));
}

PartitionGroups side_and_rest(const SimTopology& topology, std::vector<std::string> side) {
  std::vector<std::string> rest = rest_of(topology, side);
  return {sorted(std::move(side)), std::move(rest)};
}

// Every node (the cloud first, parents before children) in an order drawn from `random`: Fisher-Yates, n - 1 draws.
std::vector<std::string> shuffled_nodes(const SimTopology& topology, Random& random) {
  std::vector<std::string> names = node_names(topology);
  for (size_t i = names.size(); i > 1; --i) std::swap(names[i - 1], names[random.uniform(i)]);
  return names;
}

std::vector<std::string> slice(const std::vector<std::string>& names, size_t from, size_t to) {
  return sorted(std::vector<std::string>(names.begin() + static_cast<std::ptrdiff_t>(from),
                                         names.begin() + static_cast<std::ptrdiff_t>(to)));
}

}  // namespace

unsigned depth_of(const SimTopology& topology, const std::string& node) {
  unsigned depth = 0;
  for (const cli::NodeSpec* spec = topology.cluster.node(node); spec; ++depth)
    spec = spec->parent ? topology.cluster.node(*spec->parent) : nullptr;
  return depth;
}

unsigned max_depth(const SimTopology& topology) {
  unsigned deepest = 0;
  for (const cli::NodeSpec& node : topology.cluster.nodes) deepest = std::max(deepest, depth_of(topology, node.name));
  return deepest;
}

PartitionGroups partition_groups(const FaultStep& step, const SimTopology& topology, Random& random) {
  switch (step.shape.kind) {
    case PartitionShapeKind::Nodes: return side_and_rest(topology, step.targets);
    case PartitionShapeKind::Subtree: return side_and_rest(topology, subtree(topology, step.targets.at(0)));
    case PartitionShapeKind::Level: {
      std::vector<std::string> side;
      for (const std::string& name : node_names(topology))
        if (depth_of(topology, name) == step.shape.level) side.push_back(name);
      return side_and_rest(topology, std::move(side));
    }
    case PartitionShapeKind::Uplink: {
      // The target keeps its children; everyone else keeps each other: only the target's own uplink crosses.
      const std::string& target = step.targets.at(0);
      std::vector<std::string> below = {target};
      for (const cli::NodeSpec* child : topology.cluster.children_of(target)) below.push_back(child->name);
      std::vector<std::string> others = node_names(topology);
      std::erase(others, target);
      return {sorted(std::move(below)), sorted(std::move(others))};
    }
    case PartitionShapeKind::Halves: {
      const std::vector<std::string> names = shuffled_nodes(topology, random);
      const size_t half = names.size() / 2;
      return {slice(names, 0, half), slice(names, half, names.size())};
    }
    case PartitionShapeKind::Bridge: {
      // The first drawn node is the bridge; the others split in two halves, each with the bridge.
      const std::vector<std::string> names = shuffled_nodes(topology, random);
      const size_t half = 1 + (names.size() - 1) / 2;
      std::vector<std::string> left = slice(names, 1, half), right = slice(names, half, names.size());
      left.push_back(names[0]);
      right.push_back(names[0]);
      return {sorted(std::move(left)), sorted(std::move(right))};
    }
    case PartitionShapeKind::RandomMinority: {
      const std::vector<std::string> names = shuffled_nodes(topology, random);
      const size_t minority = std::max<size_t>(1, (names.size() - 1) / 2);
      return {slice(names, 0, minority), slice(names, minority, names.size())};
    }
  }
  return {};
}

std::vector<std::string> crossing_uplinks(const PartitionGroups& groups, const SimTopology& topology) {
  const auto talk = [&groups](const std::string& a, const std::string& b) {
    return std::any_of(groups.begin(), groups.end(), [&](const std::vector<std::string>& group) {
      return std::binary_search(group.begin(), group.end(), a) && std::binary_search(group.begin(), group.end(), b);
    });
  };
  std::vector<std::string> crossing;
  for (const cli::NodeSpec& node : topology.cluster.nodes)
    if (!talk(node.name, node.parent.value_or(std::string(cli::kCloudNodeName)))) crossing.push_back(node.name);
  return crossing;
}

void expand_partitions(std::vector<FaultStep>& steps, const SimTopology& topology, Random& random) {
  std::map<std::string, PartitionGroups> drawn;  // origin of a partition -> its groups, for the heal that ends it
  for (FaultStep& step : steps) {
    if (step.shape.kind == PartitionShapeKind::Nodes || !step.groups.empty()) continue;
    if (step.action == FaultAction::Partition) {
      step.groups = partition_groups(step, topology, random);
      drawn[step.origin] = step.groups;
    } else if (step.action == FaultAction::Heal && step.origin.ends_with(kEndOfStep)) {
      const auto begin = drawn.find(step.origin.substr(0, step.origin.size() - kEndOfStep.size()));
      if (begin != drawn.end()) step.groups = begin->second;
    } else {
      continue;
    }
    if (!step.groups.empty()) step.targets = step.groups.front();
  }
}

namespace {
PartitionGroups canonical(PartitionGroups groups) {
  for (auto& group : groups) std::sort(group.begin(), group.end());
  std::sort(groups.begin(), groups.end());
  return groups;
}
}  // namespace

PartitionGroups expanded_groups(const FaultStep& step, const SimTopology& topology) {
  if (!step.groups.empty()) return step.groups;
  // A step the plan did not expand (a plain side; a test's step): only a shape that draws nothing can be expanded here.
  if (is_random_shape(step.shape.kind))
    throw ScenarioError(step.origin + ": a " + std::string(to_string(step.shape.kind)) +
                        " partition is drawn when the plan is made (plan_faults), not when it is applied");
  SeededRandom no_draws(0);
  return partition_groups(step, topology, no_draws);
}

HealTarget::HealTarget(const FaultStep& heal, const SimTopology& topology) {
  by_side_ = heal.groups.empty() && heal.shape.kind == PartitionShapeKind::Nodes;
  if (by_side_) {
    side_ = sorted(heal.targets);
    return;
  }
  given_ = expanded_groups(heal, topology);
  groups_ = canonical(given_);
}

bool HealTarget::ends(const PartitionGroups& partition, bool as_given) const {
  if (by_side_) return !partition.empty() && partition.front() == side_;
  return as_given ? partition == given_ : canonical(partition) == groups_;
}

}  // namespace outpost::sim::world
