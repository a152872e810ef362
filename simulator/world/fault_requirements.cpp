#include "simulator/world/fault_requirements.h"

#include "simulator/world/scenario_fault_details.h"

namespace outpost::sim::world {

bool needs_link_model(const FaultStep& step) {
  switch (step.action) {
    case FaultAction::Toxic: return !step.link.down;
    // Removing needs nothing: a toxic that needed links could not have been added without them.
    case FaultAction::RemoveToxic: return false;
    case FaultAction::LostResponses:
    case FaultAction::Stop:
    case FaultAction::Slow:
    case FaultAction::Jam:
    case FaultAction::Restore: return true;
    case FaultAction::Partition: return step.shape.one_way;
    default: return false;
  }
}

std::string link_model_refusal(const FaultStep& step) {
  return step.origin + ": " + describe_fault(step) +
         " needs the simulated network (\"network\": \"simulated\" in the scenario, or --network simulated): it acts "
         "on the bytes of a link, and the direct network has no links";
}

void check_faults_fit_network(const Scenario& scenario, bool network_has_link_model) {
  if (network_has_link_model) return;
  for (const FaultStep& step : scenario.timeline)
    if (needs_link_model(step)) throw ScenarioError(link_model_refusal(step));
}

}  // namespace outpost::sim::world
