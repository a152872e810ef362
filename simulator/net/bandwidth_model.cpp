#include "simulator/net/bandwidth_model.h"

#include <algorithm>
#include <bit>
#include <limits>
#include <stdexcept>
#include <string>

namespace outpost::sim {

namespace {
constexpr uint64_t kNanosPerSecond = 1'000'000'000;
// One byte in Work units: a flow at 1 byte/s (kRateScale in fixed point) moves one byte in 1e9 ns.
constexpr uint64_t kWorkPerByte = BandwidthModel::kRateScale * kNanosPerSecond;
// Completion times further than this (146 years) count as never: the flow is as good as stalled.
constexpr uint64_t kNever = uint64_t{1} << 62;

void check_capacity(uint64_t bytes_per_second) {
  if (bytes_per_second > BandwidthModel::kMaxCapacity)
    throw std::invalid_argument("capacity above " + std::to_string(BandwidthModel::kMaxCapacity) + " bytes/s");
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

BandwidthModel::ResourceId BandwidthModel::add_resource(uint64_t bytes_per_second) {
  check_capacity(bytes_per_second);
  resources_.push_back(Resource{});
  resources_.back().capacity = bytes_per_second;
  tags_.push_back(Tag{0, bytes_per_second > 0, false});
  return static_cast<ResourceId>(resources_.size() - 1);
}

void BandwidthModel::set_capacity(Nanoseconds now, ResourceId resource, uint64_t bytes_per_second) {
  check_capacity(bytes_per_second);
  Resource& r = resources_.at(resource);
  if (r.capacity == bytes_per_second) return;
  const bool before = tags_[resource].constrains();
  r.capacity = bytes_per_second;
  tags_[resource].limited = bytes_per_second > 0;
  restate(now, resource, before);
}

void BandwidthModel::set_blocked(Nanoseconds now, ResourceId resource, bool blocked) {
  Resource& r = resources_.at(resource);
  if (r.blocked == blocked) return;
  const bool before = tags_[resource].constrains();
  r.blocked = blocked;
  tags_[resource].blocked = blocked;
  restate(now, resource, before);
}

void BandwidthModel::restate(Nanoseconds now, ResourceId resource, bool constrained_before) {
  const bool constrains = tags_[resource].constrains();
  std::vector<Slot>& list = resources_[resource].flows;
  if (constrains && !constrained_before) {
    // It was listing nothing: its list is every flow alive that crosses it (each flow's resources are sorted).
    list.clear();
    for (Slot slot = 0; slot < flows_.size(); ++slot) {
      const Flow& flow = flows_[slot];
      if (flow.id != 0 && std::binary_search(flow.resources.begin(), flow.resources.end(), resource))
        list.push_back(slot);
    }
  }
  // A resource that just stopped constraining is a seed with its list still whole: its flows are re-rated.
  resolve(now, std::span(&resource, 1), {});
  if (!constrains && constrained_before) list.clear();
}

bool BandwidthModel::constrained(std::span<const ResourceId> resources, uint64_t cap) const {
  if (cap > 0) return true;
  for (const ResourceId id : resources)
    if (tags_.at(id).constrains()) return true;
  return false;
}

BandwidthModel::Slot BandwidthModel::slot_of(FlowId flow) const {
  const auto found = slot_of_.find(flow);
  if (found == slot_of_.end()) throw std::out_of_range("no flow " + std::to_string(flow));
  return found->second;
}

BandwidthModel::Work BandwidthModel::remaining_at(const Flow& flow, Nanoseconds now) {
  if (now <= flow.updated) return flow.remaining;
  if (flow.rate == kUnconstrained) return 0;
  const Work done = static_cast<Work>(flow.rate) * static_cast<uint64_t>((now - flow.updated).count());
  return done >= flow.remaining ? 0 : flow.remaining - done;
}

void BandwidthModel::settle(Flow& flow, Nanoseconds now) {
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

void BandwidthModel::place(size_t index, const Due& due) {
  due_[index] = due;
  due_index_of(due.slot) = static_cast<uint32_t>(index);
}

void BandwidthModel::sift_up(size_t index) {
  const Due due = due_[index];
  while (index > 0) {
    const size_t parent = (index - 1) / 2;
    if (!due_before(due, due_[parent])) break;
    place(index, due_[parent]);
    index = parent;
  }
  place(index, due);
}

void BandwidthModel::sift_down(size_t index) {
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

void BandwidthModel::heapify() {
  for (size_t index = due_.size() / 2; index-- > 0;) sift_down(index);
}

void BandwidthModel::unqueue(Slot entry, bool ordered) {
  const size_t index = due_index_of(entry);
  if (index == kNotDue) return;
  due_index_of(entry) = kNotDue;
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

void BandwidthModel::set_finish(Flow& flow) {
  flow.finish.reset();
  if (flow.remaining == 0 || flow.rate == kUnconstrained) {
    flow.finish = flow.updated;
  } else if (flow.rate > 0) {
    const Work nanos = (flow.remaining + flow.rate - 1) / flow.rate;
    if (nanos < kNever) flow.finish = flow.updated + Nanoseconds(static_cast<int64_t>(nanos));
  }
}

void BandwidthModel::requeue(Flow& flow, Slot slot, bool ordered) {
  requeue_entry(slot, flow.finish, flow.id, ordered);
}

void BandwidthModel::requeue_entry(Slot entry, std::optional<Nanoseconds> at, FlowId id, bool ordered) {
  if (!at) {
    unqueue(entry, ordered);
    return;
  }
  const Due due{*at, id, entry};
  if (due_index_of(entry) == kNotDue) {
    due_.push_back(due);
    due_index_of(entry) = static_cast<uint32_t>(due_.size() - 1);
    if (ordered) sift_up(due_.size() - 1);
    return;
  }
  const size_t index = due_index_of(entry);
  const bool earlier = due_before(due, due_[index]);
  due_[index] = due;
  if (!ordered) return;
  if (earlier) {
    sift_up(index);
  } else {
    sift_down(index);
  }
}

Nanoseconds BandwidthModel::member_finish(const Group& group, Work key) {
  const Work left = key > group.served ? key - group.served : 0;
  return group.since + Nanoseconds(static_cast<int64_t>((left + group.rate - 1) / group.rate));
}

BandwidthModel::Work BandwidthModel::member_remaining(const Flow& flow, Nanoseconds now) const {
  const Group& group = groups_[flow.group];
  // Its progress was last counted at the group's last solve, as a flow's is at its `updated`: no earlier.
  const Work served = served_at(group, std::max(now, group.settled));
  const Work key = group.members[flow.member_index].key;
  return key > served ? key - served : 0;
}

namespace {
// A group's heap order: least key first, then lowest id (a total order, as ids are unique).
template <typename Member>
bool member_before(const Member& a, const Member& b) {
  return a.key != b.key ? a.key < b.key : a.id < b.id;
}
}  // namespace

void BandwidthModel::member_fix(Group& group, size_t index) {
  const size_t size = group.members.size();
  for (;;) {
    Member& member = group.members[index];
    FlowId least = member.id;
    for (size_t child = 2 * index + 1; child <= 2 * index + 2 && child < size; ++child)
      least = std::min(least, group.members[child].least_id);
    member.least_id = least;
    if (index == 0) return;
    index = (index - 1) / 2;
  }
}

void BandwidthModel::member_sift_up(Group& group, size_t index) {
  const size_t start = index;
  const Member member = group.members[index];
  while (index > 0) {
    const size_t parent = (index - 1) / 2;
    if (!member_before(member, group.members[parent])) break;
    group.members[index] = group.members[parent];
    flows_[group.members[index].slot].member_index = static_cast<uint32_t>(index);
    index = parent;
  }
  group.members[index] = member;
  flows_[member.slot].member_index = static_cast<uint32_t>(index);
  member_fix(group, start);  // the entries moved are on the way from there to the root
}

void BandwidthModel::member_sift_down(Group& group, size_t index) {
  const Member member = group.members[index];
  const size_t size = group.members.size();
  for (;;) {
    size_t child = 2 * index + 1;
    if (child >= size) break;
    if (child + 1 < size && member_before(group.members[child + 1], group.members[child])) ++child;
    if (!member_before(group.members[child], member)) break;
    group.members[index] = group.members[child];
    flows_[group.members[index].slot].member_index = static_cast<uint32_t>(index);
    index = child;
  }
  group.members[index] = member;
  flows_[member.slot].member_index = static_cast<uint32_t>(index);
  member_fix(group, index);  // the entries moved are on the way from there to the root
}

void BandwidthModel::touch(uint32_t group) {
  if (groups_[group].touched) return;
  groups_[group].touched = true;
  touched_groups_.push_back(group);
}

void BandwidthModel::join(uint32_t group_id, Slot slot, Work key) {
  Group& group = groups_[group_id];
  Flow& flow = flows_[slot];
  flow.group = group_id;
  flow.finish.reset();
  group.members.push_back(Member{key, flow.id, flow.id, slot});
  member_sift_up(group, group.members.size() - 1);
  group.max_key = std::max(group.max_key, key);
  touch(group_id);
}

void BandwidthModel::write_out(const Group& group, const Member& member, Nanoseconds at) {
  Flow& flow = flows_[member.slot];
  // What settling it at every solve would have left it with: its progress counted up to `at` (never back before the
  // group's last solve), the group's rate, and the finish that rate gave it.
  const Nanoseconds settled = std::max(at, group.settled);
  const Work served = served_at(group, settled);
  flow.remaining = member.key > served ? member.key - served : 0;
  flow.updated = settled;
  flow.rate = group.rate;
  flow.finish = member_finish(group, member.key);
  // As a solve's walk would have found it, had it been on its own (the walk does not look at members).
  flow.old_rate = group.rate;
  flow.was_due = true;
  flow.group = kNoGroup;
  flow.left_group = true;
}

void BandwidthModel::leave(Slot slot, Nanoseconds at) {
  unseal(slot);
  const uint32_t group_id = flows_[slot].group;
  Group& group = groups_[group_id];
  const size_t index = flows_[slot].member_index;
  write_out(group, group.members[index], at);
  const Member last = group.members.back();
  group.members.pop_back();
  const size_t size = group.members.size();
  if (index < size) {
    group.members[index] = last;
    flows_[last.slot].member_index = static_cast<uint32_t>(index);
    if (index > 0 && member_before(last, group.members[(index - 1) / 2])) {
      member_sift_up(group, index);
    } else {
      member_sift_down(group, index);
    }
  }
  if (size > 0) member_fix(group, (size - 1) / 2);  // the last place's parent lost it
  touch(group_id);
}

void BandwidthModel::unseal(Slot slot) {
  const uint32_t group = seal_[slot];
  if (group == kNoGroup) return;
  seal_[slot] = kNoGroup;
  --groups_[group].sealed;
}

void BandwidthModel::reseal(uint32_t group_id, ResourceId anchor) {
  __extension__ using Wide = unsigned __int128;
  Group& group = groups_[group_id];
  if (group.anchor != anchor) {
    // Sealed members were sealed against the old anchor. None should be left (a solve counts them in bulk only when
    // their anchor is the lowest level, so the anchor stays), but should one be, it is not trusted.
    if (group.sealed > 0)
      for (const Member& member : group.members) unseal(member.slot);
    group.anchor = anchor;
  }
  // The bound only ever falls while members are sealed (a lower bound stays true); it starts afresh with none.
  if (group.sealed == 0) {
    group.bound_num = 1;
    group.bound_den = 0;
  }
  // The members this solve visited (the others are still sealed, or not members). It gave everyone the anchor's
  // share, so every flow it gave a share crosses the anchor.
  for (const Slot slot : component_) {
    const Flow& flow = flows_[slot];
    if (flow.group != group_id || seal_[slot] != kNoGroup) continue;
    if (flow.cap > 0) continue;  // its cap is a level of its own
    bool sealed = true;
    uint64_t num = 1;
    uint64_t den = 0;
    for (const ResourceId r : flow.resources) {
      const Tag& tag = tags_[r];
      if (r == anchor || !tag.constrains()) continue;
      const Resource& resource = resources_[r];
      // Every flow on it reached and given a share (none held): they all cross the anchor, so a solve that reaches the
      // anchor reaches them. Its level can only be capacity / (flows on it) or above, until a flow starts or ends on
      // it or its capacity changes, and each of those starts a solve from it.
      if (tag.mark != epoch_ || tag.blocked || resource.count != resource.flows.size()) {
        sealed = false;
        break;
      }
      const uint64_t level = resource.capacity * kRateScale;
      const uint64_t flows = resource.flows.size();
      if (den == 0 || static_cast<Wide>(level) * den < static_cast<Wide>(num) * flows) {
        num = level;
        den = flows;
      }
    }
    if (!sealed) continue;
    seal_[slot] = group_id;
    ++group.sealed;
    if (den != 0 &&
        (group.bound_den == 0 || static_cast<Wide>(num) * group.bound_den < static_cast<Wide>(group.bound_num) * den)) {
      group.bound_num = num;
      group.bound_den = den;
    }
  }
}

void BandwidthModel::leave_now(Slot slot, Nanoseconds at) {
  leave(slot, at);
  flows_[slot].left_group = false;
  flush_groups(true);
}

void BandwidthModel::flush_groups(bool ordered) {
  for (const uint32_t group : touched_groups_) {
    groups_[group].touched = false;
    refresh(group, ordered);
  }
  touched_groups_.clear();
}

void BandwidthModel::refresh(uint32_t group_id, bool ordered) {
  Group& group = groups_[group_id];
  if (group.members.empty()) {
    unqueue(kGroupBit | group_id, ordered);
    if (group.live) {
      group.live = false;
      free_groups_.push_back(group_id);
    }
    return;
  }
  // The least key finishes first. Every key up to `last_key` finishes at that same nanosecond (finishes round up to
  // whole nanoseconds), and of those the lowest id comes first, as it would in the completion heap: they are the top
  // of the group's heap, found by walking it down only where keys are that small and lower ids are below (usually the
  // root alone, even when many keys are equal: the root has the lowest id of those).
  const Member& least = group.members.front();
  const Nanoseconds at = member_finish(group, least.key);
  const Work last_key = served_at(group, at);
  FlowId id = least.id;
  Slot slot = least.slot;
  window_.clear();
  window_.push_back(0);
  while (!window_.empty()) {
    const size_t index = window_.back();
    window_.pop_back();
    const Member& member = group.members[index];
    if (member.key > last_key || member.least_id >= id) continue;
    if (member.id < id) {
      id = member.id;
      slot = member.slot;
    }
    for (size_t child = 2 * index + 1; child <= 2 * index + 2 && child < group.members.size(); ++child)
      window_.push_back(static_cast<uint32_t>(child));
  }
  group.top_slot = slot;
  requeue_entry(kGroupBit | group_id, at, id, ordered);
}

void BandwidthModel::schedule(Flow& flow, Slot slot) {
  set_finish(flow);
  requeue(flow, slot, true);
}

void BandwidthModel::detach(Flow& flow, Slot slot) {
  unqueue(slot, true);
  for (const ResourceId r : flow.resources) {
    if (!tags_[r].constrains()) continue;  // it lists nothing
    auto& list = resources_[r].flows;
    const auto found = std::find(list.begin(), list.end(), slot);
    if (found != list.end()) {
      *found = list.back();
      list.pop_back();
    }
  }
}

void BandwidthModel::release(Flow& flow, Slot slot) {
  slot_of_.erase(flow.id);
  flow.id = 0;
  flow.resources.clear();  // its room stays for the slot's next flow
  flow.finish.reset();
  free_.push_back(slot);
}

BandwidthModel::FlowId BandwidthModel::start(Nanoseconds now, uint64_t bytes, std::span<const ResourceId> given,
                                             uint64_t cap, uint64_t owner) {
  if (now < last_now_) throw std::logic_error("bandwidth model: time went backwards");
  last_now_ = now;
  check_capacity(cap);
  // Sorted in scratch, then copied into the slot's own list, which keeps the room its last flow had: once slots are
  // reused, starting a flow allocates nothing.
  std::vector<ResourceId>& resources = start_path_;
  resources.assign(given.begin(), given.end());
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
    seal_.push_back(kNoGroup);
  }
  slot_of_.emplace(id, slot);
  Flow& flow = flows_[slot];
  flow.id = id;
  flow.owner = owner;
  flow.bytes = bytes;
  flow.resources.assign(resources.begin(), resources.end());
  flow.cap = cap;
  flow.total = static_cast<Work>(bytes) * kWorkPerByte;
  flow.remaining = flow.total;
  flow.updated = now;
  flow.rate = 0;
  flow.finish.reset();
  flow.group = kNoGroup;
  flow.left_group = false;
  // Alone on every resource that constrains it, the flow's rate is the lowest of its own levels, and nothing else is
  // re-rated: the solve's answer without the solve (most messages cross idle links).
  const std::optional<uint64_t> alone = lone_rate(flow);
  for (const ResourceId r : flow.resources)
    if (tags_[r].constrains()) resources_[r].flows.push_back(slot);
  if (alone) {
    ++solves_;
    ++solved_flows_;
    flow.rate = *alone;
    schedule(flow, slot);
    return id;
  }
  const Slot seed[] = {slot};
  resolve(now, {}, seed);
  return id;
}

std::optional<uint64_t> BandwidthModel::lone_rate(const Flow& flow) const {
  // A solve of this flow alone: the levels are each limited resource's capacity over one flow, and its cap. The
  // lowest wins (a flow that gets a resource's share forms a group of one, which finishes exactly as a lone flow at
  // that rate does). Blocked, unlimited or shared paths are left to the solve.
  std::optional<uint64_t> rate;
  if (flow.cap > 0) rate = flow.cap * kRateScale;
  for (const ResourceId r : flow.resources) {
    const Tag& tag = tags_[r];
    if (!tag.constrains()) continue;
    if (tag.blocked || !resources_[r].flows.empty()) return std::nullopt;
    const uint64_t level = resources_[r].capacity * kRateScale;
    if (!rate || level < *rate) rate = level;
  }
  return rate;
}

uint64_t BandwidthModel::stop(Nanoseconds now, FlowId id) {
  if (now < last_now_) throw std::logic_error("bandwidth model: time went backwards");
  last_now_ = now;
  const Slot slot = slot_of(id);
  Flow& flow = flows_[slot];
  if (flow.group != kNoGroup) leave_now(slot, now);
  settle(flow, now);
  const uint64_t delivered = static_cast<uint64_t>((flow.total - flow.remaining) / kWorkPerByte);
  detach(flow, slot);
  touched_.clear();
  for (const ResourceId r : flow.resources)
    if (reshares(r)) touched_.push_back(r);
  release(flow, slot);
  if (!touched_.empty()) resolve(now, touched_, {});
  return delivered;
}

void BandwidthModel::set_cap(Nanoseconds now, FlowId id, uint64_t cap) {
  check_capacity(cap);
  const Slot slot = slot_of(id);
  Flow& flow = flows_[slot];
  if (flow.cap == cap) return;
  flow.cap = cap;
  const Slot seed[] = {slot};
  resolve(now, {}, seed);
}

void BandwidthModel::resize(Nanoseconds now, FlowId id, uint64_t total_bytes) {
  const Slot slot = slot_of(id);
  Flow& flow = flows_[slot];
  if (total_bytes == flow.bytes) return;
  if (flow.group != kNoGroup) leave_now(slot, now);  // it finishes apart from the group now
  settle(flow, now);
  const Work done = flow.total - flow.remaining;
  flow.bytes = total_bytes;
  flow.total = static_cast<Work>(total_bytes) * kWorkPerByte;
  flow.remaining = flow.total > done ? flow.total - done : 0;
  schedule(flow, slot);  // its rate does not change, only when it ends
}

std::optional<Nanoseconds> BandwidthModel::next_completion() const {
  if (due_.empty()) return std::nullopt;
  return due_.front().at;
}

std::vector<BandwidthModel::FlowId> BandwidthModel::take_completed(Nanoseconds now) {
  std::vector<Completed> completed;
  take_completed(now, completed);
  std::vector<FlowId> done;
  done.reserve(completed.size());
  for (const Completed& flow : completed) done.push_back(flow.id);
  return done;
}

void BandwidthModel::take_completed(Nanoseconds now, std::vector<Completed>& done) {
  if (now < last_now_) throw std::logic_error("bandwidth model: time went backwards");
  last_now_ = now;
  done.clear();
  touched_.clear();
  while (!due_.empty() && due_.front().at <= now) {
    Slot slot = due_.front().slot;
    if ((slot & kGroupBit) != 0) {  // a group's first member: out of the group first
      slot = groups_[slot & ~kGroupBit].top_slot;
      leave_now(slot, now);
    }
    Flow& flow = flows_[slot];
    done.push_back(Completed{flow.id, flow.owner});
    detach(flow, slot);
    for (const ResourceId r : flow.resources)
      if (reshares(r)) touched_.push_back(r);
    release(flow, slot);
  }
  if (!touched_.empty()) {
    std::sort(touched_.begin(), touched_.end());
    touched_.erase(std::unique(touched_.begin(), touched_.end()), touched_.end());
    resolve(now, touched_, {});
  }
}

bool BandwidthModel::active(FlowId flow) const { return slot_of_.contains(flow); }
uint64_t BandwidthModel::bytes(FlowId flow) const { return flow_at(flow).bytes; }
uint64_t BandwidthModel::rate_fixed(FlowId id) const {
  const Flow& flow = flow_at(id);
  return flow.group != kNoGroup ? groups_[flow.group].rate : flow.rate;
}

double BandwidthModel::rate(FlowId flow) const {
  const uint64_t fixed = rate_fixed(flow);
  if (fixed == kUnconstrained) return std::numeric_limits<double>::infinity();
  return static_cast<double>(fixed) / static_cast<double>(kRateScale);
}

uint64_t BandwidthModel::delivered(Nanoseconds now, FlowId id) const {
  const Flow& flow = flow_at(id);
  const Work remaining = flow.group != kNoGroup ? member_remaining(flow, now) : remaining_at(flow, now);
  return static_cast<uint64_t>((flow.total - remaining) / kWorkPerByte);
}

std::optional<Nanoseconds> BandwidthModel::completion(FlowId id) const {
  const Flow& flow = flow_at(id);
  if (flow.group == kNoGroup) return flow.finish;
  const Group& group = groups_[flow.group];
  return member_finish(group, group.members[flow.member_index].key);
}

void BandwidthModel::freeze(Slot slot, uint64_t rate) {
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
void BandwidthModel::push_dirty() {
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

void BandwidthModel::resolve(Nanoseconds now, std::span<const ResourceId> seed_resources,
                             std::span<const Slot> seed_flows) {
  __extension__ using Wide = unsigned __int128;
  ++solves_;
  ++epoch_;
  component_.clear();
  constrained_.clear();
  stack_.clear();
  levels_.clear();
  dirty_.clear();
  groups_seen_.clear();
  loners_.clear();
  rescheduled_.clear();
  unfrozen_ = 0;
  // 1. The connected component: flows reachable from the seeds through constrained resources. Resources that
  // constrain nothing (unlimited, not blocked) do not couple the flows that share them. Each flow is made ready for
  // the filling as it is found (its progress brought up to now at its old rate, counted on its resources, its cap
  // made a level), and each constrained resource as it is reached, so the component is walked once. The sealed
  // members of a group are passed over at its anchor, to be counted there in bulk (see the header comment), while
  // `pass_over` holds.
  bool pass_over = true;
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
  const auto reach_group = [&](uint32_t group_id) {
    Group& group = groups_[group_id];
    if (group.mark == epoch_) return;
    group.mark = epoch_;
    group.seen = 0;
    group.bulk = 0;
    groups_seen_.push_back(group_id);
  };
  const auto visit_flow = [&](Slot slot) {
    if (flow_marks_[slot] == epoch_) return;
    flow_marks_[slot] = epoch_;
    unseal(slot);  // visited, it is counted as any flow is (the solve may seal it again)
    Flow& flow = flows_[slot];
    component_.push_back(slot);
    if (flow.group == kNoGroup) {
      settle(flow, now);
      flow.old_rate = flow.rate;
      flow.was_due = flow.finish.has_value();
    } else {  // a group's member: its progress is the group's, counted once for all of them (see leave())
      reach_group(flow.group);
    }
    bool held = false;
    for (const ResourceId r : flow.resources) {
      visit_resource(r, false);
      held = held || tags_[r].blocked;
    }
    if (held) {
      if (flow.group != kNoGroup) leave(slot, now);
      flow.rate = 0;
      flow.frozen = true;
      loners_.push_back(slot);
      return;
    }
    if (flow.group != kNoGroup) {
      ++groups_[flow.group].seen;
    } else {
      loners_.push_back(slot);
    }
    flow.frozen = false;
    ++unfrozen_;
    for (const ResourceId r : flow.resources)
      if (tags_[r].limited) ++resources_[r].count;
    if (flow.cap > 0) levels_.push_back(Level{flow.cap * kRateScale, 1, 1, flow.id, slot});
  };
  const auto walk = [&] {
    while (!stack_.empty()) {
      const ResourceId r = stack_.back();
      stack_.pop_back();
      // A blocked or unlimited anchor treats its members as it treats any flow: they are visited.
      const bool bulk_here = pass_over && tags_[r].limited && !tags_[r].blocked;
      for (const Slot slot : resources_[r].flows) {
        if (bulk_here) {
          const uint32_t group = seal_[slot];
          if (group != kNoGroup && groups_[group].anchor == r) {
            if (groups_[group].deferred != epoch_) {
              reach_group(group);
              groups_[group].deferred = epoch_;
            }
            continue;
          }
        }
        visit_flow(slot);
      }
    }
  };
  // A seed resource that just stopped constraining (unblocked, made unlimited) still has flows to re-rate.
  for (const ResourceId r : seed_resources) visit_resource(r, true);
  for (const Slot slot : seed_flows) visit_flow(slot);
  walk();
  // The sealed members passed over, and not visited since, count on their anchor as if visited.
  size_t bulk = 0;
  for (const uint32_t group_id : groups_seen_) {
    Group& group = groups_[group_id];
    if (group.deferred != epoch_) continue;
    group.bulk = group.sealed;
    group.seen += group.bulk;
    resources_[group.anchor].count += group.bulk;
    unfrozen_ += group.bulk;
    bulk += group.bulk;
  }

  // 2. Hand out the capacity by progressive filling. Each step freezes the flows of the lowest level, then pushes the
  // new level of every resource they crossed. Once every flow has its rate, the levels left are all stale (their
  // resources have no flows to give a rate to, their flows are frozen): the filling stops there.
  //
  // Often the first step is the last: N flows share a NIC, each also crossing a link of its own, and the NIC's level is
  // the lowest. So the lowest level is found first by a scan; when its resource is crossed by every flow still without
  // a rate, they all get its share, as that step would give them, and no heap is built.
  Level lowest{0, 0, 0, 0, 0};
  bool found = false;  // whether `lowest` is one
  const auto find_lowest = [&] {
    found = false;
    if (unfrozen_ == 0) return;
    const auto consider = [&](const Level& level) {
      if (!found || LevelAfter{}(lowest, level)) lowest = level;
      found = true;
    };
    for (const Level& level : levels_) consider(level);  // the caps
    for (const ResourceId r : constrained_) {
      const Resource& resource = resources_[r];
      if (!resource.blocked && resource.capacity > 0 && resource.count > 0)
        consider(Level{resource.left, resource.count, 0, r, 0});
    }
  };
  const auto everyone_alike = [&] {
    return found && lowest.kind == 0 && resources_[lowest.id].count == unfrozen_ && lowest.num / lowest.den > 0;
  };
  find_lowest();
  if (bulk > 0) {
    // The bulk count stands when the solve comes out as it would have with every member visited: everyone gets the
    // anchor's share, and the resources of the members passed over (their levels no lower than the bound) are all
    // above it. One group only: members of others reached would move to the chosen one, one by one.
    bool stands = groups_seen_.size() == 1 && everyone_alike();
    if (stands) {
      const Group& group = groups_[groups_seen_.front()];
      stands = lowest.id == group.anchor &&
               (group.bound_den == 0 ||
                static_cast<Wide>(group.bound_num) * lowest.den > static_cast<Wide>(lowest.num) * group.bound_den);
    }
    if (!stands) {  // then the members passed over are visited after all, and the walk goes on from them
      expand_.clear();
      for (const uint32_t group_id : groups_seen_) {
        Group& group = groups_[group_id];
        if (group.deferred != epoch_ || group.bulk == 0) continue;
        group.seen -= group.bulk;
        resources_[group.anchor].count -= group.bulk;
        unfrozen_ -= group.bulk;
        group.bulk = 0;
        for (const Member& member : group.members)
          if (seal_[member.slot] == group_id) expand_.push_back(member.slot);
      }
      bulk = 0;
      pass_over = false;
      for (const Slot slot : expand_) visit_flow(slot);
      walk();
      find_lowest();
    }
  }
  solved_flows_ += component_.size() + bulk;
  std::optional<uint64_t> everyone_gets;  // that share, when so
  if (found && lowest.kind == 0 && resources_[lowest.id].count == unfrozen_) everyone_gets = lowest.num / lowest.den;
  const bool alike = everyone_gets.has_value() && *everyone_gets > 0;
  if (!alike) {
    // Rates of their own (or 0, or none at all): the group members reached leave their groups, before the filling
    // gives them their new rates. A group reached whole is simply emptied, not taken apart member by member.
    for (const uint32_t group_id : groups_seen_) {
      Group& group = groups_[group_id];
      if (group.seen != group.members.size()) continue;
      for (const Member& member : group.members) {
        unseal(member.slot);  // (visited: none is sealed)
        write_out(group, member, now);
      }
      group.members.clear();
      touch(group_id);
    }
    for (const Slot slot : component_)
      if (flows_[slot].group != kNoGroup) leave(slot, now);
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
  if (alike) {
    share_alike(now, *everyone_gets, static_cast<ResourceId>(lowest.id));
  } else {
    for (const Slot slot : component_) {
      Flow& flow = flows_[slot];
      if (!flow.frozen) flow.rate = everyone_gets.value_or(kUnconstrained);  // else nothing limits it
      reschedule(flow, slot);
    }
  }
  // Moving each entry costs up to a heap's depth: past a point, rebuilding the heap is cheaper.
  const size_t changes = rescheduled_.size() + touched_groups_.size();
  const bool rebuild = changes * std::bit_width(due_.size()) > due_.size();
  for (const Slot slot : rescheduled_) requeue(flows_[slot], slot, !rebuild);
  flush_groups(!rebuild);
  if (rebuild) heapify();
}

void BandwidthModel::reschedule(Flow& flow, Slot slot) {
  // Same positive rate: the completion time is the same too (progress is exact), so its heap entry stands (a flow
  // just out of its group has no entry yet: it gets one at that same time).
  const bool same = flow.was_due && flow.rate == flow.old_rate && flow.rate != 0 && flow.rate != kUnconstrained;
  if (!same) set_finish(flow);
  if (!same || flow.left_group) rescheduled_.push_back(slot);
  flow.left_group = false;
}

void BandwidthModel::share_alike(Nanoseconds now, uint64_t share, ResourceId anchor) {
  // The group most of these flows are in already keeps them (with the new rate); the others join it, and a new group
  // is formed when none of them is in one.
  uint32_t chosen = kNoGroup;
  size_t most = 0;
  for (const uint32_t group : groups_seen_) {
    if (groups_[group].seen > most) {
      most = groups_[group].seen;
      chosen = group;
    }
  }
  // A flow whose finish would be further than kNever has none (it is as good as stalled): ceil(left / share) < kNever
  // iff left <= longest.
  const Work longest = static_cast<Work>(share) * (kNever - 1);
  Nanoseconds at = now;
  Work served = 0;  // the chosen group's S(at)
  if (chosen != kNoGroup) {
    // A group's members all cross the resource whose share they got, so a solve that reaches one reaches them all
    // (when it stops constraining them, the solve starts from it). Should one not be reached all the same, it keeps
    // its rate, as it would have: it leaves as it was at the group's last solve.
    if (most < groups_[chosen].members.size()) {
      leaving_.clear();
      for (const Member& member : groups_[chosen].members)
        if (flow_marks_[member.slot] != epoch_ && !(seal_[member.slot] == chosen && groups_[chosen].deferred == epoch_))
          leaving_.push_back(member.slot);  // (the sealed members it counted in bulk were reached)
      for (const Slot slot : leaving_) {
        leave(slot, groups_[chosen].settled);
        flows_[slot].left_group = false;
        rescheduled_.push_back(slot);  // its finish stands, in an entry of its own
      }
    }
    Group& group = groups_[chosen];
    at = std::max(now, group.settled);
    served = served_at(group, at);
    if (share != group.rate) {
      // Members that far from their keys at the new rate leave (they are scheduled on their own, below). max_key
      // spares the scan mostly.
      if (group.max_key > served && group.max_key - served > longest) {
        leaving_.clear();
        Work max_key = 0;
        for (const Member& member : group.members) {
          if (member.key > served && member.key - served > longest) {
            leaving_.push_back(member.slot);
          } else {
            max_key = std::max(max_key, member.key);
          }
        }
        group.max_key = max_key;
        for (const Slot slot : leaving_) {
          leave(slot, at);
          loners_.push_back(slot);
        }
      }
      group.since = at;
      group.served = served;
      group.rate = share;
    }
    group.settled = at;
    touch(chosen);
  }
  // With no group reached but the chosen one, every flow of the component that is not in it is one of the loners: the
  // chosen group's members are not even looked at.
  const std::span<const Slot> others = groups_seen_.size() <= 1 ? std::span<const Slot>(loners_) : component_;
  for (const Slot slot : others) {
    Flow& flow = flows_[slot];
    if (flow.group != kNoGroup) {
      if (flow.group == chosen) continue;  // nothing to do: the point of groups
      leave(slot, now);
    }
    if (!flow.frozen) {
      flow.rate = share;
      // It joins if, settled at the group's time, it has something left and a finish: its finish is then the one
      // the group gives its key (see Group). One that is done already keeps the finish it has (which may be past).
      if (flow.remaining > 0 && flow.updated == at && flow.remaining <= longest) {
        if (chosen == kNoGroup) {
          chosen = new_group(share, at);
          served = 0;
        }
        if (due_index_[slot] != kNotDue) rescheduled_.push_back(slot);  // its own entry goes (it has no finish now)
        join(chosen, slot, flow.remaining + served);
        flow.left_group = false;
        continue;
      }
    }
    reschedule(flow, slot);
  }
  if (chosen != kNoGroup) reseal(chosen, anchor);
}

uint32_t BandwidthModel::new_group(uint64_t rate, Nanoseconds at) {
  uint32_t id;
  if (!free_groups_.empty()) {
    id = free_groups_.back();
    free_groups_.pop_back();
  } else {
    id = static_cast<uint32_t>(groups_.size());
    groups_.emplace_back();
  }
  Group& group = groups_[id];
  group.rate = rate;
  group.since = at;
  group.served = 0;
  group.settled = at;
  group.max_key = 0;
  group.members.clear();
  group.due_index = kNotDue;
  group.anchor = 0;
  group.sealed = 0;
  group.bound_num = 1;
  group.bound_den = 0;
  group.touched = false;
  group.live = true;
  return id;
}

}  // namespace outpost::sim
