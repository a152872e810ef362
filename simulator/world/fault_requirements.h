#pragma once
// Faults on a link's bytes need a network that carries bytes over links: toxics (but `down`, which is a cut),
// lost responses, stopped, slowed and jammed directions, one-way partitions. The direct network has no links, so a
// scenario that asks for one of them there is refused before it runs, rather than run without the fault.
#include <string>

#include "simulator/world/scenario.h"

namespace outpost::sim::world {

bool needs_link_model(const FaultStep& step);
// "scenario.faults.timeline[3]: toxic latency_downstream needs the simulated network ..."
std::string link_model_refusal(const FaultStep& step);
// Throws ScenarioError for the first fault of the scenario that needs a link model, when the network has none.
void check_faults_fit_network(const Scenario& scenario, bool network_has_link_model);

}  // namespace outpost::sim::world
