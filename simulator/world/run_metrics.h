#pragma once
// The measurements a run's report carries (docs/simulator.md, "Reading a report"), collected from the world's events
// as they happen:
//  - sync throughput: the bytes of every exchange an agent made with its parent (request and response bodies),
//    spread evenly over the exchange's time and summed into fixed time windows, per link (named by its child), per
//    level (the child's depth) and per node (its uplink and its children's); percentiles over the windows in which
//    the link moved anything;
//  - propagation: from a push acknowledged at the cloud to its manifest and blobs present at each node that syncs it
//    (looked up in the node's store at the end of each of its sync rounds), per depth; and up, from a push
//    acknowledged at a connected registry to the cloud;
//  - retries: exchanges that failed (a transport failure, 429 or 5xx) and were sent again (same client, server,
//    method and target);
//  - bytes moved by the agents against the minimal bytes (every node that syncs a push receiving its blobs once);
//  - faults injected, by kind and in order; blob transfers, and events per transfer;
//  - in worlds of up to 64 nodes, each link's throughput window by window and each node's sync rounds, completed and
//    failed, as intervals.
// Like the invariant checks it adds no event to the loop and changes nothing.
#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/common/string_hash.h"
#include "reference/oci/digest.h"
#include "simulator/world/observer.h"

namespace outpost::sim::world {

class World;

class RunMetrics final : public WorldObserver {
 public:
  // `world` must outlive the collector, which must be added to its observers before build().
  explicit RunMetrics(World& world);

  void on_request(const RequestEvent& event) override;
  void on_fault(const FaultEvent& event) override;
  void on_push_acknowledged(const PushEvent& event) override;
  // A push deleted (or untagged) on purpose is no longer on its way anywhere: not counted as one that never arrived.
  void on_delete(const DeleteEvent& event) override;
  void on_round_done(const RoundEvent& event) override;
  void on_round_failed(const RoundEvent& event) override;

  Nanoseconds window() const { return window_; }
  // The run will last `duration` (not the scenario's): its windows are laid out for it. Before build() only.
  void plan_run(Nanoseconds duration);
  nlohmann::json to_json() const;

 private:
  // A push on its way to a node.
  // Its digests parsed once: a node's every round looks for each arrival still on its way to it, and parsing them
  // there was most of a run's time when thousands of pushes were acknowledged at once.
  struct Arrival {
    std::string repository;
    oci::Digest digest;
    std::vector<oci::Digest> references;  // what its manifest names
    Nanoseconds acknowledged{0};
    int depth = 0;  // down: the receiving node's; up: the pushing node's
    bool up = false;
    // A retag's tag, which must point at `digest` there too: its manifest is usually there long before, and counted
    // as arrived by the manifest alone a retag added a near-zero sample at the next round.
    std::string tag;
  };
  // Bytes per window, indexed by the window's number from the start of the run: a run spans at most a few hundred
  // windows (window_for), so a dense vector costs little, and the adds of every exchange are array writes (an
  // ordered map's lookups here were 2.4% of the quiet wide fleet). A window that moved nothing stays 0 and is skipped.
  using Windows = std::vector<uint64_t>;
  // Per host name, everything an exchange of its reads or writes, in one record found at its first exchange (then by
  // the client's number, by_client_): each exchange touches a few cold cache lines, not one map node per measure.
  //  - a node's windows, side by side: its link's (the bytes of its own exchanges with its parent) and its own (its
  //    link's and its children's links'), so the two adds of its exchange, and its child's add, write one line each;
  //  - its level's windows and its parent's record (null for a host that is not a node: a client, the operator);
  //  - "to METHOD target" of its exchanges that failed and were not yet sent again. A host with none (nearly every
  //    one, once a fleet has started) makes no key for the exchange.
  enum Column : size_t { kLink = 0, kNode = 1 };
  struct Record {
    std::vector<std::array<uint64_t, 2>> windows;
    bool link = false;  // reported under "links": a node that made an exchange
    bool node = false;  // reported under "nodes": such a node, or its parent
    Windows* level = nullptr;
    Record* parent = nullptr;
    std::set<std::string> failed;
  };
  void count_retry(const RequestEvent& event, bool failure, std::set<std::string>& failed);
  // Calls add(window, share) for each window [from, to) overlaps: `bytes` spread evenly over the time, the last
  // window taking the rounding so the total stays exact.
  template <class Add>
  void spread(Nanoseconds from, Nanoseconds to, uint64_t bytes, const Add& add) const;
  size_t last_window(Nanoseconds from, Nanoseconds to) const;
  nlohmann::json throughput_json(const Windows& windows, bool series) const;
  bool present(const std::string& node, const Arrival& arrival);
  void look_for_arrivals(const std::string& node, Nanoseconds now);
  Record& record(const RequestEvent& event);

  World& world_;
  Nanoseconds window_;
  StringMap<std::string> parent_;  // node -> parent ("cloud" for the top level); looked up, never walked
  std::map<std::string, int> depth_;           // "cloud" = 0

  // By name: reports walk them in order; a record stays put as others are added, so records point at each other.
  std::map<std::string, Record, std::less<>> records_;
  std::map<int, Windows> levels_;
  std::vector<Record*> by_client_;  // by RequestEvent::client; null: not seen yet
  uint64_t bytes_moved_ = 0, minimal_bytes_ = 0;

  // Pushes on their way to a node, per node.
  std::map<std::string, std::vector<Arrival>> expected_;
  std::map<int, std::vector<int64_t>> down_by_depth_, up_by_depth_;  // nanoseconds

  uint64_t failed_requests_ = 0, retried_ = 0;
  std::map<std::string, uint64_t> retried_by_host_;

  // Worlds of up to kMostSeries nodes: each link's windows and each node's sync rounds over time, for charts.
  static constexpr size_t kMostSeries = 64;
  bool series_ = false;
  // node -> its rounds, [begin, end] in nanoseconds: completed, and failed
  using Intervals = std::map<std::string, std::vector<std::pair<int64_t, int64_t>>>;
  Intervals rounds_, failed_rounds_;
  uint64_t blob_transfers_ = 0;
  std::map<std::string, uint64_t> faults_by_kind_;
  uint64_t faults_injected_ = 0;  // planned steps applied: the list also holds the closing heal
  nlohmann::json fault_list_ = nlohmann::json::array();
};

}  // namespace outpost::sim::world
