#pragma once
// A frozen copy of the bandwidth model from before its flows sharing one rate were kept as groups (see the .cpp): the
// reference of the differential test. Its description below is the original one.
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
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "reference/common/clock.h"

namespace outpost::sim::testing {

class LegacyBandwidthModel {
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
  size_t flow_count() const { return slot_of_.size(); }

  // Cost counters: how many re-solves ran, and how many flows they touched in all.
  uint64_t solves() const { return solves_; }
  uint64_t solved_flows() const { return solved_flows_; }

 private:
  __extension__ using Work = unsigned __int128;  // bytes * kRateScale * 1e9: rate (fixed point) times nanoseconds
  // A flow's place in flows_: stable while the flow lives, reused after it ends. Everything inside the model refers
  // to flows by slot, so the hot paths never look an id up; ids are only for the interface and for ordering.
  using Slot = uint32_t;

  struct Resource {
    uint64_t capacity = 0;
    bool blocked = false;
    std::vector<Slot> flows;  // the flows crossing it, in no order anything depends on
    // Scratch for a solve:
    uint64_t left = 0;   // capacity not yet handed out (fixed point)
    uint64_t count = 0;  // flows still to be given a rate
    bool dirty = false;  // its level changed during the current step of the filling
  };
  struct Flow {
    FlowId id = 0;  // 0: the slot is free
    uint64_t bytes = 0;
    std::vector<ResourceId> resources;
    uint64_t cap = 0;
    Work total = 0;      // bytes, in Work units
    Work remaining = 0;  // as of `updated`
    Nanoseconds updated{0};
    uint64_t rate = 0;   // fixed point; kUnconstrained
    std::optional<Nanoseconds> finish;
    // Scratch for a solve:
    uint64_t old_rate = 0;
    bool was_due = false;  // had a completion scheduled before the solve
    bool frozen = false;   // has its rate in the current solve
  };
  static constexpr uint32_t kNotDue = UINT32_MAX;
  // An entry of the completion heap: a flow's finish.
  struct Due {
    Nanoseconds at;
    FlowId id;
    Slot slot;
  };
  // A candidate level of the progressive filling: num/den bytes/s (fixed point) for a resource's remaining flows
  // (kind 0, id: the resource) or a flow's own cap (kind 1, id: the flow, at `slot`).
  struct Level {
    uint64_t num;
    uint64_t den;
    uint8_t kind;
    uint64_t id;
    Slot slot;
  };

  // What a solve's walk checks of every resource of every flow it reaches, kept apart from the resources in a small
  // array so that the resources which constrain nothing (a host's unlimited NIC) are never touched.
  struct Tag {
    uint64_t mark = 0;     // the solve (epoch_) that last reached it
    bool limited = false;  // capacity > 0
    bool blocked = false;
    bool constrains() const { return limited || blocked; }
  };
  Slot slot_of(FlowId flow) const;
  const Flow& flow_at(FlowId flow) const { return flows_[slot_of(flow)]; }
  static Work remaining_at(const Flow& flow, Nanoseconds now);
  static void settle(Flow& flow, Nanoseconds now);
  void schedule(Flow& flow, Slot slot);
  void detach(Flow& flow, Slot slot);
  void release(Flow& flow, Slot slot);
  // The completion heap's upkeep; each keeps due_index_ right. Unordered changes leave the heap to be rebuilt by
  // heapify().
  void place(size_t index, const Due& due);
  void sift_up(size_t index);
  void sift_down(size_t index);
  void heapify();
  void unqueue(Slot slot, bool ordered);
  // Puts the flow's entry at its finish (none: takes it out).
  void requeue(Flow& flow, Slot slot, bool ordered);
  static void set_finish(Flow& flow);  // from its rate and what it has left
  // Re-solves every flow connected to these resources and flows (through constrained resources).
  void resolve(Nanoseconds now, std::span<const ResourceId> resources, std::span<const Slot> flows);
  void freeze(Slot slot, uint64_t rate);
  void push_dirty();

  std::vector<Resource> resources_;
  std::vector<Tag> tags_;  // by resource
  std::vector<Flow> flows_;  // by slot; free slots have id 0 and are listed in free_
  std::vector<Slot> free_;
  // Lookups only, never iterated: nothing observable depends on its order.
  std::unordered_map<FlowId, Slot> slot_of_;
  // Completions: a binary heap on (time, id), one entry per flow that has a finish, each flow knowing where its entry
  // is. Re-rating a flow moves its entry (or, when a solve re-rates many, the heap is rebuilt): nothing goes stale.
  std::vector<Due> due_;
  // By slot: where the flow's entry is in due_ (kNotDue: none, exactly when it has no finish). Apart from the flows,
  // so that moving entries around touches only these two arrays.
  std::vector<uint32_t> due_index_;
  std::vector<uint64_t> flow_marks_;  // by slot: the solve (epoch_) that last reached the flow
  FlowId next_flow_ = 1;
  uint64_t epoch_ = 0;
  Nanoseconds last_now_{0};
  uint64_t solves_ = 0;
  uint64_t solved_flows_ = 0;
  // Scratch reused by every solve (and by the calls that start one), so a solve allocates nothing once warm.
  std::vector<Slot> component_;
  std::vector<ResourceId> constrained_;
  std::vector<ResourceId> stack_;
  std::vector<Slot> rescheduled_;
  std::vector<ResourceId> dirty_;
  std::vector<Level> levels_;
  std::vector<ResourceId> touched_;
  size_t unfrozen_ = 0;
};

}  // namespace outpost::sim::testing
