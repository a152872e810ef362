#include <boost/test/unit_test.hpp>

#include <cmath>
#include <vector>

#include "simulator/net/bandwidth_model.h"

using namespace outpost;
using namespace outpost::sim;
using namespace std::chrono_literals;

namespace {
constexpr Nanoseconds kZero{0};
}

BOOST_AUTO_TEST_SUITE(bandwidth_model)

BOOST_AUTO_TEST_CASE(three_flows_share_a_link_equally) {
  BandwidthModel model;
  const auto link = model.add_resource(30);
  const auto a = model.start(kZero, 1000, {link});
  const auto b = model.start(kZero, 1000, {link});
  const auto c = model.start(kZero, 1000, {link});
  BOOST_TEST(model.rate(a) == 10.0);
  BOOST_TEST(model.rate(b) == 10.0);
  BOOST_TEST(model.rate(c) == 10.0);
}

BOOST_AUTO_TEST_CASE(a_flow_bottlenecked_elsewhere_leaves_the_rest_to_the_others) {
  BandwidthModel model;
  const auto shared = model.add_resource(30);
  const auto narrow = model.add_resource(5);
  const auto slow = model.start(kZero, 1000, {shared, narrow});
  const auto b = model.start(kZero, 1000, {shared});
  const auto c = model.start(kZero, 1000, {shared});
  BOOST_TEST(model.rate(slow) == 5.0);
  BOOST_TEST(model.rate(b) == 12.5);
  BOOST_TEST(model.rate(c) == 12.5);
}

BOOST_AUTO_TEST_CASE(a_nic_limits_before_the_links_do_and_the_links_after) {
  BandwidthModel model;
  const auto nic = model.add_resource(100);  // one host's egress
  const auto link1 = model.add_resource(80);
  const auto link2 = model.add_resource(80);
  const auto first = model.start(kZero, 1000, {nic, link1});
  BOOST_TEST(model.rate(first) == 80.0);  // alone: the link is the bottleneck
  const auto second = model.start(kZero, 1000, {nic, link2});
  BOOST_TEST(model.rate(first) == 50.0);  // together: the NIC is
  BOOST_TEST(model.rate(second) == 50.0);
}

BOOST_AUTO_TEST_CASE(max_min_on_the_classic_parking_lot) {
  // Two links in a row, 10 B/s each: one long flow over both, one short flow on each. Max-min gives 5 to everyone.
  BandwidthModel model;
  const auto l1 = model.add_resource(10);
  const auto l2 = model.add_resource(10);
  const auto along = model.start(kZero, 100, {l1, l2});
  const auto s1 = model.start(kZero, 100, {l1});
  const auto s2 = model.start(kZero, 100, {l2});
  BOOST_TEST(model.rate(along) == 5.0);
  BOOST_TEST(model.rate(s1) == 5.0);
  BOOST_TEST(model.rate(s2) == 5.0);
  // A third link capping the long flow at 2 hands the rest to the short ones.
  const auto l3 = model.add_resource(2);
  model.stop(kZero, along);
  const auto capped = model.start(kZero, 100, {l1, l2, l3});
  BOOST_TEST(model.rate(capped) == 2.0);
  BOOST_TEST(model.rate(s1) == 8.0);
  BOOST_TEST(model.rate(s2) == 8.0);
}

BOOST_AUTO_TEST_CASE(a_per_flow_cap_counts_like_a_private_link) {
  BandwidthModel model;
  const auto link = model.add_resource(30);
  const auto capped = model.start(kZero, 1000, {link}, /*cap=*/5);
  const auto b = model.start(kZero, 1000, {link});
  const auto c = model.start(kZero, 1000, {link});
  BOOST_TEST(model.rate(capped) == 5.0);
  BOOST_TEST(model.rate(b) == 12.5);
  BOOST_TEST(model.rate(c) == 12.5);
  model.set_cap(kZero, capped, 0);
  BOOST_TEST(model.rate(capped) == 10.0);
}

