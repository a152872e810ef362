#include "simulator/net/bandwidth_model.h"

#include <algorithm>
#include <limits>
#include <queue>
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
// levels are taken in an order that depends on ids only.
struct Level {
  uint64_t num;
  uint64_t den;
  uint8_t kind;
  uint64_t id;
};
struct LevelAfter {
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
  return static_cast<ResourceId>(resources_.size() - 1);
}

void BandwidthModel::set_capacity(Nanoseconds now, ResourceId resource, uint64_t bytes_per_second) {
  check_capacity(bytes_per_second);
  Resource& r = resources_.at(resource);
  if (r.capacity == bytes_per_second) return;
  r.capacity = bytes_per_second;
  resolve(now, {resource}, {});
}

void BandwidthModel::set_blocked(Nanoseconds now, ResourceId resource, bool blocked) {
  Resource& r = resources_.at(resource);
  if (r.blocked == blocked) return;
  r.blocked = blocked;
  resolve(now, {resource}, {});
}

bool BandwidthModel::constrained(const std::vector<ResourceId>& resources, uint64_t cap) const {
  if (cap > 0) return true;
  for (const ResourceId id : resources)
    if (constrains(resources_.at(id))) return true;
  return false;
}

BandwidthModel::Flow& BandwidthModel::flow_at(FlowId flow) {
  const auto found = flows_.find(flow);
  if (found == flows_.end()) throw std::out_of_range("no flow " + std::to_string(flow));
  return found->second;
}

const BandwidthModel::Flow& BandwidthModel::flow_at(FlowId flow) const {
  const auto found = flows_.find(flow);
  if (found == flows_.end()) throw std::out_of_range("no flow " + std::to_string(flow));
  return found->second;
}

void BandwidthModel::settle(Flow& flow, Nanoseconds now) const {
  if (now <= flow.updated) return;
  if (flow.rate == kUnconstrained) {
    flow.remaining = 0;
  } else {
    const Work done = static_cast<Work>(flow.rate) * static_cast<uint64_t>((now - flow.updated).count());
    flow.remaining = done >= flow.remaining ? 0 : flow.remaining - done;
  }
  flow.updated = now;
}

namespace {
// The completion heap's order: earliest first, then lowest id.
struct DueAfter {
  template <typename Due>
  bool operator()(const Due& a, const Due& b) const {
    return a.at != b.at ? a.at > b.at : a.id > b.id;
  }
};
}  // namespace

void BandwidthModel::schedule(Flow& flow) {
  ++flow.version;
  flow.finish.reset();
  if (flow.remaining == 0 || flow.rate == kUnconstrained) {
    flow.finish = flow.updated;
  } else if (flow.rate > 0) {
    const Work nanos = (flow.remaining + flow.rate - 1) / flow.rate;
    if (nanos < kNever) flow.finish = flow.updated + Nanoseconds(static_cast<int64_t>(nanos));
  }
  if (!flow.finish) return;
  due_.push_back(Due{*flow.finish, flow.id, flow.version});
  std::push_heap(due_.begin(), due_.end(), DueAfter{});
}

bool BandwidthModel::is_current(const Due& due) const {
  const auto found = flows_.find(due.id);
  return found != flows_.end() && found->second.version == due.version;
}

void BandwidthModel::prune() const {
  while (!due_.empty() && !is_current(due_.front())) {
    std::pop_heap(due_.begin(), due_.end(), DueAfter{});
    due_.pop_back();
  }
  if (due_.size() > 2 * flows_.size() + 64) {  // mostly stale: rebuild from the live flows
    due_.clear();
    for (const auto& [id, flow] : flows_)
      if (flow.finish) due_.push_back(Due{*flow.finish, id, flow.version});
    std::make_heap(due_.begin(), due_.end(), DueAfter{});
  }
}

void BandwidthModel::detach(Flow& flow) {
  ++flow.version;  // its heap entries are stale from now on
  for (const ResourceId r : flow.resources) {
    auto& list = resources_[r].flows;
    const auto found = std::find(list.begin(), list.end(), &flow);
    if (found != list.end()) {
      *found = list.back();
      list.pop_back();
    }
  }
}

