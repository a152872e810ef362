#pragma once
// Applies fault steps to a world's hosts and network, and heals them all at the end of a run. Network faults are
// counted per uplink, so a link cut by a partition and by a link-down comes back only when both have healed.
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "simulator/world/host.h"
#include "simulator/world/observer.h"
#include "simulator/world/scenario.h"
#include "simulator/world/world_network.h"

namespace outpost::sim::world {

class FaultInjector {
 public:
  FaultInjector(const SimTopology& topology, WorldNetwork& network, std::map<std::string, std::unique_ptr<Host>>& hosts,
                WorldObserver& observer, EventLoop& loop);

  void apply(const FaultStep& step);
  // Every link up, every partition healed, every host running, resumed and on true time.
  void heal_all();

  uint64_t applied() const { return applied_; }
  bool any_active() const;

 private:
  std::vector<std::string> parent_authorities(const std::string& child) const;
  void cut(const std::string& child);
  void mend(const std::string& child);
  void partition(const std::vector<std::string>& side);
  void heal(const std::vector<std::string>& side);  // empty: every partition and link-down

  const SimTopology& topology_;
  WorldNetwork& network_;
  std::map<std::string, std::unique_ptr<Host>>& hosts_;
  WorldObserver& observer_;
  EventLoop& loop_;
  std::map<std::string, int> cuts_;        // child -> reasons its uplink is down
  std::set<std::string> links_down_;        // children whose link-down is in force
  struct Partition {
    std::vector<std::string> side;      // sorted
    std::vector<std::string> crossing;  // the children whose uplink crosses it
  };
  std::vector<Partition> partitions_;  // in force
  uint64_t applied_ = 0;
};

}  // namespace outpost::sim::world