BOOST_AUTO_TEST_CASE(unlimited_means_zero_and_completes_at_once) {
  BandwidthModel model;
  const auto free_link = model.add_resource(0);
  BOOST_TEST(!model.constrained({free_link}, 0));
  const auto flow = model.start(5s, 1'000'000, {free_link});
  BOOST_TEST(std::isinf(model.rate(flow)));
  BOOST_TEST(model.completion(flow).value() == Nanoseconds(5s));
  BOOST_TEST(model.take_completed(5s).size() == 1u);
}

BOOST_AUTO_TEST_CASE(completion_times_follow_the_rates_as_they_change) {
  // 20 B/s shared by a 100-byte and a 300-byte flow: 10 B/s each until the first ends at 10 s, then the second has
  // 200 bytes left at 20 B/s: it ends at 20 s.
  BandwidthModel model;
  const auto link = model.add_resource(20);
  const auto small = model.start(kZero, 100, {link});
  const auto large = model.start(kZero, 300, {link});
  BOOST_TEST(model.next_completion().value() == Nanoseconds(10s));
  BOOST_TEST(model.take_completed(9s).empty());
  const auto first = model.take_completed(10s);
  BOOST_TEST(first.size() == 1u);
  BOOST_TEST(first[0] == small);
  BOOST_TEST(model.delivered(10s, large) == 100u);
  BOOST_TEST(model.rate(large) == 20.0);
  BOOST_TEST(model.next_completion().value() == Nanoseconds(20s));
  const auto second = model.take_completed(20s);
  BOOST_TEST(second.size() == 1u);
  BOOST_TEST(model.flow_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_flow_started_later_slows_the_first_from_then_on) {
  BandwidthModel model;
  const auto link = model.add_resource(100);
  const auto first = model.start(kZero, 1000, {link});  // alone: would end at 10 s
  const auto second = model.start(4s, 300, {link});     // first has 600 left; both at 50 B/s
  BOOST_TEST(model.delivered(4s, first) == 400u);
  BOOST_TEST(model.completion(second).value() == Nanoseconds(10s));
  model.take_completed(10s);
  // first: 600 - 300 = 300 left at 100 B/s -> 13 s.
  BOOST_TEST(model.completion(first).value() == Nanoseconds(13s));
}

BOOST_AUTO_TEST_CASE(uneven_shares_round_down_and_never_overrun_the_capacity) {
  BandwidthModel model;
  const auto link = model.add_resource(10);
  const auto a = model.start(kZero, 10, {link});
  const auto b = model.start(kZero, 10, {link});
  const auto c = model.start(kZero, 10, {link});
  const uint64_t sum = model.rate_fixed(a) + model.rate_fixed(b) + model.rate_fixed(c);
  BOOST_TEST(sum <= 10 * BandwidthModel::kRateScale);
  BOOST_TEST(sum >= 10 * BandwidthModel::kRateScale - 3);
  // 10 bytes at 10/3 B/s (rounded down): just over 3 s, the same for all three.
  BOOST_TEST(model.completion(a).value() > Nanoseconds(3s));
  BOOST_TEST(model.completion(a).value() < Nanoseconds(3001ms));
  BOOST_TEST((model.completion(a) == model.completion(c)));
}

BOOST_AUTO_TEST_CASE(stopping_a_flow_reports_what_it_delivered_and_frees_its_share) {
  BandwidthModel model;
  const auto link = model.add_resource(10);
  const auto a = model.start(kZero, 1000, {link});
  const auto b = model.start(kZero, 1000, {link});
  BOOST_TEST(model.stop(3s, a) == 15u);
  BOOST_TEST(!model.active(a));
  BOOST_TEST(model.rate(b) == 10.0);
  BOOST_TEST(model.delivered(5s, b) == 35u);
}

BOOST_AUTO_TEST_CASE(a_blocked_resource_holds_its_flows_and_unblocking_resumes_them) {
  BandwidthModel model;
  const auto link = model.add_resource(0);  // unlimited, but it can still be jammed
  const auto other = model.add_resource(10);
  const auto held = model.start(kZero, 100, {link, other});
  const auto free_flow = model.start(kZero, 100, {other});
  BOOST_TEST(model.rate(held) == 5.0);
  model.set_blocked(2s, link, true);
  BOOST_TEST(model.rate(held) == 0.0);
  BOOST_TEST(!model.completion(held).has_value());
  BOOST_TEST(model.rate(free_flow) == 10.0);  // the held flow's share goes to the other
  BOOST_TEST(model.delivered(10s, held) == 10u);
  model.set_blocked(10s, link, false);
  BOOST_TEST(model.rate(held) == 5.0);
  BOOST_TEST(model.delivered(12s, held) == 20u);
}

BOOST_AUTO_TEST_CASE(resizing_ends_a_flow_early_or_later) {
  BandwidthModel model;
  const auto link = model.add_resource(10);
  const auto flow = model.start(kZero, 1000, {link});
  model.resize(2s, flow, 50);  // 20 through, 30 to go at 10 B/s
  BOOST_TEST(model.bytes(flow) == 50u);
  BOOST_TEST(model.completion(flow).value() == Nanoseconds(5s));
  model.resize(3s, flow, 100);  // a limit lifted: 30 through, 70 to go
  BOOST_TEST(model.bytes(flow) == 100u);
  BOOST_TEST(model.completion(flow).value() == Nanoseconds(10s));
  BOOST_TEST(model.delivered(10s, flow) == 100u);
}

BOOST_AUTO_TEST_CASE(capacity_changes_reshare_at_once) {
  BandwidthModel model;
  const auto link = model.add_resource(10);
  const auto flow = model.start(kZero, 100, {link});
  model.set_capacity(5s, link, 50);  // 50 through, 50 left at 50 B/s
  BOOST_TEST(model.completion(flow).value() == Nanoseconds(6s));
}

BOOST_AUTO_TEST_CASE(only_the_connected_flows_are_re_solved) {
  BandwidthModel model;
  const auto left = model.add_resource(10);
  const auto right = model.add_resource(10);
  const auto shared_free = model.add_resource(0);  // unlimited: couples nothing
  for (int i = 0; i < 50; ++i) model.start(kZero, 100, {left, shared_free});
  const uint64_t before = model.solved_flows();
  model.start(kZero, 100, {right, shared_free});
  BOOST_TEST(model.solved_flows() - before == 1u);
}

BOOST_AUTO_TEST_CASE(equal_completions_come_out_in_id_order) {
  BandwidthModel model;
  const auto link = model.add_resource(10);
  const auto a = model.start(kZero, 10, {link});
  const auto b = model.start(kZero, 10, {link});
  const auto done = model.take_completed(2s);
  BOOST_TEST(done.size() == 2u);
  BOOST_TEST(done[0] == a);
  BOOST_TEST(done[1] == b);
}

BOOST_AUTO_TEST_CASE(hundreds_of_downloads_through_one_nic_get_the_same_share) {
  // A parent's 10 Gbit/s NIC serving 520 leaves, each over its own 300 MB/s link to an unlimited ingress: the NIC is
  // the bottleneck of every flow, and each gets 1.25e9 * 65536 / 520 = 157538461538.46 (fixed point), rounded down.
  // 1.5 GB at that rate takes ceil(1.5e9 * 65536e9 / 157538461538) ns: 624 s and 2 ns.
  BandwidthModel model;
  const auto nic = model.add_resource(1'250'000'000);
  std::vector<BandwidthModel::FlowId> flows;
  for (int i = 0; i < 520; ++i) {
    const auto link = model.add_resource(300'000'000);
    const auto ingress = model.add_resource(0);
    flows.push_back(model.start(kZero, 1'500'000'000, {nic, link, ingress}));
  }
  const Nanoseconds finish(624'000'000'002);
  for (const auto flow : flows) {
    BOOST_TEST(model.rate_fixed(flow) == 157'538'461'538u);
    BOOST_TEST(model.completion(flow).value() == finish);
  }
  BOOST_TEST(model.next_completion().value() == finish);
  BOOST_TEST(model.take_completed(finish - Nanoseconds(1)).empty());
  BOOST_TEST(model.take_completed(finish) == flows);  // all at once, in id order
  BOOST_TEST(model.flow_count() == 0u);
}

BOOST_AUTO_TEST_CASE(a_short_flow_through_a_shared_nic_slows_everyone_until_it_ends) {
  // 100 B/s shared by four 1000-byte downloads and a 20-byte response: 20 B/s each, so the response is through at 1 s.
  // Then 25 B/s each for the 980 bytes the downloads have left: 39.2 s more.
  BandwidthModel model;
  const auto nic = model.add_resource(100);
  std::vector<BandwidthModel::FlowId> downloads;
  for (int i = 0; i < 4; ++i) downloads.push_back(model.start(kZero, 1000, {nic, model.add_resource(1000)}));
  BOOST_TEST(model.rate(downloads[0]) == 25.0);
  BOOST_TEST(model.completion(downloads[0]).value() == Nanoseconds(40s));
  const auto response = model.start(kZero, 20, {nic, model.add_resource(1000)});
  for (const auto flow : downloads) BOOST_TEST(model.rate(flow) == 20.0);
  BOOST_TEST(model.completion(response).value() == Nanoseconds(1s));
  BOOST_TEST(model.take_completed(1s) == std::vector<BandwidthModel::FlowId>{response});
  for (const auto flow : downloads) {
    BOOST_TEST(model.rate(flow) == 25.0);
    BOOST_TEST(model.delivered(1s, flow) == 20u);
    BOOST_TEST(model.completion(flow).value() == Nanoseconds(40200ms));
  }
}

BOOST_AUTO_TEST_CASE(a_link_narrower_than_the_nic_share_leaves_the_rest_to_the_others) {
  // 100 B/s over four flows would be 25 each, but one flow's own link carries 10: the other three share the 90 left.
  BandwidthModel model;
  const auto nic = model.add_resource(100);
  const auto narrow = model.start(kZero, 1000, {nic, model.add_resource(10)});
  std::vector<BandwidthModel::FlowId> others;
  for (int i = 0; i < 3; ++i) others.push_back(model.start(kZero, 1000, {nic, model.add_resource(300)}));
  BOOST_TEST(model.rate(narrow) == 10.0);
  for (const auto flow : others) BOOST_TEST(model.rate(flow) == 30.0);
}

BOOST_AUTO_TEST_CASE(a_jammed_flow_does_not_count_against_the_nic_it_shares) {
  BandwidthModel model;
  const auto nic = model.add_resource(30);
  const auto jammed_link = model.add_resource(0);
  const auto held = model.start(kZero, 1000, {nic, jammed_link});
  const auto b = model.start(kZero, 1000, {nic, model.add_resource(0)});
  const auto c = model.start(kZero, 1000, {nic, model.add_resource(0)});
  BOOST_TEST(model.rate(b) == 10.0);
  model.set_blocked(kZero, jammed_link, true);
  BOOST_TEST(model.rate(held) == 0.0);
  BOOST_TEST(model.rate(b) == 15.0);
  BOOST_TEST(model.rate(c) == 15.0);
}

BOOST_AUTO_TEST_CASE(a_nic_share_that_does_not_divide_evenly_rounds_down_for_everyone) {
  // 10 B/s over three flows: 10 * 65536 / 3 = 218453.33 in fixed point.
  BandwidthModel model;
  const auto nic = model.add_resource(10);
  std::vector<BandwidthModel::FlowId> flows;
  for (int i = 0; i < 3; ++i) flows.push_back(model.start(kZero, 10, {nic, model.add_resource(100)}));
  for (const auto flow : flows) BOOST_TEST(model.rate_fixed(flow) == 218'453u);
}

BOOST_AUTO_TEST_CASE(time_must_not_go_backwards) {
  BandwidthModel model;
  const auto link = model.add_resource(10);
  model.start(5s, 10, {link});
  BOOST_CHECK_THROW(model.start(4s, 10, {link}), std::logic_error);
}

BOOST_AUTO_TEST_SUITE_END()
