#include "simulator/world/fault_plan_check.h"

#include <algorithm>
#include <set>
#include <utility>

#include "simulator/world/partition_shapes.h"
#include "simulator/world/quantities.h"

namespace outpost::sim::world {

namespace {

std::string describe(const PartitionGroups& groups) {
  std::string text = "[";
  for (const auto& group : groups) {
    text += text.size() > 1 ? ", [" : "[";
    for (size_t i = 0; i < group.size(); ++i) text += (i ? ", " : "") + group[i];
    text += "]";
  }
  return text + "]";
}

std::string in_effect(const std::vector<PartitionGroups>& partitions) {
  if (partitions.empty()) return "none is";
  std::string text;
  for (const PartitionGroups& groups : partitions) text += (text.empty() ? "" : ", ") + describe(groups);
  return text + (partitions.size() == 1 ? " is" : " are");
}
}  // namespace

std::vector<std::string> steps_that_end_nothing(const std::vector<FaultStep>& plan, const SimTopology& topology,
                                                Nanoseconds duration) {
  std::vector<std::string> idle;
  std::vector<PartitionGroups> partitions;
  std::set<std::pair<std::string, std::string>> toxics;  // (uplink's child, toxic name)
  for (const FaultStep& step : plan) {
    if (step.at >= duration) break;  // not applied (a timeline cut short by --duration)
    switch (step.action) {
      case FaultAction::Partition: partitions.push_back(expanded_groups(step, topology)); break;
      case FaultAction::Heal: {
        if (step.targets.empty() && step.groups.empty()) {  // every partition and link fault
          partitions.clear();
          toxics.clear();
          break;
        }
        const HealTarget target(step, topology);
        const auto it = target.find_in(partitions.begin(), partitions.end(),
                                       [](const PartitionGroups& groups) -> const PartitionGroups& { return groups; });
        if (it == partitions.end()) {
          idle.push_back(step.origin + ": the heal at " + format_duration(step.at) +
                         " names no partition in effect then (" + in_effect(partitions) +
                         ") and does nothing; a heal names a partition by its side (`target`, as the partition had "
                         "it) or by its groups, in any order");
        } else {
          partitions.erase(it);
        }
        break;
      }
      case FaultAction::Toxic:
        for (const std::string& child : step.targets) toxics.emplace(child, step.link.toxic_name);
        break;
      case FaultAction::RemoveToxic:
        for (const std::string& child : step.targets)
          if (toxics.erase({child, step.link.toxic_name}) == 0)
            idle.push_back(step.origin + ": remove-toxic at " + format_duration(step.at) + " names no toxic " +
                           step.link.toxic_name + " on the uplink of " + child + " then, and does nothing");
        break;
      default: break;
    }
  }
  return idle;
}

}  // namespace outpost::sim::world
