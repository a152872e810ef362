#include "simulator/world/faults.h"

#include <algorithm>

#include "simulator/engine/event_loop.h"

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

void FaultInjector::partition(const std::vector<std::string>& side) {
  Partition entry;
  entry.side = side;
  std::sort(entry.side.begin(), entry.side.end());
  const auto inside = [&entry](const std::string& name) {
    return std::binary_search(entry.side.begin(), entry.side.end(), name);
  };
  for (const cli::NodeSpec& node : topology_.cluster.nodes)
    if (inside(node.name) != inside(node.parent.value_or(std::string(cli::kCloudNodeName))))
      entry.crossing.push_back(node.name);
  for (const std::string& child : entry.crossing) cut(child);
  partitions_.push_back(std::move(entry));
}

void FaultInjector::heal(const std::vector<std::string>& side) {
  if (side.empty()) {
    for (const Partition& entry : partitions_)
      for (const std::string& child : entry.crossing) mend(child);
    partitions_.clear();
    for (const std::string& child : links_down_) mend(child);
    links_down_.clear();
    return;
  }
  std::vector<std::string> sorted = side;
  std::sort(sorted.begin(), sorted.end());
  const auto it = std::find_if(partitions_.begin(), partitions_.end(),
                               [&sorted](const Partition& entry) { return entry.side == sorted; });
  if (it == partitions_.end()) return;
  for (const std::string& child : it->crossing) mend(child);
  partitions_.erase(it);
}

void FaultInjector::apply(const FaultStep& step) {
  ++applied_;
  switch (step.action) {
    case FaultAction::LinkDown:
      for (const std::string& child : step.targets)
        if (links_down_.insert(child).second) cut(child);
      break;
    case FaultAction::LinkUp:
      for (const std::string& child : step.targets)
        if (links_down_.erase(child) > 0) mend(child);
      break;
    case FaultAction::Partition: partition(step.targets); break;
    case FaultAction::Heal: heal(step.targets); break;
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
  }
  observer_.on_fault(FaultEvent{loop_.now(), step});
}

void FaultInjector::heal_all() {
  heal({});
  for (auto& [name, host] : hosts_) {
    host->resume();
    host->set_skew(Nanoseconds(0));
    host->restart();
  }
}

bool FaultInjector::any_active() const {
  if (!cuts_.empty()) return true;
  return std::any_of(hosts_.begin(), hosts_.end(), [](const auto& entry) {
    return entry.second->state() != Host::State::Running || entry.second->paused();
  });
}

}  // namespace outpost::sim::world
