#pragma once
// A plan whose undoing steps name nothing: a `heal` naming a partition that is not in effect (its groups mistyped, a
// side that is not the one a shape cut off, a partition its own `for` already healed), a `remove-toxic` naming no
// toxic on that uplink. Applied, each would do nothing, and the fault it meant to end would last until the settle: a
// run that silently tests something else. Refused before the run instead, naming the step.
#include <vector>

#include "simulator/world/scenario.h"

namespace outpost::sim::world {

// Walks `plan` (plan_faults: sorted by time, equal times in plan order) up to `duration`, keeping what is in effect
// as FaultInjector would. Throws ScenarioError for the first heal or remove-toxic that would end nothing.
void check_fault_plan(const std::vector<FaultStep>& plan, const SimTopology& topology, Nanoseconds duration);

}  // namespace outpost::sim::world
