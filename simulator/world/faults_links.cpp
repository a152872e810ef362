// FaultInjector's faults on a link's bytes (toxics, lost responses, stopped, slowed and jammed directions, one-way
// partitions), which only the simulated network can apply, and its disk faults. Each connected registry's uplink is
// the exchanges from it (the client host) to its parent (the server host), as a proxy in front of the parent sees
// them; its directions are child -> parent (requests, upstream) and parent -> child (responses, downstream).
#include "simulator/world/fault_requirements.h"
#include "simulator/world/faults.h"

namespace outpost::sim::world {

SimNetwork& FaultInjector::link_model(const FaultStep& step) {
  SimNetwork* network = network_.sim_network();
  if (!network) throw ScenarioError(link_model_refusal(step));
  return *network;
}

void FaultInjector::add_toxic(const FaultStep& step) {
  const std::string& name = step.link.toxic_name;
  SimNetwork* network = step.link.down ? network_.sim_network() : &link_model(step);
  for (const std::string& child : step.targets) {
    // A toxic of the same name replaces the one in force, as the proxy's update does.
    remove_toxic(child, name);
    toxics_[child][name] = step.link.down;
    if (step.link.down) {
      cut(child);
    } else {
      network->update_toxic(child, parent_host(child), *step.link.toxic);
    }
  }
}

void FaultInjector::remove_toxic(const std::string& child, const std::string& name) {
  const auto named = toxics_.find(child);
  if (named == toxics_.end()) return;
  const auto toxic = named->second.find(name);
  if (toxic == named->second.end()) return;
  if (toxic->second) {
    mend(child);
  } else {
    network_.sim_network()->remove_toxic(child, parent_host(child), name);
  }
  named->second.erase(toxic);
  if (named->second.empty()) toxics_.erase(named);
}

void FaultInjector::set_lost_responses(const std::string& child, double toxicity) {
  const auto known = lost_responses_.find(child);
  if (toxicity <= 0 && known == lost_responses_.end()) return;  // none lost already
  network_.sim_network()->set_lost_responses(child, parent_host(child), toxicity);
  if (toxicity > 0) {
    lost_responses_[child] = toxicity;
  } else {
    lost_responses_.erase(known);
  }
}

void FaultInjector::set_link_state(const FaultStep& step) {
  LinkState state;
  if (step.action == FaultAction::Stop) state.state = DirectionState::Stopped;
  if (step.action == FaultAction::Jam) state.state = DirectionState::Jammed;
  if (step.action == FaultAction::Slow) state = {DirectionState::Slowed, step.link.extra};
  for (const std::string& child : step.targets) {
    const std::string parent = parent_host(child);
    std::vector<HostPair> directions;
    if (step.link.upstream) directions.emplace_back(child, parent);
    if (step.link.downstream) directions.emplace_back(parent, child);
    for (const HostPair& direction : directions) {
      if (step.action == FaultAction::Restore) {
        link_states_.erase(direction);
      } else {
        link_states_[direction] = state;
      }
      refresh(direction);
    }
  }
}

void FaultInjector::hold(const HostPair& direction, int delta) {
  if ((partition_stops_[direction] += delta) <= 0) partition_stops_.erase(direction);
  refresh(direction);
}

// The state a direction should be in: stopped while a one-way partition holds it, else what the last stop, slow or
// jam step said. The network hears only changes.
void FaultInjector::refresh(const HostPair& direction) {
  LinkState wanted;
  if (partition_stops_.contains(direction)) {
    wanted.state = DirectionState::Stopped;
  } else if (const auto state = link_states_.find(direction); state != link_states_.end()) {
    wanted = state->second;
  }
  const auto applied = applied_states_.find(direction);
  const LinkState current = applied == applied_states_.end() ? LinkState{} : applied->second;
  if (wanted == current) return;
  SimNetwork& network = *network_.sim_network();
  const auto& [from, to] = direction;
  switch (wanted.state) {
    case DirectionState::Normal: network.restore(from, to); break;
    case DirectionState::Stopped: network.stop(from, to); break;
    case DirectionState::Slowed: network.slow(from, to, wanted.extra); break;
    case DirectionState::Jammed: network.jam(from, to); break;
  }
  if (wanted.state == DirectionState::Normal) {
    applied_states_.erase(direction);
  } else {
    applied_states_[direction] = wanted;
  }
}

void FaultInjector::heal_links() {
  for (const auto& [child, named] : std::map<std::string, std::map<std::string, bool>>(toxics_))
    for (const auto& [name, down] : named) remove_toxic(child, name);
  for (const auto& [child, toxicity] : std::map<std::string, double>(lost_responses_)) set_lost_responses(child, 0);
  link_states_.clear();
  for (const auto& [direction, state] : std::map<HostPair, LinkState>(applied_states_)) refresh(direction);
}

void FaultInjector::set_disk_full(const std::string& node, bool full) {
  hosts_.at(node)->set_disk_full(full);
  if (full) {
    disks_full_.insert(node);
  } else {
    disks_full_.erase(node);
  }
}

}  // namespace outpost::sim::world
