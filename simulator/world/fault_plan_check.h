#pragma once
// A plan whose undoing steps name nothing: a `heal` naming a partition that is not in effect (its groups mistyped, a
// side that is not the one a shape cut off, a partition its own `for` already healed), a `remove-toxic` naming no
// toxic on that uplink. Applied, each does nothing, and the fault it meant to end lasts until the settle: a run that
// silently tests something else. Found before the run and said, naming the step. Said, not refused: a shrunk plan
// (outpost sim shrink) keeps such steps when the search stopped before it was minimal, and must still replay.
#include <vector>

#include "simulator/world/scenario.h"

namespace outpost::sim::world {

// Walks `plan` (plan_faults: sorted by time, equal times in plan order) up to `duration`, keeping what is in effect
// as FaultInjector would: what each heal or remove-toxic that ends nothing would have meant, one line per step.
std::vector<std::string> steps_that_end_nothing(const std::vector<FaultStep>& plan, const SimTopology& topology,
                                                Nanoseconds duration);

}  // namespace outpost::sim::world
