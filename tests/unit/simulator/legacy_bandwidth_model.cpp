// The bandwidth model as it was before its flows sharing one rate were kept as groups: a frozen copy, kept only for
// the differential test to compare the model against, answer for answer. Do not improve it.
#include "tests/unit/simulator/legacy_bandwidth_model.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <stdexcept>
#include <string>

namespace outpost::sim::testing {

namespace {
constexpr uint64_t kNanosPerSecond = 1'000'000'000;
// One byte in Work units: a flow at 1 byte/s (kRateScale in fixed point) moves one byte in 1e9 ns.
constexpr uint64_t kWorkPerByte = LegacyBandwidthModel::kRateScale * kNanosPerSecond;
// Completion times further than this (146 years) count as never: the flow is as good as stalled.
constexpr uint64_t kNever = uint64_t{1} << 62;

void check_capacity(uint64_t bytes_per_second) {
  if (bytes_per_second > LegacyBandwidthModel::kMaxCapacity)
    throw std::invalid_argument("capacity above " + std::to_string(LegacyBandwidthModel::kMaxCapacity) + " bytes/s");
}

// A candidate level of the progressive filling: num/den bytes/s (fixed point) for a resource's remaining flows
// (kind 0) or a flow's own cap (kind 1). Ordered by level exactly (cross-multiplied), then kind and id, so equal
// levels are taken in an order that depends on ids only. Two entries are never tied unless they are of the same
// resource, and then at most one of them is current: whatever the heap's layout, the solve comes out the same.
struct LevelAfter {
  template <typename Level>
  bool operator()(const Level& a, const Level& b) const {
    __extension__ using Wide = unsigned __int128;
    const Wide left = static_cast<Wide>(a.num) * b.den;
    const Wide right = static_cast<Wide>(b.num) * a.den;
    if (left != right) return left > right;
    if (a.kind != b.kind) return a.kind > b.kind;
    return a.id > b.id;
  }
};
}  // namespace

LegacyBandwidthModel::ResourceId LegacyBandwidthModel::add_resource(uint64_t bytes_per_second) {
  check_capacity(bytes_per_second);
  resources_.push_back(Resource{});
  resources_.back().capacity = bytes_per_second;
  tags_.push_back(Tag{0, bytes_per_second > 0, false});
  return static_cast<ResourceId>(resources_.size() - 1);
}

void LegacyBandwidthModel::set_capacity(Nanoseconds now, ResourceId resource, uint64_t bytes_per_second) {
  check_capacity(bytes_per_second);
  Resource& r = resources_.at(resource);
  if (r.capacity == bytes_per_second) return;
  r.capacity = bytes_per_second;
  tags_[resource].limited = bytes_per_second > 0;
  resolve(now, std::span(&resource, 1), {});
}

void LegacyBandwidthModel::set_blocked(Nanoseconds now, ResourceId resource, bool blocked) {
  Resource& r = resources_.at(resource);
  if (r.blocked == blocked) return;
  r.blocked = blocked;
  tags_[resource].blocked = blocked;
  resolve(now, std::span(&resource, 1), {});
}

bool LegacyBandwidthModel::constrained(const std::vector<ResourceId>& resources, uint64_t cap) const {
  if (cap > 0) return true;
  for (const ResourceId id : resources)
    if (tags_.at(id).constrains()) return true;
  return false;
}

LegacyBandwidthModel::Slot LegacyBandwidthModel::slot_of(FlowId flow) const {
  const auto found = slot_of_.find(flow);
  if (found == slot_of_.end()) throw std::out_of_range("no flow " + std::to_string(flow));
  return found->second;
}

LegacyBandwidthModel::Work LegacyBandwidthModel::remaining_at(const Flow& flow, Nanoseconds now) {
  if (now <= flow.updated) return flow.remaining;
  if (flow.rate == kUnconstrained) return 0;
  const Work done = static_cast<Work>(flow.rate) * static_cast<uint64_t>((now - flow.updated).count());
  return done >= flow.remaining ? 0 : flow.remaining - done;
}

void LegacyBandwidthModel::settle(Flow& flow, Nanoseconds now) {
  if (now <= flow.updated) return;
  flow.remaining = remaining_at(flow, now);
  flow.updated = now;
}

namespace {
// The completion heap's order: earliest first, then lowest id. Ids are unique, so this is a total order on the
// entries: what comes out first never depends on how the heap happens to be laid out.
template <typename Due>
bool due_before(const Due& a, const Due& b) {
  return a.at != b.at ? a.at < b.at : a.id < b.id;
}
}  // namespace

void LegacyBandwidthModel::place(size_t index, const Due& due) {
  due_[index] = due;
  due_index_[due.slot] = static_cast<uint32_t>(index);
}

void LegacyBandwidthModel::sift_up(size_t index) {
  const Due due = due_[index];
  while (index > 0) {
    const size_t parent = (index - 1) / 2;
    if (!due_before(due, due_[parent])) break;
    place(index, due_[parent]);
    index = parent;
  }
  place(index, due);
}

void LegacyBandwidthModel::sift_down(size_t index) {
  const Due due = due_[index];
  const size_t size = due_.size();
  for (;;) {
    size_t child = 2 * index + 1;
    if (child >= size) break;
    if (child + 1 < size && due_before(due_[child + 1], due_[child])) ++child;
    if (!due_before(due_[child], due)) break;
    place(index, due_[child]);
    index = child;
  }
  place(index, due);
}

void LegacyBandwidthModel::heapify() {
  for (size_t index = due_.size() / 2; index-- > 0;) sift_down(index);
}

void LegacyBandwidthModel::unqueue(Slot slot, bool ordered) {
  const size_t index = due_index_[slot];
  if (index == kNotDue) return;
  due_index_[slot] = kNotDue;
  const Due last = due_.back();
  due_.pop_back();
  if (index == due_.size()) return;
  place(index, last);
  if (!ordered) return;
  if (index > 0 && due_before(last, due_[(index - 1) / 2])) {
    sift_up(index);
  } else {
    sift_down(index);
  }
}

void LegacyBandwidthModel::set_finish(Flow& flow) {
  flow.finish.reset();
  if (flow.remaining == 0 || flow.rate == kUnconstrained) {
    flow.finish = flow.updated;
  } else if (flow.rate > 0) {
    const Work nanos = (flow.remaining + flow.rate - 1) / flow.rate;
    if (nanos < kNever) flow.finish = flow.updated + Nanoseconds(static_cast<int64_t>(nanos));
  }
}

void LegacyBandwidthModel::requeue(Flow& flow, Slot slot, bool ordered) {
  if (!flow.finish) {
    unqueue(slot, ordered);
    return;
  }
  const Due due{*flow.finish, flow.id, slot};
  if (due_index_[slot] == kNotDue) {
    due_.push_back(due);
    due_index_[slot] = static_cast<uint32_t>(due_.size() - 1);
    if (ordered) sift_up(due_.size() - 1);
    return;
  }
  const size_t index = due_index_[slot];
  const bool earlier = due_before(due, due_[index]);
  due_[index] = due;
  if (!ordered) return;
  if (earlier) {
    sift_up(index);
  } else {
    sift_down(index);
  }
}

void LegacyBandwidthModel::schedule(Flow& flow, Slot slot) {
  set_finish(flow);
  requeue(flow, slot, true);
}

void LegacyBandwidthModel::detach(Flow& flow, Slot slot) {
  unqueue(slot, true);
  for (const ResourceId r : flow.resources) {
    auto& list = resources_[r].flows;
    const auto found = std::find(list.begin(), list.end(), slot);
    if (found != list.end()) {
      *found = list.back();
      list.pop_back();
    }
  }
}

void LegacyBandwidthModel::release(Flow& flow, Slot slot) {
  slot_of_.erase(flow.id);
  flow.id = 0;
  flow.resources = {};
  flow.finish.reset();
  free_.push_back(slot);
}

LegacyBandwidthModel::FlowId LegacyBandwidthModel::start(Nanoseconds now, uint64_t bytes,
                                                         std::vector<ResourceId> resources, uint64_t cap) {
  if (now < last_now_) throw std::logic_error("bandwidth model: time went backwards");
  last_now_ = now;
  check_capacity(cap);
  std::sort(resources.begin(), resources.end());
  resources.erase(std::unique(resources.begin(), resources.end()), resources.end());
  for (const ResourceId r : resources)
    if (r >= resources_.size()) throw std::out_of_range("no resource " + std::to_string(r));
  const FlowId id = next_flow_++;
  Slot slot;
  if (!free_.empty()) {
    slot = free_.back();
    free_.pop_back();
  } else {
    slot = static_cast<Slot>(flows_.size());
    flows_.emplace_back();
    due_index_.push_back(kNotDue);
    flow_marks_.push_back(0);
  }
  slot_of_.emplace(id, slot);
  Flow& flow = flows_[slot];
  flow.id = id;
  flow.bytes = bytes;
  flow.resources = std::move(resources);
  flow.cap = cap;
  flow.total = static_cast<Work>(bytes) * kWorkPerByte;
  flow.remaining = flow.total;
  flow.updated = now;
  flow.rate = 0;
  flow.finish.reset();
  for (const ResourceId r : flow.resources) resources_[r].flows.push_back(slot);
  const Slot seed[] = {slot};
  resolve(now, {}, seed);
  return id;
}

uint64_t LegacyBandwidthModel::stop(Nanoseconds now, FlowId id) {
  if (now < last_now_) throw std::logic_error("bandwidth model: time went backwards");
  last_now_ = now;
  const Slot slot = slot_of(id);
  Flow& flow = flows_[slot];
  settle(flow, now);
  const uint64_t delivered = static_cast<uint64_t>((flow.total - flow.remaining) / kWorkPerByte);
  detach(flow, slot);
  touched_.clear();
  for (const ResourceId r : flow.resources)
    if (tags_[r].constrains()) touched_.push_back(r);
  release(flow, slot);
  if (!touched_.empty()) resolve(now, touched_, {});
  return delivered;
}

void LegacyBandwidthModel::set_cap(Nanoseconds now, FlowId id, uint64_t cap) {
  check_capacity(cap);
  const Slot slot = slot_of(id);
  Flow& flow = flows_[slot];
  if (flow.cap == cap) return;
  flow.cap = cap;
  const Slot seed[] = {slot};
  resolve(now, {}, seed);
}

void LegacyBandwidthModel::truncate(Nanoseconds now, FlowId id, uint64_t total_bytes) {
  const Slot slot = slot_of(id);
  Flow& flow = flows_[slot];
  if (total_bytes >= flow.bytes) return;
  settle(flow, now);
  const Work done = flow.total - flow.remaining;
  flow.bytes = total_bytes;
  flow.total = static_cast<Work>(total_bytes) * kWorkPerByte;
  flow.remaining = flow.total > done ? flow.total - done : 0;
  schedule(flow, slot);  // its rate does not change, only when it ends
}

std::optional<Nanoseconds> LegacyBandwidthModel::next_completion() const {
  if (due_.empty()) return std::nullopt;
  return due_.front().at;
}

std::vector<LegacyBandwidthModel::FlowId> LegacyBandwidthModel::take_completed(Nanoseconds now) {
  if (now < last_now_) throw std::logic_error("bandwidth model: time went backwards");
  last_now_ = now;
  std::vector<FlowId> done;
  touched_.clear();
  while (!due_.empty() && due_.front().at <= now) {
    const Slot slot = due_.front().slot;
    Flow& flow = flows_[slot];
    done.push_back(flow.id);
    detach(flow, slot);
    for (const ResourceId r : flow.resources)
      if (tags_[r].constrains()) touched_.push_back(r);
    release(flow, slot);
  }
  if (!touched_.empty()) {
    std::sort(touched_.begin(), touched_.end());
    touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
    resolve(now, touched_, {});
  }
  return done;
}

bool LegacyBandwidthModel::active(FlowId flow) const { return slot_of_.contains(flow); }
uint64_t LegacyBandwidthModel::bytes(FlowId flow) const { return flow_at(flow).bytes; }
uint64_t LegacyBandwidthModel::rate_fixed(FlowId flow) const { return flow_at(flow).rate; }

double LegacyBandwidthModel::rate(FlowId flow) const {
  const uint64_t fixed = flow_at(flow).rate;
  if (fixed == kUnconstrained) return std::numeric_limits<double>::infinity();
  return static_cast<double>(fixed) / static_cast<double>(kRateScale);
}

uint64_t LegacyBandwidthModel::delivered(Nanoseconds now, FlowId id) const {
  const Flow& flow = flow_at(id);
  return static_cast<uint64_t>((flow.total - remaining_at(flow, now)) / kWorkPerByte);
}

std::optional<Nanoseconds> LegacyBandwidthModel::completion(FlowId flow) const { return flow_at(flow).finish; }

void LegacyBandwidthModel::freeze(Slot slot, uint64_t rate) {
  Flow& flow = flows_[slot];
  flow.rate = rate;
  flow.frozen = true;
  --unfrozen_;
  for (const ResourceId r : flow.resources) {
    if (!tags_[r].limited) continue;
    Resource& resource = resources_[r];
    // `rate` is the smallest level left, so it never exceeds this resource's fair share: no underflow.
    resource.left -= rate;
    --resource.count;
    if (!resource.dirty) {
      resource.dirty = true;
      dirty_.push_back(r);
    }
  }
}

// After a step of the filling: the new level of every resource whose flows it froze, once.
void LegacyBandwidthModel::push_dirty() {
  for (const ResourceId r : dirty_) {
    Resource& resource = resources_[r];
    resource.dirty = false;
    if (resource.count > 0) {
      levels_.push_back(Level{resource.left, resource.count, 0, r, 0});
      std::push_heap(levels_.begin(), levels_.end(), LevelAfter{});
    }
  }
  dirty_.clear();
}

void LegacyBandwidthModel::resolve(Nanoseconds now, std::span<const ResourceId> seed_resources,
                             std::span<const Slot> seed_flows) {
  ++solves_;
  ++epoch_;
  component_.clear();
  constrained_.clear();
  stack_.clear();
  levels_.clear();
  dirty_.clear();
  unfrozen_ = 0;
  // 1. The connected component: flows reachable from the seeds through constrained resources. Resources that
  // constrain nothing (unlimited, not blocked) do not couple the flows that share them. Each flow is made ready for
  // the filling as it is found (its progress brought up to now at its old rate, counted on its resources, its cap
  // made a level), and each constrained resource as it is reached, so the component is walked once.
  const auto visit_resource = [&](ResourceId r, bool seed) {
    Tag& tag = tags_[r];
    if (tag.mark == epoch_) return;
    if (!seed && !tag.constrains()) return;
    tag.mark = epoch_;
    if (tag.constrains()) {
      constrained_.push_back(r);
      Resource& resource = resources_[r];
      resource.left = resource.capacity * kRateScale;
      resource.count = 0;
      resource.dirty = false;
    }
    stack_.push_back(r);
  };
  const auto visit_flow = [&](Slot slot) {
    if (flow_marks_[slot] == epoch_) return;
    flow_marks_[slot] = epoch_;
    Flow& flow = flows_[slot];
    component_.push_back(slot);
    settle(flow, now);
    flow.old_rate = flow.rate;
    flow.was_due = flow.finish.has_value();
    bool held = false;
    for (const ResourceId r : flow.resources) {
      visit_resource(r, false);
      held = held || tags_[r].blocked;
    }
    if (held) {
      flow.rate = 0;
      flow.frozen = true;
      return;
    }
    flow.frozen = false;
    ++unfrozen_;
    for (const ResourceId r : flow.resources)
      if (tags_[r].limited) ++resources_[r].count;
    if (flow.cap > 0) levels_.push_back(Level{flow.cap * kRateScale, 1, 1, flow.id, slot});
  };
  // A seed resource that just stopped constraining (unblocked, made unlimited) still has flows to re-rate.
  for (const ResourceId r : seed_resources) visit_resource(r, true);
  for (const Slot slot : seed_flows) visit_flow(slot);
  while (!stack_.empty()) {
    const ResourceId r = stack_.back();
    stack_.pop_back();
    for (const Slot slot : resources_[r].flows) visit_flow(slot);
  }
  solved_flows_ += component_.size();

  // 2. Hand out the capacity by progressive filling. Each step freezes the flows of the lowest level, then pushes the
  // new level of every resource they crossed. Once every flow has its rate, the levels left are all stale (their
  // resources have no flows to give a rate to, their flows are frozen): the filling stops there.
  //
  // Often the first step is the last: N flows share a NIC, each also crossing a link of its own, and the NIC's level is
  // the lowest. So the lowest level is found first by a scan; when its resource is crossed by every flow still without
  // a rate, they all get its share, as that step would give them, and no heap is built.
  std::optional<uint64_t> everyone_gets;  // that share, when so
  if (unfrozen_ > 0) {
    std::optional<Level> lowest;
    const auto consider = [&](const Level& level) {
      if (!lowest || LevelAfter{}(*lowest, level)) lowest = level;
    };
    for (const Level& level : levels_) consider(level);  // the caps
    for (const ResourceId r : constrained_) {
      const Resource& resource = resources_[r];
      if (!resource.blocked && resource.capacity > 0 && resource.count > 0)
        consider(Level{resource.left, resource.count, 0, r, 0});
    }
    if (lowest && lowest->kind == 0 && resources_[lowest->id].count == unfrozen_)
      everyone_gets = lowest->num / lowest->den;
  }
  if (unfrozen_ > 0 && !everyone_gets) {
    for (const ResourceId r : constrained_) {
      const Resource& resource = resources_[r];
      if (!resource.blocked && resource.capacity > 0 && resource.count > 0)
        levels_.push_back(Level{resource.left, resource.count, 0, r, 0});
    }
    std::make_heap(levels_.begin(), levels_.end(), LevelAfter{});
    while (unfrozen_ > 0 && !levels_.empty()) {
      std::pop_heap(levels_.begin(), levels_.end(), LevelAfter{});
      const Level level = levels_.back();
      levels_.pop_back();
      if (level.kind == 0) {
        const Resource& resource = resources_[level.id];
        if (resource.count == 0 || resource.left != level.num || resource.count != level.den) continue;  // stale
        const uint64_t share = resource.left / resource.count;
        // Freezing changes counts and levels but never the flow lists, so iterating this one is safe.
        for (const Slot slot : resource.flows)
          if (!flows_[slot].frozen) freeze(slot, share);
      } else {
        if (!flows_[level.slot].frozen) freeze(level.slot, flows_[level.slot].cap * kRateScale);
      }
      push_dirty();
    }
  }
  // 3. New completion times for the flows whose rate changed.
  rescheduled_.clear();
  for (const Slot slot : component_) {
    Flow& flow = flows_[slot];
    if (!flow.frozen) flow.rate = everyone_gets.value_or(kUnconstrained);  // else nothing limits it
    // Same positive rate: the completion time is the same too (progress is exact), so its heap entry stands.
    if (flow.was_due && flow.rate == flow.old_rate && flow.rate != 0 && flow.rate != kUnconstrained) continue;
    set_finish(flow);
    rescheduled_.push_back(slot);
  }
  // Moving each entry costs up to a heap's depth, and a new share moves a whole group of flows the same way (often
  // with finishes that were equal, so each goes all the way down): past a point, rebuilding the heap is cheaper.
  const bool rebuild = rescheduled_.size() * std::bit_width(due_.size()) > due_.size();
  for (const Slot slot : rescheduled_) requeue(flows_[slot], slot, !rebuild);
  if (rebuild) heapify();
}

}  // namespace outpost::sim::testing
