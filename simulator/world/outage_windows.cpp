#include "simulator/world/outage_windows.h"

#include <algorithm>

#include "simulator/world/partition_shapes.h"

namespace outpost::sim::world {

namespace {
const std::vector<OutageWindows::Interval> kNone;
}  // namespace

OutageWindows::OutageWindows(const SimTopology& topology) : topology_(topology) {
  for (const cli::NodeSpec& node : topology.cluster.nodes) parents_[node.name] = node.parent;
}

bool OutageWindows::broken(const std::string& node) const {
  const auto out = [this](const std::string& host) {
    return crashed_.contains(host) || disk_full_.contains(host) || paused_.contains(host);
  };
  if (unknown_ || out(std::string(cli::kCloudNodeName))) return true;
  std::optional<std::string> at = node;
  for (size_t hops = 0; at && hops <= parents_.size(); ++hops) {
    if (out(*at)) return true;
    if (const auto cut = uplink_cuts_.find(*at); cut != uplink_cuts_.end() && !cut->second.empty()) return true;
    const auto parent = parents_.find(*at);
    at = parent == parents_.end() ? std::nullopt : parent->second;
  }
  return false;
}

void OutageWindows::update(Nanoseconds time) {
  for (const auto& [node, parent] : parents_) {
    std::vector<Interval>& intervals = outages_[node];
    const bool open = !intervals.empty() && !intervals.back().second;
    const bool now_broken = broken(node);
    if (now_broken && !open) intervals.push_back({time, std::nullopt});
    if (!now_broken && open) intervals.back().second = time;
  }
}

void OutageWindows::on_fault(Nanoseconds time, const FaultStep& step, bool any_fault_active) {
  switch (step.action) {
    case FaultAction::LinkDown:
      for (const std::string& child : step.targets) uplink_cuts_[child].insert("link-down");
      break;
    case FaultAction::LinkUp:
      for (const std::string& child : step.targets) uplink_cuts_[child].erase("link-down");
      break;
    case FaultAction::Partition: partition(step); break;
    case FaultAction::Heal:
      if (step.targets.empty() && step.groups.empty()) {
        uplink_cuts_.clear();  // every partition, link-down and link fault
        partitions_.clear();
      } else {
        heal(step);
      }
      break;
    case FaultAction::Crash:  // as the host does: a crash ends a pause (the dying process runs what it held)
      for (const std::string& name : step.targets) {
        crashed_.insert(name);
        paused_.erase(name);
      }
      break;
    case FaultAction::Restart:
      for (const std::string& name : step.targets) crashed_.erase(name);
      break;
    case FaultAction::Pause:  // a host pauses only while it runs
      for (const std::string& name : step.targets)
        if (!crashed_.contains(name)) paused_.insert(name);
      break;
    case FaultAction::Resume:
      for (const std::string& name : step.targets) paused_.erase(name);
      break;
    case FaultAction::ClockSkew: break;  // wall clocks only: configuration still travels
    // Faults on an uplink's bytes: whatever they do to its exchanges, the node may fall behind while they last.
    case FaultAction::Toxic:
      for (const std::string& child : step.targets) uplink_cuts_[child].insert("toxic:" + step.link.toxic_name);
      break;
    case FaultAction::RemoveToxic:
      for (const std::string& child : step.targets) uplink_cuts_[child].erase("toxic:" + step.link.toxic_name);
      break;
    case FaultAction::LostResponses:
      for (const std::string& child : step.targets) {
        if (step.link.toxicity > 0) {
          uplink_cuts_[child].insert("lost responses");
        } else {
          uplink_cuts_[child].erase("lost responses");
        }
      }
      break;
    // One reason per direction, as the injector keeps a state per direction: restoring one leaves the other's.
    case FaultAction::Stop:
    case FaultAction::Slow:
    case FaultAction::Jam:
      for (const std::string& child : step.targets) {
        if (step.link.upstream) uplink_cuts_[child].insert("link state upstream");
        if (step.link.downstream) uplink_cuts_[child].insert("link state downstream");
      }
      break;
    case FaultAction::Restore:
      for (const std::string& child : step.targets) {
        if (step.link.upstream) uplink_cuts_[child].erase("link state upstream");
        if (step.link.downstream) uplink_cuts_[child].erase("link state downstream");
      }
      break;
    // A full disk stores nothing the node syncs (its configuration is no different from content there).
    case FaultAction::DiskFull: disk_full_.insert(step.targets.begin(), step.targets.end()); break;
    case FaultAction::DiskFreed:
      for (const std::string& name : step.targets) disk_full_.erase(name);
      break;
    default: unknown_ = true; break;
  }
  if (unknown_ && !any_fault_active) unknown_ = false;
  update(time);
}

void OutageWindows::partition(const FaultStep& step) {
  PartitionGroups groups = step.groups;
  if (groups.empty()) {
    if (is_random_shape(step.shape.kind)) {  // not expanded by the plan: who is cut is unknown, so everyone is
      unknown_ = true;
      return;
    }
    SeededRandom no_draws(0);
    groups = partition_groups(step, topology_, no_draws);
  }
  const std::string reason = "partition:" + std::to_string(next_partition_++);
  for (const std::string& child : crossing_uplinks(groups, topology_)) uplink_cuts_[child].insert(reason);
  partitions_.push_back({std::move(groups), reason});
}

void OutageWindows::heal(const FaultStep& step) {
  // The partition the injector ends (HealTarget): by its first side, or by its groups in any order. A random shape
  // the plan did not expand was counted as cutting everyone (unknown_), until nothing is in force.
  if (step.groups.empty() && is_random_shape(step.shape.kind)) return;
  const HealTarget target(step, topology_);
  const auto it = target.find_in(partitions_.begin(), partitions_.end(),
                                 [](const Partition& entry) -> const PartitionGroups& { return entry.groups; });
  if (it == partitions_.end()) return;
  for (auto& [child, reasons] : uplink_cuts_) reasons.erase(it->reason);
  partitions_.erase(it);
}

void OutageWindows::healed(Nanoseconds time) {
  uplink_cuts_.clear();
  partitions_.clear();
  crashed_.clear();
  disk_full_.clear();
  paused_.clear();
  unknown_ = false;
  update(time);
}

const std::vector<OutageWindows::Interval>& OutageWindows::outages(const std::string& node) const {
  const auto found = outages_.find(node);
  return found == outages_.end() ? kNone : found->second;
}

Nanoseconds OutageWindows::lag(const std::string& node, Nanoseconds time, Nanoseconds base,
                               Nanoseconds recovery) const {
  // Each outage [a, b) excuses the versions superseded from a - base on, until b + recovery; overlapping excuses
  // merge, so an outage that began before the node caught up with the previous one extends it.
  std::optional<Nanoseconds> window_start, window_end;  // end absent: open
  for (const Interval& outage : outages(node)) {
    const Nanoseconds start = outage.first - base;
    const std::optional<Nanoseconds> end =
        outage.second ? std::optional<Nanoseconds>(*outage.second + recovery) : std::nullopt;
    if (start > time) break;
    const bool merges = window_start && (!window_end || start <= *window_end);
    if (!merges) window_start = start;
    if (!merges || (window_end && (!end || *end > *window_end))) window_end = end;
  }
  const bool covers = window_start && (!window_end || time < *window_end);
  return covers ? std::max(base, time - *window_start) : base;
}

}  // namespace outpost::sim::world