BandwidthModel::FlowId BandwidthModel::start(Nanoseconds now, uint64_t bytes, std::vector<ResourceId> resources,
                                             uint64_t cap) {
  if (now < last_now_) throw std::logic_error("bandwidth model: time went backwards");
  last_now_ = now;
  check_capacity(cap);
  std::sort(resources.begin(), resources.end());
  resources.erase(std::unique(resources.begin(), resources.end()), resources.end());
  for (const ResourceId r : resources)
    if (r >= resources_.size()) throw std::out_of_range("no resource " + std::to_string(r));
  const FlowId id = next_flow_++;
  Flow& flow = flows_[id];
  flow.id = id;
  flow.bytes = bytes;
  flow.resources = std::move(resources);
  flow.cap = cap;
  flow.total = static_cast<Work>(bytes) * kWorkPerByte;
  flow.remaining = flow.total;
  flow.updated = now;
  for (const ResourceId r : flow.resources) resources_[r].flows.push_back(&flow);
  resolve(now, {}, {&flow});
  return id;
}

uint64_t BandwidthModel::stop(Nanoseconds now, FlowId id) {
  if (now < last_now_) throw std::logic_error("bandwidth model: time went backwards");
  last_now_ = now;
  Flow& flow = flow_at(id);
  settle(flow, now);
  const uint64_t delivered = static_cast<uint64_t>((flow.total - flow.remaining) / kWorkPerByte);
  detach(flow);
  std::vector<ResourceId> touched;
  for (const ResourceId r : flow.resources)
    if (constrains(resources_[r])) touched.push_back(r);
  flows_.erase(id);
  if (!touched.empty()) resolve(now, touched, {});
  return delivered;
}

void BandwidthModel::set_cap(Nanoseconds now, FlowId id, uint64_t cap) {
  check_capacity(cap);
  Flow& flow = flow_at(id);
  if (flow.cap == cap) return;
  flow.cap = cap;
  resolve(now, {}, {&flow});
}

void BandwidthModel::truncate(Nanoseconds now, FlowId id, uint64_t total_bytes) {
  Flow& flow = flow_at(id);
  if (total_bytes >= flow.bytes) return;
  settle(flow, now);
  const Work done = flow.total - flow.remaining;
  flow.bytes = total_bytes;
  flow.total = static_cast<Work>(total_bytes) * kWorkPerByte;
  flow.remaining = flow.total > done ? flow.total - done : 0;
  schedule(flow);  // its rate does not change, only when it ends
}

std::optional<Nanoseconds> BandwidthModel::next_completion() const {
  prune();
  if (due_.empty()) return std::nullopt;
  return due_.front().at;
}

std::vector<BandwidthModel::FlowId> BandwidthModel::take_completed(Nanoseconds now) {
  if (now < last_now_) throw std::logic_error("bandwidth model: time went backwards");
  last_now_ = now;
  std::vector<FlowId> done;
  std::vector<ResourceId> touched;
  for (prune(); !due_.empty() && due_.front().at <= now; prune()) {
    const FlowId id = due_.front().id;
    std::pop_heap(due_.begin(), due_.end(), DueAfter{});
    due_.pop_back();
    Flow& flow = flow_at(id);
    flow.finish.reset();
    detach(flow);
    for (const ResourceId r : flow.resources)
      if (constrains(resources_[r])) touched.push_back(r);
    flows_.erase(id);
    done.push_back(id);
  }
  if (!touched.empty()) {
    std::sort(touched.begin(), touched.end());
    touched.erase(std::unique(touched.begin(), touched.end()), touched.end());
    resolve(now, touched, {});
  }
  return done;
}

bool BandwidthModel::active(FlowId flow) const { return flows_.contains(flow); }
uint64_t BandwidthModel::bytes(FlowId flow) const { return flow_at(flow).bytes; }
uint64_t BandwidthModel::rate_fixed(FlowId flow) const { return flow_at(flow).rate; }

double BandwidthModel::rate(FlowId flow) const {
  const uint64_t fixed = flow_at(flow).rate;
  if (fixed == kUnconstrained) return std::numeric_limits<double>::infinity();
  return static_cast<double>(fixed) / static_cast<double>(kRateScale);
}

uint64_t BandwidthModel::delivered(Nanoseconds now, FlowId id) const {
  Flow flow = flow_at(id);
  settle(flow, now);
  return static_cast<uint64_t>((flow.total - flow.remaining) / kWorkPerByte);
}

std::optional<Nanoseconds> BandwidthModel::completion(FlowId flow) const { return flow_at(flow).finish; }

