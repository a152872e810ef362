// The bandwidth model against a frozen copy of its former self (which settled every flow at every solve): the same
// random calls must get exactly the same answers from both, down to the nanosecond and the byte. Fixed seeds, so a
// failure is reproducible; each check names the seed and the step.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "simulator/net/bandwidth_model.h"
#include "tests/unit/simulator/legacy_bandwidth_model.h"

using namespace outpost;
using namespace outpost::sim;

namespace {

using Legacy = testing::LegacyBandwidthModel;
using ResourceId = BandwidthModel::ResourceId;
using FlowId = BandwidthModel::FlowId;
constexpr uint64_t kGigabit = 125'000'000;  // bytes/s

// Both models, driven alike, with what a test needs to pick its next call.
class Twins {
 public:
  Twins(uint64_t seed, std::string shape)
      : random_(seed), context_(std::move(shape) + " seed " + std::to_string(seed)) {}

  uint64_t below(uint64_t n) { return n == 0 ? 0 : random_() % n; }
  bool chance(uint64_t percent) { return below(100) < percent; }
  Nanoseconds now() const { return now_; }
  const std::vector<FlowId>& flows() const { return flows_; }
  const std::vector<ResourceId>& resources() const { return resources_; }

  ResourceId add_resource(uint64_t capacity) {
    const ResourceId id = model_.add_resource(capacity);
    expect(legacy_.add_resource(capacity) == id, "add_resource");
    resources_.push_back(id);
    return id;
  }
  FlowId start(uint64_t bytes, const std::vector<ResourceId>& path, uint64_t cap = 0) {
    const FlowId id = model_.start(now_, bytes, path, cap);
    expect(legacy_.start(now_, bytes, path, cap) == id, "start");
    flows_.push_back(id);
    return id;
  }
  void stop(FlowId flow) {
    expect(model_.stop(now_, flow) == legacy_.stop(now_, flow), "stop");
    flows_.erase(std::find(flows_.begin(), flows_.end(), flow));
  }
  void set_cap(FlowId flow, uint64_t cap) {
    model_.set_cap(now_, flow, cap);
    legacy_.set_cap(now_, flow, cap);
  }
  void truncate(FlowId flow, uint64_t total) {
    // The legacy model only shortens a flow (a larger total did nothing); resize() also lengthens one.
    if (total < model_.bytes(flow)) model_.resize(now_, flow, total);
    legacy_.truncate(now_, flow, total);
  }
  void set_capacity(ResourceId resource, uint64_t capacity) {
    model_.set_capacity(now_, resource, capacity);
    legacy_.set_capacity(now_, resource, capacity);
  }
  void set_blocked(ResourceId resource, bool blocked) {
    model_.set_blocked(now_, resource, blocked);
    legacy_.set_blocked(now_, resource, blocked);
  }
  void advance(Nanoseconds by) { now_ += by; }
  // Takes what is complete by now; false when both had nothing.
  bool take() {
    const auto done = model_.take_completed(now_);
    expect(done == legacy_.take_completed(now_), "take_completed");
    for (const FlowId flow : done) flows_.erase(std::find(flows_.begin(), flows_.end(), flow));
    return !done.empty();
  }
  // To the next completion, if any (and within the next decades: time must stay far from overflowing), and takes
  // it (and whatever else is due then).
  bool take_next() {
    const auto next = model_.next_completion();
    if (!next || *next > Nanoseconds(int64_t{1} << 60)) return false;
    if (*next > now_) now_ = *next;
    return take();
  }
  // Every query on every flow, now and at other times (queries may look back before the last call, and ahead).
  void compare(const std::vector<Nanoseconds>& also = {}) {
    ++step_;
    expect(model_.next_completion() == legacy_.next_completion(), "next_completion");
    expect(model_.flow_count() == legacy_.flow_count(), "flow_count");
    for (const FlowId flow : flows_) {
      expect(model_.active(flow) && legacy_.active(flow), "active");
      expect(model_.rate_fixed(flow) == legacy_.rate_fixed(flow), "rate_fixed");
      expect(model_.completion(flow) == legacy_.completion(flow), "completion");
      expect(model_.bytes(flow) == legacy_.bytes(flow), "bytes");
      expect(model_.delivered(now_, flow) == legacy_.delivered(now_, flow), "delivered");
      for (const Nanoseconds at : also)
        expect(model_.delivered(at, flow) == legacy_.delivered(at, flow), "delivered then");
    }
  }
  // A time near now to query at: before it, a little after, or far after.
  Nanoseconds elsewhen() {
    switch (below(4)) {
      case 0: return now_ - Nanoseconds(static_cast<int64_t>(below(static_cast<uint64_t>(now_.count()) + 1)));
      case 1: return now_ + Nanoseconds(static_cast<int64_t>(below(1000)));
      case 2: return now_ + Nanoseconds(static_cast<int64_t>(below(5'000'000'000)));
      default: return now_ + Nanoseconds(int64_t{1} << 61);
    }
  }
  // Checked by hand, not by BOOST_TEST: millions of checks, each would build its message.
  void expect(bool same, const char* what) const {
    if (!same) BOOST_FAIL(context_ + " step " + std::to_string(step_) + ": " + what + " differs");
  }
  uint64_t steps() const { return step_; }

 private:
  BandwidthModel model_;
  Legacy legacy_;
  std::mt19937_64 random_;
  std::string context_;
  Nanoseconds now_{0};
  std::vector<FlowId> flows_;
  std::vector<ResourceId> resources_;
  uint64_t step_ = 0;
};

uint64_t random_bytes(Twins& t) {
  switch (t.below(8)) {
    case 0: return t.below(3);                  // nothing, or next to it
    case 1: return 1 + t.below(100);
    case 2: return 1'000 + t.below(1'000'000);
    case 3: return 1'500'000'000;               // a layer, many alike: equal keys
    case 4: return 1'500'000'000 + t.below(3);  // and keys one byte apart
    case 5: return UINT64_MAX - t.below(2);     // finishes beyond "never" at small rates
    case 6: return uint64_t{1} << (20 + t.below(40));
    default: return t.below(10'000'000'000);
  }
}

uint64_t random_capacity(Twins& t) {
  switch (t.below(7)) {
    case 0: return 0;  // unlimited
    case 1: return 1 + t.below(50);
    case 2: return 300'000'000;
    case 3: return 10 * kGigabit;
    case 4: return BandwidthModel::kMaxCapacity - t.below(2);  // rates so high that distinct keys share a finish
    case 5: return 1'000'000'000 + t.below(1'000'000'000);
    default: return 1 + t.below(1'000'000'000);
  }
}

Nanoseconds random_step(Twins& t) {
  switch (t.below(5)) {
    case 0: return Nanoseconds(0);
    case 1: return Nanoseconds(static_cast<int64_t>(1 + t.below(10)));
    case 2: return Nanoseconds(static_cast<int64_t>(t.below(1'000'000)));
    case 3: return Nanoseconds(static_cast<int64_t>(t.below(2'000'000'000)));
    default: return Nanoseconds(static_cast<int64_t>(t.below(100'000'000'000)));
  }
}

std::vector<ResourceId> random_path(Twins& t) {
  std::vector<ResourceId> path;
  const auto& all = t.resources();
  const uint64_t n = 1 + t.below(4);
  for (uint64_t i = 0; i < n; ++i) path.push_back(all[t.below(all.size())]);  // duplicates too: ignored
  return path;
}

// One random call of any kind (a start more often than the rest), then every query.
void random_call(Twins& t, const std::vector<std::vector<ResourceId>>& paths) {
  const auto& flows = t.flows();
  const auto any_flow = [&] { return flows[t.below(flows.size())]; };
  const auto any_resource = [&] { return t.resources()[t.below(t.resources().size())]; };
  switch (t.below(12)) {
    case 0:
    case 1:
    case 2: {
      const auto path = paths.empty() || t.chance(30) ? random_path(t) : paths[t.below(paths.size())];
      t.start(random_bytes(t), path, t.chance(15) ? random_capacity(t) : 0);
      break;
    }
    case 3:
      if (!flows.empty()) t.stop(any_flow());
      break;
    case 4:
      if (!flows.empty()) t.set_cap(any_flow(), t.chance(40) ? 0 : random_capacity(t));
      break;
    case 5:
      if (!flows.empty()) t.truncate(any_flow(), t.chance(50) ? t.below(1'000) : random_bytes(t));
      break;
    case 6: t.set_capacity(any_resource(), random_capacity(t)); break;
    case 7: {
      const ResourceId r = any_resource();
      t.set_blocked(r, t.chance(50));
      break;
    }
    case 8: t.advance(random_step(t)); break;
    case 9: t.take_next(); break;
    case 10:
      t.advance(random_step(t));
      t.take();
      break;
    default:
      if (t.chance(50)) t.advance(random_step(t));  // calls at the same time as the last, or later
      if (!flows.empty()) t.stop(any_flow());
      break;
  }
  t.compare({t.elsewhen(), t.elsewhen()});
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bandwidth_model_differential)

// A few resources, a few flows, every kind of call: the corners (blocked, unlimited, capped, truncated, stalled,
// overdue but not yet taken, simultaneous).
BOOST_AUTO_TEST_CASE(random_calls_on_small_networks_answer_as_before) {
  for (uint64_t seed = 1; seed <= 2500; ++seed) {
    Twins t(seed, "small");
    const uint64_t resources = 1 + t.below(5);
    for (uint64_t i = 0; i < resources; ++i) t.add_resource(random_capacity(t));
    const uint64_t calls = 20 + t.below(60);
    for (uint64_t i = 0; i < calls; ++i) random_call(t, {});
    while (t.take_next()) t.compare();  // and to the end (or cut, when stalled)
    while (!t.flows().empty()) {
      t.stop(t.flows().front());
      t.compare();
    }
    BOOST_TEST(t.steps() >= 20);
  }
}

// Kraken's parent: one NIC shared by many long downloads, each also over its own link (and an unlimited resource, as a
// host's ingress), with small requests starting and ending over the same paths, now and then a second NIC, a cut, a
// capped or truncated flow, a blocked link, or the NIC's capacity changed.
BOOST_AUTO_TEST_CASE(a_shared_nic_with_small_flows_coming_and_going_answers_as_before) {
  for (uint64_t seed = 1; seed <= 24; ++seed) {
    Twins t(seed, "shared nic");
    const ResourceId nic = t.add_resource(10 * kGigabit);
    const ResourceId second_nic = t.add_resource(t.chance(50) ? 10 * kGigabit : 1 + t.below(1'000'000'000));
    const uint64_t leaves = 20 + t.below(280);
    std::vector<std::vector<ResourceId>> paths;
    for (uint64_t i = 0; i < leaves; ++i) {
      const ResourceId link = t.add_resource(t.chance(90) ? 300'000'000 : 1 + t.below(10'000'000));
      const ResourceId ingress = t.add_resource(0);
      paths.push_back({t.chance(90) ? nic : second_nic, link, ingress});
    }
    for (const auto& path : paths) {
      t.start(t.chance(80) ? 1'500'000'000 : random_bytes(t), path);
      if (t.chance(10)) t.advance(random_step(t));
    }
    t.compare();
    for (int i = 0; i < 400; ++i) {
      const auto& path = paths[t.below(paths.size())];
      if (t.chance(85)) {  // the common case: a request out, the next completion in
        t.start(t.chance(70) ? 2'000 : random_bytes(t), path);
        t.compare();
        t.take_next();
        t.compare();
        if (t.flows().size() < leaves) t.start(1'500'000'000, path);
      } else {
        random_call(t, paths);
      }
      t.compare({t.elsewhen()});
    }
    for (int i = 0; i < 200 && t.take_next(); ++i) t.compare();
    BOOST_TEST(t.steps() > 400);
  }
}

// Kraken's parent with every link fast, so that a solve counts the NIC's group in bulk (its members sealed), and then
// everything that must make it visit them after all: a flow over a member's link alone (not the NIC), a link slowed
// until it binds, made unlimited, blocked, a member capped, cut or truncated, the NIC slowed, blocked or made unlimited,
// a flow bridging to a second NIC, flows held on a member's link, and the downloads draining until the NIC's share
// passes a link's.
BOOST_AUTO_TEST_CASE(a_group_counted_in_bulk_answers_as_before_whatever_changes_around_it) {
  for (uint64_t seed = 1; seed <= 40; ++seed) {
    Twins t(seed, "bulk");
    const ResourceId nic = t.add_resource(10 * kGigabit);
    const ResourceId other_nic = t.add_resource(10 * kGigabit);
    const uint64_t leaves = 8 + t.below(120);
    std::vector<ResourceId> links;
    std::vector<std::vector<ResourceId>> paths;
    for (uint64_t i = 0; i < leaves; ++i) {
      links.push_back(t.add_resource(300'000'000));
      paths.push_back({nic, links.back(), t.add_resource(0)});
    }
    for (const auto& path : paths) t.start(1'500'000'000 + t.below(2), path);
    t.compare();
    const auto any_link = [&] { return links[t.below(links.size())]; };
    for (int i = 0; i < 300; ++i) {
      const auto& path = paths[t.below(paths.size())];
      switch (t.below(17)) {
        case 0: t.start(1 + t.below(100'000), {path[1]}); break;  // over the link alone
        case 1: t.start(1 + t.below(100'000), {other_nic, path[1]}); break;
        case 2: t.set_capacity(any_link(), t.chance(50) ? 1 + t.below(5'000'000) : 300'000'000); break;
        case 3: t.set_capacity(any_link(), t.chance(50) ? 0 : 300'000'000); break;
        case 4: t.set_blocked(any_link(), t.chance(50)); break;
        case 5:
          if (!t.flows().empty()) t.set_cap(t.flows()[t.below(t.flows().size())], t.chance(50) ? 0 : random_capacity(t));
          break;
        case 6:
          if (!t.flows().empty()) t.truncate(t.flows()[t.below(t.flows().size())], random_bytes(t));
          break;
        case 7:
          if (!t.flows().empty()) t.stop(t.flows()[t.below(t.flows().size())]);
          break;
        case 8: t.set_capacity(nic, t.chance(70) ? 1 + t.below(20 * kGigabit) : 0); break;
        case 9: t.set_blocked(nic, t.chance(40)); break;
        case 10: t.start(1 + t.below(1'000'000), {nic, other_nic, path[1]}); break;
        case 11: t.start(1'500'000'000, path); break;
        case 12: t.set_blocked(other_nic, t.chance(50)); break;  // holds the flows it shares a member's link with
        default:  // the common case: a small response over a member's path, and the next completion
          t.start(t.chance(70) ? 2'000 : random_bytes(t), path);
          t.compare();
          t.advance(random_step(t));
          t.take();
          break;
      }
      t.compare({t.elsewhen()});
    }
    t.set_blocked(nic, false);
    t.set_capacity(nic, 10 * kGigabit);
    t.compare();
    for (int i = 0; i < 400 && t.take_next(); ++i) t.compare();  // draining: the share rises past the links'
    BOOST_TEST(t.steps() > 300);
  }
}

// Flows that reach the same resources by different ways: groups meet and part as flows bridge two NICs and leave.
BOOST_AUTO_TEST_CASE(nics_bridged_and_parted_answer_as_before) {
  for (uint64_t seed = 1; seed <= 200; ++seed) {
    Twins t(seed, "bridged");
    const ResourceId a = t.add_resource(1 + t.below(20 * kGigabit));
    const ResourceId b = t.add_resource(1 + t.below(20 * kGigabit));
    std::vector<std::vector<ResourceId>> paths;
    for (int i = 0; i < 12; ++i) {
      const ResourceId link = t.add_resource(t.chance(70) ? 300'000'000 : random_capacity(t));
      paths.push_back({t.chance(50) ? a : b, link});
    }
    paths.push_back({a, b});
    for (int i = 0; i < 20; ++i) t.start(random_bytes(t), paths[t.below(paths.size())]);
    t.compare();
    for (int i = 0; i < 80; ++i) random_call(t, paths);
    BOOST_TEST(t.steps() == 81);
  }
}

// A NIC so fast that a nanosecond moves hundreds of bytes per flow: flows of different sizes finish in the same
// nanosecond and must come out lowest id first, whatever their sizes, while others start, stop and finish around them.
BOOST_AUTO_TEST_CASE(flows_finishing_in_the_same_nanosecond_come_out_as_before) {
  for (uint64_t seed = 1; seed <= 150; ++seed) {
    Twins t(seed, "same nanosecond");
    const ResourceId nic = t.add_resource(BandwidthModel::kMaxCapacity - t.below(1000));
    std::vector<std::vector<ResourceId>> paths;
    for (int i = 0; i < 8; ++i) paths.push_back({nic, t.add_resource(t.chance(80) ? 0 : BandwidthModel::kMaxCapacity)});
    const uint64_t base = 1'000'000 + t.below(1'000'000'000);
    const auto some_bytes = [&] { return base + t.below(t.chance(50) ? 3'000 : 300'000); };
    const uint64_t flows = 10 + t.below(90);
    for (uint64_t i = 0; i < flows; ++i) {
      t.start(some_bytes(), paths[t.below(paths.size())]);
      if (t.chance(20)) t.advance(Nanoseconds(static_cast<int64_t>(t.below(50))));
    }
    t.compare();
    for (int i = 0; i < 150; ++i) {
      switch (t.below(6)) {
        case 0: t.start(some_bytes(), paths[t.below(paths.size())]); break;
        case 1:
          if (!t.flows().empty()) t.stop(t.flows()[t.below(t.flows().size())]);
          break;
        case 2: t.advance(Nanoseconds(static_cast<int64_t>(t.below(20)))); break;
        default: t.take_next(); break;
      }
      t.compare();
    }
    BOOST_TEST(t.steps() == 151);
  }
}

// A quiet fleet: hosts on links of their own behind unlimited NICs (and one limited one, the cloud's), where most
// messages are small and find their whole path idle, and now and then one overlaps another on a link or the NIC: a
// flow alone on its path is rated without a solve, and must answer as the solve did.
BOOST_AUTO_TEST_CASE(small_messages_on_mostly_idle_links_answer_as_before) {
  for (uint64_t seed = 1; seed <= 300; ++seed) {
    Twins t(seed, "idle links");
    const ResourceId cloud = t.add_resource(10 * kGigabit);
    std::vector<std::vector<ResourceId>> paths;
    for (int i = 0; i < 16; ++i) {
      const ResourceId nic = t.add_resource(t.chance(90) ? 0 : random_capacity(t));
      const ResourceId up = t.add_resource(1 + t.below(kGigabit));
      const ResourceId down = t.add_resource(1 + t.below(kGigabit));
      paths.push_back({nic, up, cloud});
      paths.push_back({cloud, down, nic});
    }
    for (int i = 0; i < 200; ++i) {
      switch (t.below(8)) {
        case 0:
        case 1:
        case 2: {
          const uint64_t bytes = t.chance(90) ? 100 + t.below(4'000) : random_bytes(t);
          t.start(bytes, paths[t.below(paths.size())], t.chance(10) ? random_capacity(t) : 0);
          break;
        }
        case 3: t.advance(Nanoseconds(static_cast<int64_t>(t.below(50'000'000)))); break;
        case 4:
          if (!t.flows().empty()) t.stop(t.flows()[t.below(t.flows().size())]);
          break;
        case 5:
          if (t.chance(20)) t.set_blocked(t.resources()[t.below(t.resources().size())], t.chance(50));
          break;
        default: t.take_next(); break;
      }
      t.compare({t.elsewhen()});
    }
    while (t.take_next()) t.compare();
    BOOST_TEST(t.steps() >= 200);
  }
}

BOOST_AUTO_TEST_SUITE_END()
