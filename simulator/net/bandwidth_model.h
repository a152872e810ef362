#pragma once
// Flow-level bandwidth sharing: transfers ("flows") cross resources (a link direction, a host's NIC egress or ingress),
// each with a capacity in bytes per second, and get rates by max-min fairness, computed by progressive filling (water
// filling) as SimGrid's LMM does. Rates change only when a flow starts, ends or is capped, or a resource changes, so a
// transfer of any size costs a handful of events: the model is re-solved at those moments and tells the caller when the
// next flow completes. Only the flows connected to the change (through shared constrained resources) are re-solved.
//
// Pure and deterministic: no clock, no event loop, no floating point. Rates are fixed point (1/65536 byte per second),
// progress is exact integer arithmetic, and ties are broken by resource and flow ids, so the same calls give the same
// answers on every machine. Time is whatever the caller says it is; it must never go backwards.
#include <cstdint>
#include <map>
#include <optional>
#include <utility>
#include <vector>

#include "reference/common/clock.h"

namespace outpost::sim {

class BandwidthModel {
 public:
  using ResourceId = uint32_t;
  using FlowId = uint64_t;
  // Rates are kept in units of 1/kRateScale byte per second: exact for every whole and most fractional shares.
  static constexpr uint64_t kRateScale = 65536;
  static constexpr uint64_t kUnconstrained = UINT64_MAX;  // the rate of a flow that nothing limits
  static constexpr uint64_t kMaxCapacity = uint64_t{1} << 46;  // 70 TB/s: far beyond any link, far from overflow

  // A resource shared by the flows that cross it; 0 means unlimited (it then constrains nothing unless blocked).
  ResourceId add_resource(uint64_t bytes_per_second);
  void set_capacity(Nanoseconds now, ResourceId resource, uint64_t bytes_per_second);
  // A blocked resource gives its flows rate 0 (a jammed link holds its bytes); unblocking resumes them where they were.
  void set_blocked(Nanoseconds now, ResourceId resource, bool blocked);
  uint64_t capacity(ResourceId resource) const { return resources_.at(resource).capacity; }
  bool blocked(ResourceId resource) const { return resources_.at(resource).blocked; }
  // Whether a flow over these resources with this cap would take any time at all (false: it completes at once).
  bool constrained(const std::vector<ResourceId>& resources, uint64_t cap) const;

  // A flow of `bytes` over `resources` (duplicates are ignored), capped at `cap` bytes/s on its own (0: no cap; a
  // toxiproxy bandwidth toxic limits each connection, not the link).
  FlowId start(Nanoseconds now, uint64_t bytes, std::vector<ResourceId> resources, uint64_t cap = 0);
  // Removes a flow before it completes (a cut); returns the whole bytes it delivered.
  uint64_t stop(Nanoseconds now, FlowId flow);
  void set_cap(Nanoseconds now, FlowId flow, uint64_t cap);
  // The flow ends once `total_bytes` (counted from its start) are through, if it had more to send (limit_data).
  void truncate(Nanoseconds now, FlowId flow, uint64_t total_bytes);

  // When the earliest flow completes (none when every flow is stalled or there are none).
  std::optional<Nanoseconds> next_completion() const;
  // Removes and returns the flows complete by `now`, in (completion time, id) order; the rest are re-solved once.
  std::vector<FlowId> take_completed(Nanoseconds now);

  bool active(FlowId flow) const;
  uint64_t bytes(FlowId flow) const;                    // its size (after any truncation)
  uint64_t delivered(Nanoseconds now, FlowId flow) const;  // whole bytes through by `now`
  uint64_t rate_fixed(FlowId flow) const;               // 1/kRateScale bytes/s; kUnconstrained
  double rate(FlowId flow) const;                       // bytes/s, for reports and tests; infinity when unconstrained
  std::optional<Nanoseconds> completion(FlowId flow) const;  // none while its rate is 0
  size_t flow_count() const { return flows_.size(); }

  // Cost counters: how many re-solves ran, and how many flows they touched in all.
  uint64_t solves() const { return solves_; }
  uint64_t solved_flows() const { return solved_flows_; }

 private:
  __extension__ using Work = unsigned __int128;  // bytes * kRateScale * 1e9: rate (fixed point) times nanoseconds

  struct Flow;
  struct Resource {
    uint64_t capacity = 0;
    bool blocked = false;
    std::vector<Flow*> flows;  // the flows crossing it (map nodes: stable), in no order anything depends on
    // Scratch for a solve:
    uint64_t mark = 0;
    uint64_t left = 0;   // capacity not yet handed out (fixed point)
    uint64_t count = 0;  // flows still to be given a rate
    bool dirty = false;  // its level changed during the current step of the filling
  };
  struct Flow {
    FlowId id = 0;
    uint64_t bytes = 0;
    std::vector<ResourceId> resources;
    uint64_t cap = 0;
    Work total = 0;      // bytes, in Work units
    Work remaining = 0;  // as of `updated`
    Nanoseconds updated{0};
    uint64_t rate = 0;   // fixed point; kUnconstrained
    std::optional<Nanoseconds> finish;
    uint64_t version = 0;  // bumped whenever `finish` changes, so stale heap entries can be told apart
    uint64_t mark = 0;
    bool frozen = false;  // scratch: has its rate in the current solve
  };
  // An entry of the completion heap; stale once its flow is gone or its version moved on.
  struct Due {
    Nanoseconds at;
    FlowId id;
    uint64_t version;
  };

  bool constrains(const Resource& resource) const { return resource.blocked || resource.capacity > 0; }
  Flow& flow_at(FlowId flow);
  const Flow& flow_at(FlowId flow) const;
  void settle(Flow& flow, Nanoseconds now) const;
  void schedule(Flow& flow);
  void detach(Flow& flow);
  bool is_current(const Due& due) const;
  void prune() const;
  // Re-solves every flow connected to these resources and flows (through constrained resources).
  void resolve(Nanoseconds now, const std::vector<ResourceId>& resources, const std::vector<Flow*>& flows);

  std::vector<Resource> resources_;
  std::map<FlowId, Flow> flows_;
  // Completions: a binary heap on (time, id) with lazy deletion. Re-rating a flow pushes a new entry rather than
  // searching for the old one; the heap is rebuilt when stale entries outnumber live ones.
  mutable std::vector<Due> due_;
  FlowId next_flow_ = 1;
  uint64_t epoch_ = 0;
  Nanoseconds last_now_{0};
  uint64_t solves_ = 0;
  uint64_t solved_flows_ = 0;
};

}  // namespace outpost::sim
