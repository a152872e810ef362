#pragma once
// Applies fault steps to a world's hosts and network, and heals them all at the end of a run. Network faults are
// counted per uplink, so a link cut by a partition and by a link-down comes back only when both have healed; a
// direction stopped by a one-way partition and by a stop step flows again only when both have ended.
//
// Faults on a link's bytes (toxics but `down`, lost responses, stop, slow, jam, one-way partitions) need the simulated
// network's link model: on the direct network applying one throws ScenarioError (World::build refuses such a
// scenario before it runs, fault_requirements.h).
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "simulator/net/sim_network.h"
#include "simulator/world/host.h"
#include "simulator/world/observer.h"
#include "simulator/world/scenario.h"
#include "simulator/world/world_network.h"

namespace outpost::sim::world {

class FaultInjector {
 public:
  FaultInjector(const SimTopology& topology, WorldNetwork& network, std::map<std::string, std::unique_ptr<Host>>& hosts,
                WorldObserver& observer, EventLoop& loop);

  // A step of the run's fault plan (timeline or nemesis): counted in applied().
  void apply(const FaultStep& step);
  // The heal that ends the run before the settle: applied and observed like any step, but not a fault the plan
  // injected, so not counted (a run without faults reports none).
  void apply_closing_heal(const FaultStep& heal);
  // Every link up, every partition healed, every link fault gone, every host running, resumed, on true time and
  // with its disk's space back.
  void heal_all();

  uint64_t applied() const { return applied_; }  // steps of the plan applied, not the closing heal
  bool any_active() const;
  // What is in force on connected registry `child`'s uplink, in words, for reports that explain why a node lags
  // ("link-down", "partition", "down toxic <name>", "stopped up", ...); empty when nothing is.
  std::vector<std::string> uplink_faults(const std::string& child) const;
  // The names of the `down` toxics (cuts) in force on `child`'s uplink, sorted: the simulated network lists the
  // others, and has no record of these.
  std::vector<std::string> down_toxics(const std::string& child) const;

 private:
  void enact(const FaultStep& step, bool planned);
  using HostPair = std::pair<std::string, std::string>;  // (from host, to host): a direction of bytes
  struct Partition {
    std::vector<std::vector<std::string>> groups;  // each sorted; groups[0] is the side a heal names
    std::vector<std::string> crossing;             // the children whose uplink crosses it
    bool one_way = false;                          // stops directions instead of cutting uplinks
    std::vector<HostPair> stopped;                 // one-way: the directions it stops
  };
  struct LinkState {
    DirectionState state = DirectionState::Normal;
    Nanoseconds extra{0};
    bool operator==(const LinkState&) const = default;
  };

  std::vector<std::string> parent_authorities(const std::string& child) const;
  std::string parent_host(const std::string& child) const;
  void cut(const std::string& child);
  void mend(const std::string& child);
  void partition(const FaultStep& step);
  void heal(const FaultStep& step);  // no targets and no groups: every partition, link-down and link fault

  // faults_links.cpp: faults on a link's bytes, and disks.
  SimNetwork& link_model(const FaultStep& step);
  void add_toxic(const FaultStep& step);
  void remove_toxic(const std::string& child, const std::string& name);
  void set_lost_responses(const std::string& child, double toxicity);
  void set_link_state(const FaultStep& step);
  void hold(const HostPair& direction, int delta);  // a one-way partition's stop, counted
  void refresh(const HostPair& direction);
  void heal_links();  // every toxic, lost response and direction state gone
  void set_disk_full(const std::string& node, bool full);

  const SimTopology& topology_;
  WorldNetwork& network_;
  std::map<std::string, std::unique_ptr<Host>>& hosts_;
  WorldObserver& observer_;
  EventLoop& loop_;
  std::map<std::string, int> cuts_;        // child -> reasons its uplink is down
  std::set<std::string> links_down_;        // children whose link-down is in force
  std::vector<Partition> partitions_;  // in force
  // child -> name -> true for a `down` toxic (a cut), false for a toxic on the simulated network.
  std::map<std::string, std::map<std::string, bool>> toxics_;
  std::map<std::string, double> lost_responses_;  // child -> toxicity in force
  std::map<HostPair, LinkState> link_states_;     // stop, slow and jam steps, by direction
  std::map<HostPair, int> partition_stops_;       // one-way partitions, by direction
  std::map<HostPair, LinkState> applied_states_;  // what the network was told (Normal ones absent)
  std::set<std::string> disks_full_;
  uint64_t applied_ = 0;
};

}  // namespace outpost::sim::world
