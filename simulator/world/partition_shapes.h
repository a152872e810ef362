#pragma once
// Partition shapes that cut a tree, and Jepsen's: each expands into concrete groups of nodes before the run, so a
// report lists exactly who was cut off from whom. Two nodes can talk when some group holds both; a child -> parent
// link whose ends share no group is cut. The first group is "the side" a heal names and a one-way partition silences:
// the target's side for subtree and uplink, the level's nodes for level, the first drawn for the random shapes.
//
//   nodes            {targets, every other node}
//   subtree          {the target and everything below it, the rest}
//   level            {every node at depth `level` (1: the cloud's children), the rest}: cut from parents and children
//   uplink           {the target and its children, every node but the target}: only the target's uplink is cut
//   halves           two random halves of every node, the cloud included
//   bridge           two random halves, plus one random node in both that sees either side (Jepsen's bridge)
//   random-minority  {a random minority of the nodes (fewer than half), the rest}
#include <string>
#include <vector>

#include "reference/common/random.h"
#include "simulator/world/scenario.h"

namespace outpost::sim::world {

using PartitionGroups = std::vector<std::vector<std::string>>;

// The groups of a partition step (its shape, level and targets). Each group is sorted; every node is in one at least.
// Draws from `random` only for the random shapes (a fixed number of draws per shape and topology).
PartitionGroups partition_groups(const FaultStep& step, const SimTopology& topology, Random& random);

// The connected registries whose uplink crosses between groups (the child and its parent share no group), in
// topology order.
std::vector<std::string> crossing_uplinks(const PartitionGroups& groups, const SimTopology& topology);

// The depth of `node`: 0 for the cloud, 1 for its children, ...; and the deepest level of the topology.
unsigned depth_of(const SimTopology& topology, const std::string& node);
unsigned max_depth(const SimTopology& topology);

// The groups of a partition step, or of a heal naming one by its groups or shape: its own when the plan expanded it
// (plan_faults), else expanded now. A random shape not yet expanded throws ScenarioError: it is drawn when the plan is
// made, not when it is applied.
PartitionGroups expanded_groups(const FaultStep& step, const SimTopology& topology);

// What a heal with a target or groups ends (FaultInjector::heal, and the plan's check before a run): by its side, the
// partition whose first group is the heal's targets; otherwise (groups, or a shape), the partition of the same groups in
// any order, since a report lists them sorted and a hand may reorder them. A random shape without groups is refused
// (ScenarioError): it is drawn when the plan is made, and only its partition's `for` knows what was drawn.
class HealTarget {
 public:
  HealTarget(const FaultStep& heal, const SimTopology& topology);

  // The first of [first, last) that this heal ends: one whose groups are as the heal gives them, else the first whose
  // groups are the same in another order (two partitions of the same sides listed differently each keep their own).
  template <class Iterator, class GroupsOf>
  Iterator find_in(Iterator first, Iterator last, GroupsOf groups_of) const {
    for (Iterator it = first; it != last; ++it)
      if (ends(groups_of(*it), true)) return it;
    for (Iterator it = first; it != last; ++it)
      if (ends(groups_of(*it), false)) return it;
    return last;
  }

 private:
  bool ends(const PartitionGroups& partition, bool as_given) const;

  bool by_side_ = false;
  std::vector<std::string> side_;  // sorted
  PartitionGroups given_;          // the heal's groups as given (expanded from its shape)
  PartitionGroups groups_;         // each group sorted, then the groups
};

// Fills in the groups of every partition in `steps` with a shape but no groups yet, in order, and gives the step that
// ends one (a heal from its "for") the same groups. Steps already expanded are left alone, so a plan can be run again.
void expand_partitions(std::vector<FaultStep>& steps, const SimTopology& topology, Random& random);

}  // namespace outpost::sim::world
