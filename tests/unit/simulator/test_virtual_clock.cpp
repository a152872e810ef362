#include <boost/test/unit_test.hpp>

#include "simulator/engine/event_loop.h"
#include "simulator/engine/virtual_clock.h"

using namespace outpost;
using namespace outpost::sim;
using namespace std::chrono_literals;

namespace {
const WallTime kStart = WallTime(std::chrono::seconds(1'798'761'600));  // 2027-01-01T00:00:00Z
}

BOOST_AUTO_TEST_SUITE(virtual_clock)

BOOST_AUTO_TEST_CASE(wall_time_starts_at_the_worlds_start_date) {
  EventLoop loop;
  VirtualClock clock(loop, kStart);
  BOOST_TEST((clock.now() == kStart));
  loop.run_until(90s);
  BOOST_TEST((clock.now() == kStart + 90s));
  BOOST_TEST(clock.monotonic().count() == 90'000'000'000);
}

BOOST_AUTO_TEST_CASE(steps_move_wall_time_both_ways_but_never_monotonic_time) {
  EventLoop loop;
  VirtualClock clock(loop, kStart);
  clock.step_at(10s, 1h);     // forward
  clock.step_at(20s, -2h);    // backward, past the start
  std::vector<Nanoseconds> monotonic;
  std::vector<WallTime> wall;
  for (auto t : {5s, 10s, 15s, 20s, 25s})
    loop.schedule_at(t, [&] {
      monotonic.push_back(clock.monotonic());
      wall.push_back(clock.now());
    });
  loop.run();
  BOOST_TEST((wall[0] == kStart + 5s));
  BOOST_TEST((wall[1] == kStart + 10s + 1h));  // a change planned for t applies at t
  BOOST_TEST((wall[2] == kStart + 15s + 1h));
  BOOST_TEST((wall[3] == kStart + 20s - 1h));
  BOOST_TEST((wall[4] == kStart + 25s - 1h));
  BOOST_TEST(std::is_sorted(monotonic.begin(), monotonic.end()));
  BOOST_TEST(monotonic.back().count() == 25'000'000'000);
  BOOST_TEST(clock.offset().count() == Nanoseconds(-1h).count());
}

BOOST_AUTO_TEST_CASE(skew_sets_the_offset_and_steps_add_to_it) {
  EventLoop loop;
  VirtualClock clock(loop, kStart, 3s);
  BOOST_TEST((clock.now() == kStart + 3s));
  clock.step(2s);
  BOOST_TEST((clock.now() == kStart + 5s));
  clock.set_skew(-1s);  // absolute, whatever came before
  BOOST_TEST((clock.now() == kStart - 1s));
}

BOOST_AUTO_TEST_CASE(drift_accumulates_with_true_time) {
  EventLoop loop;
  VirtualClock clock(loop, kStart);
  clock.set_drift(100);  // 100 ppm fast: +100 us per second
  loop.run_until(10s);
  BOOST_TEST((clock.now() == kStart + 10s + 1ms));
  clock.set_drift_at(20s, -50);
  loop.run_until(30s);
  // 20 s at +100 ppm (2 ms), then 10 s at -50 ppm (-0.5 ms).
  BOOST_TEST(clock.offset().count() == 1'500'000);
  BOOST_CHECK_THROW(clock.set_drift(2'000'000), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(changes_for_one_time_apply_in_planning_order_and_past_times_mean_now) {
  EventLoop loop;
  VirtualClock clock(loop, kStart);
  clock.set_skew_at(5s, 10s);
  clock.step_at(5s, 1s);    // after the skew: 11 s
  clock.step_at(3s, 100s);  // earlier: applies first, then the skew overrides it
  loop.run_until(5s);
  BOOST_TEST(clock.offset().count() == Nanoseconds(11s).count());
  clock.step_at(1s, 1s);  // in the past: now
  BOOST_TEST(clock.offset().count() == Nanoseconds(12s).count());
}

BOOST_AUTO_TEST_CASE(planned_changes_schedule_no_events) {
  EventLoop loop;
  VirtualClock clock(loop, kStart);
  clock.step_at(1h, 1s);
  BOOST_TEST(loop.pending() == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
