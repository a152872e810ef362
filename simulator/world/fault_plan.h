#pragma once
// A run's fault plan: the scenario's timeline plus what its nemesis draws, as one list of steps sorted by time (equal
// times keep timeline order, then the nemesis's). Drawn before the run from the nemesis's own seeded stream, so the
// report can list every fault and a seed replays them exactly.
#include <vector>

#include "reference/common/random.h"
#include "simulator/world/scenario.h"

namespace outpost::sim::world {

std::vector<FaultStep> plan_faults(const Scenario& scenario, Nanoseconds duration, Random& nemesis_random);

// The nodes of `root`'s subtree, `root` first (one side of a partition the nemesis draws).
std::vector<std::string> subtree(const SimTopology& topology, const std::string& root);

}  // namespace outpost::sim::world
