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
//
// The common case is cheap: N flows share a NIC whose fair share is the lowest level of their component, so a solve
// gives every one of them the same rate, and a small flow starting or ending there changes that rate for all N. Such
// flows are kept as a group (generalized processor sharing, "virtual time"): the group counts the work S it has served
// each member since it formed, and a member keeps only its key, what it had left when it joined plus S then. What a
// member has left is its key minus S now, and it finishes when S reaches its key: a new rate is set on the group once
// instead of settling, rescheduling and re-queueing each member, and the group holds one entry in the completion heap,
// its first member's; its members finish in the order of their keys (those finishing in the same nanosecond by id).
// The answers are exactly those of settling every flow at every solve (integer progress is additive:
// r*a + r*b = r*(a+b)); a flow leaves its group, its state written out, the moment anything would treat it apart from
// the rest.
//
// A solve need not even walk most members. Every member crosses the group's anchor (the resource whose share it got),
// and a member is sealed when each of its other constraining resources carries only flows that cross the anchor too,
// none of them held: a solve that reaches the anchor reaches everything such a member would lead it to, so it counts
// the sealed members there in bulk instead of visiting them. What they would add is their own resources' levels,
// and those are bounded below by the group's bound (each resource's capacity over the flows it carries); the bulk
// count stands only when the anchor's level is the lowest and the bound lies above it, so that those resources could
// not have mattered. Anything that changes such a resource (a flow starting or ending on it, its capacity, a block)
// starts its solve from it, which visits its members one by one and unseals them; the next solve that gives their
// group a rate seals them again. Otherwise the solve visits every member after all, as if none were sealed.
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <span>
#include <unordered_map>
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
  // (A span, so a caller may ask about a path on its stack: most never become a flow.)
  bool constrained(std::span<const ResourceId> resources, uint64_t cap) const;
  bool constrained(std::initializer_list<ResourceId> resources, uint64_t cap) const {
    return constrained(std::span<const ResourceId>(resources.begin(), resources.size()), cap);
  }
  // Starts loading what constrained() and start() will read of this resource, without waiting for it: a caller that
  // knows a message's path an event ahead (its latency) asks for it then, so that the arrival, long after the link's
  // last message, does not stall on memory gone cold since. No effect on any answer. (Always inlined: a function
  // that only prefetches looks free of effects to the optimiser, which may then drop its calls.)
  [[gnu::always_inline]] void prefetch(ResourceId resource) const {
    if (resource >= tags_.size()) return;
    __builtin_prefetch(tags_.data() + resource);
    __builtin_prefetch(resources_.data() + resource);
  }

  // A flow of `bytes` over `resources` (duplicates are ignored), capped at `cap` bytes/s on its own (0: no cap; a
  // toxiproxy bandwidth toxic limits each connection, not the link). `owner` is the caller's, handed back with the
  // flow when it completes (so the caller finds what the flow was for without a table of its own).
  FlowId start(Nanoseconds now, uint64_t bytes, std::span<const ResourceId> resources, uint64_t cap = 0,
               uint64_t owner = 0);
  FlowId start(Nanoseconds now, uint64_t bytes, std::initializer_list<ResourceId> resources, uint64_t cap = 0) {
    return start(now, bytes, std::span<const ResourceId>(resources.begin(), resources.size()), cap);
  }
  // Removes a flow before it completes (a cut); returns the whole bytes it delivered.
  uint64_t stop(Nanoseconds now, FlowId flow);
  void set_cap(Nanoseconds now, FlowId flow, uint64_t cap);
  // The flow ends once `total_bytes` (counted from its start) are through: fewer than it had (a limit_data toxic
  // added) or more (one removed). At once, if that many are through already.
  void resize(Nanoseconds now, FlowId flow, uint64_t total_bytes);

  // When the earliest flow completes (none when every flow is stalled or there are none).
  std::optional<Nanoseconds> next_completion() const;
  // Removes and returns the flows complete by `now`, in (completion time, id) order; the rest are re-solved once.
  std::vector<FlowId> take_completed(Nanoseconds now);
  // The same, with each flow's owner, into `done` (replacing what it held): a caller that asks at every completion
  // reuses one vector instead of allocating one each time.
  struct Completed {
    FlowId id;
    uint64_t owner;
  };
  void take_completed(Nanoseconds now, std::vector<Completed>& done);

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
  static constexpr uint32_t kNoGroup = UINT32_MAX;

  // One cache line each (its fields come to 64 bytes): a message on a cold link then misses once on it, not twice.
  struct alignas(64) Resource {
    uint64_t capacity = 0;
    bool blocked = false;
    // The flows crossing it, in no order anything depends on, kept only while it constrains (limited or blocked):
    // nothing reads the list of a resource that constrains nothing, and a host's unlimited NIC, crossed by every
    // message it sends or receives, is then never touched for them (it is cold by the next one). When it starts
    // constraining, its list is made from the flows alive then (relist()).
    std::vector<Slot> flows;
    // Scratch for a solve:
    uint64_t left = 0;   // capacity not yet handed out (fixed point)
    uint64_t count = 0;  // flows still to be given a rate
    bool dirty = false;  // its level changed during the current step of the filling
  };
  // What a solve's walk reads of every flow it reaches comes first, on one cache line (when a NIC's hundreds of group
  // members cannot be counted in bulk, the walk over them is what a solve costs).
  struct alignas(64) Flow {
    FlowId id = 0;  // 0: the slot is free
    std::vector<ResourceId> resources;
    uint64_t cap = 0;
    // In a group (kNoGroup: none), its rate, progress and finish live there, and the fields below marked so are stale.
    uint32_t group = kNoGroup;
    uint32_t member_index = 0;  // its place in the group's heap
    // Scratch for a solve:
    bool frozen = false;      // has its rate in the current solve
    bool was_due = false;     // had a completion scheduled before the solve
    bool left_group = false;  // left its group in this solve: its heap entry is to be made whatever its rate
    uint64_t old_rate = 0;
    // Its size and progress:
    uint64_t bytes = 0;
    Work total = 0;      // bytes, in Work units
    Work remaining = 0;  // as of `updated` (stale in a group)
    Nanoseconds updated{0};  // (stale in a group)
    uint64_t rate = 0;   // fixed point; kUnconstrained (stale in a group)
    std::optional<Nanoseconds> finish;  // (stale in a group)
    uint64_t owner = 0;  // the caller's (start()), read when it completes
  };
  // A flow in a group: it has `key - served` left, and completes when the group has served it `key`.
  struct Member {
    Work key;
    FlowId id;
    FlowId least_id;  // the lowest id at or below it in the heap, so that ties are found without searching the heap
    Slot slot;
  };
  // Flows that got the same rate from the same solve and have had it (or one rate after another, all together) since.
  // Served work S(t) = served + rate * (t - since), for t from `since` on. Every member's finish is
  // since + ceil(max(0, key - served) / rate): the finish a flow gets when the rate is set at `since`, and also the one
  // it keeps (or gets anew) when it joins later at the same rate (it has then `key - S(then)` left, and both sides
  // shift by whole nanoseconds).
  struct Group {
    uint64_t rate = 0;       // fixed point, > 0
    Nanoseconds since{0};    // when the rate was last set
    Work served = 0;         // S(since)
    Nanoseconds settled{0};  // the last solve that reached its members: their progress is counted up to there
    Work max_key = 0;        // no member's key is above it (it may be above all of them: only raised, until rescanned)
    std::vector<Member> members;  // a binary heap on (key, id)
    uint32_t due_index = UINT32_MAX;  // its entry in due_ (kNotDue: none, once it has no members)
    Slot top_slot = 0;  // the member that completes first, by (finish, id): the one its entry in due_ stands for
    // Sealed members (see the header comment): they all cross `anchor`, and none of their other constraining
    // resources has a level below bound_num / bound_den (bound_den 0: no bound) in any solve that counts them in bulk.
    ResourceId anchor = 0;
    size_t sealed = 0;  // how many of its members are sealed
    uint64_t bound_num = 1;
    uint64_t bound_den = 0;
    // Scratch for a solve:
    uint64_t mark = 0;      // the solve (epoch_) that last reached it
    uint64_t deferred = 0;  // the solve (epoch_) that reached its anchor and passed over its sealed members there
    size_t seen = 0;        // its members that solve reached and left to be filled
    size_t bulk = 0;        // of those, the sealed ones it counted without visiting them
    bool touched = false;   // its members or rate changed: its entry is to be redone (it is in touched_groups_)
    bool live = false;      // not in free_groups_
  };
  static constexpr uint32_t kNotDue = UINT32_MAX;
  // An entry of the completion heap: a flow's finish, or a group's first (slot: kGroupBit | the group).
  struct Due {
    Nanoseconds at;
    FlowId id;
    Slot slot;
  };
  static constexpr Slot kGroupBit = Slot{1} << 31;
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
  // After a resource's capacity or block changed (`constrained_before`: whether it constrained before): its list made
  // or dropped as it starts or stops constraining, around the solve that re-rates its flows.
  void restate(Nanoseconds now, ResourceId resource, bool constrained_before);
  void release(Flow& flow, Slot slot);
  // The rate a solve would give a new flow that is alone on every resource constraining it (none: not alone, blocked,
  // or constrained by nothing).
  std::optional<uint64_t> lone_rate(const Flow& flow) const;
  // Whether a flow leaving the resource re-rates others: it constrains and still carries flows (a flow that was alone
  // on its path leaves nothing to solve).
  bool reshares(ResourceId r) const { return tags_[r].constrains() && !resources_[r].flows.empty(); }
  // The completion heap's upkeep; each keeps due_index_ right. Unordered changes leave the heap to be rebuilt by
  // heapify().
  void place(size_t index, const Due& due);
  void sift_up(size_t index);
  void sift_down(size_t index);
  void heapify();
  uint32_t& due_index_of(Slot entry) {
    return (entry & kGroupBit) != 0 ? groups_[entry & ~kGroupBit].due_index : due_index_[entry];
  }
  void unqueue(Slot entry, bool ordered);
  // Puts the entry at `at` (none: takes it out).
  void requeue_entry(Slot entry, std::optional<Nanoseconds> at, FlowId id, bool ordered);
  // Puts the flow's entry at its finish (none: takes it out).
  void requeue(Flow& flow, Slot slot, bool ordered);

  // Groups.
  static Work served_at(const Group& group, Nanoseconds at) {
    return group.served + static_cast<Work>(group.rate) * static_cast<uint64_t>((at - group.since).count());
  }
  static Nanoseconds member_finish(const Group& group, Work key);
  Work member_remaining(const Flow& flow, Nanoseconds now) const;
  void member_fix(Group& group, size_t index);  // least_id, from there up to the root
  void member_sift_up(Group& group, size_t index);
  void member_sift_down(Group& group, size_t index);
  void join(uint32_t group, Slot slot, Work key);
  // The member's state, as the flow would have had it all along, written out to it as of `at` (or the group's last
  // solve, if later): its rate, progress and finish. The member stays in the group's heap.
  void write_out(const Group& group, const Member& member, Nanoseconds at);
  // Takes the flow out of its group with its state written out as of `at` (or the group's last solve, if later), as
  // the flow would have had it all along: its rate, progress and finish. It has no heap entry of its own yet.
  void leave(Slot slot, Nanoseconds at);
  void touch(uint32_t group);
  void unseal(Slot slot);
  // After a solve gave the group a rate as the share of `anchor`: seals the members it visited, where they qualify.
  void reseal(uint32_t group, ResourceId anchor);
  // Redoes the entries of the touched groups (frees the empty ones).
  void flush_groups(bool ordered);
  void refresh(uint32_t group, bool ordered);
  // leave() outside a solve: the flow is on its own at once, its group's entry redone.
  void leave_now(Slot slot, Nanoseconds at);
  // Gives every flow the solve left to fill `share`, as a group where it can.
  void share_alike(Nanoseconds now, uint64_t share, ResourceId anchor);
  uint32_t new_group(uint64_t rate, Nanoseconds at);
  // After a solve gave the flow its rate: its finish anew, unless the rate stayed (listed in rescheduled_ if moved).
  void reschedule(Flow& flow, Slot slot);
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
  // Completions: a binary heap on (time, id), one entry per flow that has a finish and is in no group, and one per
  // group (its first member's), each knowing where its entry is. Re-rating a flow or a group moves its entry (or,
  // when a solve moves many, the heap is rebuilt): nothing goes stale. Since ids are unique, what comes out first is
  // the flow that completes first, lowest id first, whether the flows are in groups or not.
  std::vector<Due> due_;
  // By slot: where the flow's entry is in due_ (kNotDue: none, exactly when it has no finish or is in a group). Apart
  // from the flows, so that moving entries around touches only these two arrays.
  std::vector<uint32_t> due_index_;
  std::vector<uint64_t> flow_marks_;  // by slot: the solve (epoch_) that last reached the flow
  // By slot: the group the flow is a sealed member of (kNoGroup: none), apart from the flows so that a solve passes
  // over the sealed members of its anchor reading only this.
  std::vector<uint32_t> seal_;
  std::vector<Group> groups_;
  std::vector<uint32_t> free_groups_;
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
  std::vector<ResourceId> start_path_;  // scratch for start(): a new flow's resources, sorted
  std::vector<uint32_t> groups_seen_;     // the groups a solve reached
  std::vector<Slot> loners_;              // the flows of its component in no group (or just out of one)
  std::vector<uint32_t> touched_groups_;  // the groups whose entries are to be redone
  std::vector<Slot> leaving_;
  std::vector<uint32_t> window_;
  std::vector<Slot> expand_;
  size_t unfrozen_ = 0;
};

}  // namespace outpost::sim
