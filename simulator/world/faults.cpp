#include "simulator/world/faults.h"

#include <algorithm>

#include "simulator/engine/event_loop.h"
#include "simulator/world/fault_requirements.h"
#include "simulator/world/partition_shapes.h"

namespace outpost::sim::world {

FaultInjector::FaultInjector(const SimTopology& topology, WorldNetwork& network,
                             std::map<std::string, std::unique_ptr<Host>>& hosts, WorldObserver& observer,
                             EventLoop& loop)
    : topology_(topology), network_(network), hosts_(hosts), observer_(observer), loop_(loop) {}

std::vector<std::string> FaultInjector::parent_authorities(const std::string& child) const {
  const cli::NodeSpec* node = topology_.cluster.node(child);
  if (!node) return {};
  // A child of the cloud reads its gateway at the data endpoint and content at the login server.
  if (!node->parent) return {"cloud:5001", "cloud:5000"};
  return {*node->parent + ":5000"};
}

std::string FaultInjector::parent_host(const std::string& child) const {
  const cli::NodeSpec* node = topology_.cluster.node(child);
  return node && node->parent ? *node->parent : std::string(cli::kCloudNodeName);
}

void FaultInjector::cut(const std::string& child) {
  if (cuts_[child]++ > 0) return;
  const auto authorities = parent_authorities(child);
  for (const std::string& authority : authorities) network_.set_link_down(child, authority, true);
  // A cut cable also ends the connections open across it (a long poll would otherwise outlive the cut).
  if (const auto host = hosts_.find(child); host != hosts_.end())
    host->second->client().fail_in_flight_to(authorities, "connection lost: the link of " + child + " went down");
}

void FaultInjector::mend(const std::string& child) {
  auto it = cuts_.find(child);
  if (it == cuts_.end() || --it->second > 0) return;
  cuts_.erase(it);
  for (const std::string& authority : parent_authorities(child)) network_.set_link_down(child, authority, false);
}

void FaultInjector::partition(const FaultStep& step) {
  Partition entry;
  entry.groups = expanded_groups(step, topology_);
  entry.crossing = crossing_uplinks(entry.groups, topology_);
  entry.one_way = step.shape.one_way;
  if (!entry.one_way) {
    for (const std::string& child : entry.crossing) cut(child);
  } else {
    // Only what the first group sends across is lost: on each crossing uplink, the direction leaving that group.
    const std::vector<std::string>& side = entry.groups.front();
    for (const std::string& child : entry.crossing) {
      const std::string parent = parent_host(child);
      const bool child_inside = std::binary_search(side.begin(), side.end(), child);
      const bool parent_inside = std::binary_search(side.begin(), side.end(), parent);
      if (child_inside == parent_inside) continue;  // both outside the first group (three groups and more)
      entry.stopped.push_back(child_inside ? HostPair{child, parent} : HostPair{parent, child});
    }
    for (const HostPair& direction : entry.stopped) hold(direction, +1);
  }
  partitions_.push_back(std::move(entry));
}

void FaultInjector::heal(const FaultStep& step) {
  const auto end = [this](const Partition& entry) {
    if (!entry.one_way)
      for (const std::string& child : entry.crossing) mend(child);
    for (const HostPair& direction : entry.stopped) hold(direction, -1);
  };
  if (step.targets.empty() && step.groups.empty()) {
    for (const Partition& entry : partitions_) end(entry);
    partitions_.clear();
    for (const std::string& child : links_down_) mend(child);
    links_down_.clear();
    heal_links();
    return;
  }
  // A heal names its partition by its first side, or by its groups (a shaped one). One that names none does nothing
  // (`sim run` says so before the run: steps_that_end_nothing).
  const HealTarget target(step, topology_);
  const auto it = target.find_in(partitions_.begin(), partitions_.end(),
                                 [](const Partition& entry) -> const PartitionGroups& { return entry.groups; });
  if (it == partitions_.end()) return;
  end(*it);
  partitions_.erase(it);
}

void FaultInjector::apply(const FaultStep& step) {
  if (needs_link_model(step)) link_model(step);  // refused before anything changes (World::build refuses it earlier)
  ++applied_;
  enact(step, true);
}

void FaultInjector::apply_closing_heal(const FaultStep& heal) { enact(heal, false); }

void FaultInjector::enact(const FaultStep& step, bool planned) {
  switch (step.action) {
    case FaultAction::LinkDown:
      for (const std::string& child : step.targets)
        if (links_down_.insert(child).second) cut(child);
      break;
    case FaultAction::LinkUp:
      for (const std::string& child : step.targets)
        if (links_down_.erase(child) > 0) mend(child);
      break;
    case FaultAction::Partition: partition(step); break;
    case FaultAction::Heal: heal(step); break;
    case FaultAction::Crash:
      for (const std::string& name : step.targets) hosts_.at(name)->crash();
      break;
    case FaultAction::Restart:
      for (const std::string& name : step.targets) hosts_.at(name)->restart();
      break;
    case FaultAction::Pause:
      for (const std::string& name : step.targets) hosts_.at(name)->pause();
      break;
    case FaultAction::Resume:
      for (const std::string& name : step.targets) hosts_.at(name)->resume();
      break;
    case FaultAction::ClockSkew:
      for (const std::string& name : step.targets) hosts_.at(name)->set_skew(step.skew);
      break;
    case FaultAction::Toxic: add_toxic(step); break;
    case FaultAction::RemoveToxic:
      for (const std::string& child : step.targets) remove_toxic(child, step.link.toxic_name);
      break;
    case FaultAction::LostResponses:
      for (const std::string& child : step.targets) set_lost_responses(child, step.link.toxicity);
      break;
    case FaultAction::Stop:
    case FaultAction::Slow:
    case FaultAction::Jam:
    case FaultAction::Restore: set_link_state(step); break;
    case FaultAction::DiskFull:
    case FaultAction::DiskFreed:
      for (const std::string& name : step.targets) set_disk_full(name, step.action == FaultAction::DiskFull);
      break;
  }
  observer_.on_fault(FaultEvent{loop_.now(), step, planned});
}

void FaultInjector::heal_all() {
  heal(FaultStep{});
  for (const std::string& name : std::set<std::string>(disks_full_)) set_disk_full(name, false);
  for (auto& [name, host] : hosts_) {
    host->resume();
    host->set_skew(Nanoseconds(0));
    host->restart();
  }
}

std::vector<std::string> FaultInjector::down_toxics(const std::string& child) const {
  std::vector<std::string> names;
  if (const auto named = toxics_.find(child); named != toxics_.end())
    for (const auto& [name, is_down] : named->second)
      if (is_down) names.push_back(name);
  return names;
}

std::vector<std::string> FaultInjector::uplink_faults(const std::string& child) const {
  std::vector<std::string> faults;
  if (!topology_.cluster.node(child)) return faults;
  const HostPair up{child, parent_host(child)};
  const HostPair down{up.second, child};
  if (links_down_.contains(child)) faults.emplace_back("link-down");
  for (const Partition& entry : partitions_) {
    if (!entry.one_way && std::find(entry.crossing.begin(), entry.crossing.end(), child) != entry.crossing.end())
      faults.emplace_back("partition");
    for (const HostPair& direction : entry.stopped)
      if (direction == up || direction == down) faults.emplace_back("one-way partition");
  }
  if (const auto named = toxics_.find(child); named != toxics_.end())
    for (const auto& [name, is_down] : named->second) faults.push_back((is_down ? "down toxic " : "toxic ") + name);
  if (lost_responses_.contains(child)) faults.emplace_back("lost responses");
  static constexpr const char* kStates[] = {"normal", "stopped", "slowed", "jammed"};
  for (const auto& [direction, state] : link_states_) {
    if (direction == up) faults.push_back(std::string(kStates[static_cast<int>(state.state)]) + " upstream");
    if (direction == down) faults.push_back(std::string(kStates[static_cast<int>(state.state)]) + " downstream");
  }
  return faults;
}

bool FaultInjector::any_active() const {
  if (!cuts_.empty() || !toxics_.empty() || !lost_responses_.empty() || !applied_states_.empty() ||
      !disks_full_.empty())
    return true;
  return std::any_of(hosts_.begin(), hosts_.end(), [](const auto& entry) {
    return entry.second->state() != Host::State::Running || entry.second->paused();
  });
}

}  // namespace outpost::sim::world
