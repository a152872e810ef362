#pragma once
// When each node's way to the cloud was broken, from the faults the world applied: its uplink or an ancestor's cut
// (a link-down, a partition crossing it) or faulty (a toxic, lost responses, a stopped, slowed or jammed direction),
// or its process, an ancestor's or the cloud's crashed or paused, or its disk full. A node cut
// off keeps enforcing the configuration it has (SPEC 5.2: changes travel down the tree), so how far behind the cloud
// it may be at some instant is not a constant: it is its usual lag, stretched back to the start of an outage that
// was still in force, or had ended too recently for the node to have caught up. The time-bounded checks (the
// decision and enforcement invariants) ask lag() for each decision they judge.
//
// Fault kinds this class does not know (newer shapes) count as breaking every node's way until the world reports no
// fault active.
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "reference/common/clock.h"
#include "simulator/world/scenario.h"

namespace outpost::sim::world {

class OutageWindows {
 public:
  // `topology` must outlive this.
  explicit OutageWindows(const SimTopology& topology);

  // A fault step was applied at `time` (virtual time of the loop); `any_fault_active`: whether the world still has
  // one in force after it (FaultInjector::any_active()).
  void on_fault(Nanoseconds time, const FaultStep& step, bool any_fault_active);
  // Everything healed at `time`: links up, hosts running and resumed.
  void healed(Nanoseconds time);

  // How far behind the cloud `node` may be at `time`: `base` (its lag when nothing is broken), or, while an outage
  // is in force or ended less than `recovery` ago, back to `base` before the outage began (chained outages merge).
  Nanoseconds lag(const std::string& node, Nanoseconds time, Nanoseconds base, Nanoseconds recovery) const;

  // Whether `host` ("cloud" too) is paused now: it holds the requests that reach it and handles them when resumed.
  bool paused(const std::string& host) const { return paused_.contains(host); }

  // The intervals [start, end) of `node` (end absent: still in force).
  using Interval = std::pair<Nanoseconds, std::optional<Nanoseconds>>;
  const std::vector<Interval>& outages(const std::string& node) const;

 private:
  bool broken(const std::string& node) const;
  void update(Nanoseconds time);
  void partition(const FaultStep& step);
  void heal(const FaultStep& step);

  struct Partition {
    std::vector<std::vector<std::string>> groups;
    std::string reason;
  };
  const SimTopology& topology_;
  std::vector<Partition> partitions_;  // in force
  uint64_t next_partition_ = 0;
  std::map<std::string, std::optional<std::string>> parents_;  // node -> parent (absent: the cloud)
  std::map<std::string, std::set<std::string>> uplink_cuts_;    // child -> why its uplink is down
  // Hosts ("cloud" too) by why they are out: a crash and a full disk end separately (a disk freed while its node is
  // still crashed leaves it crashed).
  std::set<std::string> crashed_, disk_full_, paused_;
  bool unknown_ = false;                                        // a fault kind not modelled here is in force
  std::map<std::string, std::vector<Interval>> outages_;
};

}  // namespace outpost::sim::world