void BandwidthModel::resolve(Nanoseconds now, const std::vector<ResourceId>& seed_resources,
                             const std::vector<Flow*>& seed_flows) {
  ++solves_;
  ++epoch_;
  // 1. The connected component: flows reachable from the seeds through constrained resources. Resources that
  // constrain nothing (unlimited, not blocked) do not couple the flows that share them.
  std::vector<Flow*> component;
  std::vector<ResourceId> constrained_resources;
  std::vector<ResourceId> stack;
  const auto visit_resource = [&](ResourceId r, bool seed) {
    Resource& resource = resources_[r];
    if (resource.mark == epoch_) return;
    if (!seed && !constrains(resource)) return;
    resource.mark = epoch_;
    if (constrains(resource)) constrained_resources.push_back(r);
    stack.push_back(r);
  };
  const auto visit_flow = [&](Flow* flow) {
    if (flow->mark == epoch_) return;
    flow->mark = epoch_;
    component.push_back(flow);
    for (const ResourceId r : flow->resources) visit_resource(r, false);
  };
  // A seed resource that just stopped constraining (unblocked, made unlimited) still has flows to re-rate.
  for (const ResourceId r : seed_resources) visit_resource(r, true);
  for (Flow* flow : seed_flows) visit_flow(flow);
  while (!stack.empty()) {
    const ResourceId r = stack.back();
    stack.pop_back();
    for (Flow* flow : resources_[r].flows) visit_flow(flow);
  }
  solved_flows_ += component.size();

  // 2. Bring every flow's progress up to now at its old rate, then hand out the capacity by progressive filling.
  std::vector<std::optional<uint64_t>> old_rates;  // none: the flow has no completion scheduled yet
  old_rates.reserve(component.size());
  for (Flow* flow : component) {
    settle(*flow, now);
    old_rates.push_back(flow->finish ? std::optional<uint64_t>(flow->rate) : std::nullopt);
    flow->frozen = false;
  }
  for (const ResourceId r : constrained_resources) {
    Resource& resource = resources_[r];
    resource.left = resource.capacity * kRateScale;
    resource.count = 0;
    resource.dirty = false;
  }
  for (Flow* flow : component) {
    bool held = false;
    for (const ResourceId r : flow->resources) held = held || resources_[r].blocked;
    if (held) {
      flow->rate = 0;
      flow->frozen = true;
      continue;
    }
    for (const ResourceId r : flow->resources)
      if (resources_[r].capacity > 0) ++resources_[r].count;
  }
  std::priority_queue<Level, std::vector<Level>, LevelAfter> levels;
  for (const ResourceId r : constrained_resources) {
    const Resource& resource = resources_[r];
    if (!resource.blocked && resource.capacity > 0 && resource.count > 0)
      levels.push(Level{resource.left, resource.count, 0, r});
  }
  for (Flow* flow : component)
    if (!flow->frozen && flow->cap > 0) levels.push(Level{flow->cap * kRateScale, 1, 1, flow->id});
  std::vector<ResourceId> dirty;
  const auto freeze = [&](Flow& flow, uint64_t rate) {
    flow.rate = rate;
    flow.frozen = true;
    for (const ResourceId r : flow.resources) {
      Resource& resource = resources_[r];
      if (resource.capacity == 0) continue;
      // `rate` is the smallest level left, so it never exceeds this resource's fair share: no underflow.
      resource.left -= rate;
      --resource.count;
      if (!resource.dirty) {
        resource.dirty = true;
        dirty.push_back(r);
      }
    }
  };
  // Each step freezes the flows of the lowest level, then pushes the new level of every resource they crossed, once.
  const auto push_dirty = [&] {
    for (const ResourceId r : dirty) {
      Resource& resource = resources_[r];
      resource.dirty = false;
      if (resource.count > 0) levels.push(Level{resource.left, resource.count, 0, r});
    }
    dirty.clear();
  };
  while (!levels.empty()) {
    const Level level = levels.top();
    levels.pop();
    if (level.kind == 0) {
      const Resource& resource = resources_[level.id];
      if (resource.count == 0 || resource.left != level.num || resource.count != level.den) continue;  // stale
      const uint64_t share = resource.left / resource.count;
      // Freezing changes counts and levels but never the flow lists, so iterating this one is safe.
      for (Flow* flow : resource.flows)
        if (!flow->frozen) freeze(*flow, share);
    } else {
      Flow& flow = flow_at(level.id);
      if (!flow.frozen) freeze(flow, flow.cap * kRateScale);
    }
    push_dirty();
  }
  for (size_t i = 0; i < component.size(); ++i) {
    Flow& flow = *component[i];
    if (!flow.frozen) flow.rate = kUnconstrained;  // nothing limits it
    // Same positive rate: the completion time is the same too (progress is exact), so its heap entry stands.
    if (flow.rate == old_rates[i] && flow.rate != 0 && flow.rate != kUnconstrained) continue;
    schedule(flow);
  }
}

}  // namespace outpost::sim
