#define BOOST_TEST_MODULE outpost_simulator
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <set>
#include <functional>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "reference/common/random.h"
#include "simulator/engine/event_loop.h"

using namespace outpost;
using namespace outpost::sim;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(event_loop)

BOOST_AUTO_TEST_CASE(events_run_in_time_then_scheduling_order) {
  EventLoop loop;
  std::string order;
  loop.schedule_after(20ns, [&] { order += "c"; });
  loop.schedule_after(10ns, [&] { order += "a"; });
  loop.schedule_after(10ns, [&] { order += "b"; });
  loop.post([&] { order += "0"; });
  loop.run();
  BOOST_TEST(order == "0abc");
  BOOST_TEST(loop.now().count() == 20);
  BOOST_TEST(loop.events_dispatched() == 4u);
}

BOOST_AUTO_TEST_CASE(cancelled_timers_do_not_run) {
  EventLoop loop;
  bool ran = false;
  auto handle = loop.schedule_after(5ns, [&] { ran = true; });
  handle.cancel();
  loop.run();
  BOOST_TEST(!ran);
}

BOOST_AUTO_TEST_CASE(run_until_stops_at_the_deadline) {
  EventLoop loop;
  int count = 0;
  for (int i = 1; i <= 10; ++i) loop.schedule_after(Nanoseconds(i * 100), [&] { ++count; });
  loop.run_until(550ns);
  BOOST_TEST(count == 5);
  BOOST_TEST(loop.now().count() == 550);
  BOOST_TEST(loop.pending() == 5u);
}

BOOST_AUTO_TEST_CASE(work_scheduled_from_work_sees_virtual_time) {
  EventLoop loop;
  VirtualClock clock(loop, WallTime(std::chrono::seconds(1'800'000'000)), 3s);
  WallTime seen{};
  loop.schedule_after(1s, [&] { loop.schedule_after(1s, [&] { seen = clock.now(); }); });
  loop.run();
  BOOST_TEST((seen == WallTime(std::chrono::seconds(1'800'000'005))));
  BOOST_TEST(clock.monotonic().count() == 2'000'000'000);
}

BOOST_AUTO_TEST_CASE(a_timer_due_now_scheduled_before_a_post_runs_before_it) {
  EventLoop loop;
  std::string order;
  loop.schedule_after(10ns, [&] {
    // At t=10: a zero-delay timer, then a post, then another zero-delay timer: all due now, in scheduling order.
    loop.schedule_after(0ns, [&] { order += "1"; });
    loop.post([&] { order += "2"; });
    loop.schedule_after(0ns, [&] { order += "3"; });
    loop.post([&] { order += "4"; });
  });
  loop.schedule_after(10ns, [&] { order += "0"; });
  loop.run();
  BOOST_TEST(order == "01234");
  BOOST_TEST(loop.now().count() == 10);
}

BOOST_AUTO_TEST_CASE(posts_from_a_post_run_after_the_ones_already_posted) {
  EventLoop loop;
  std::string order;
  loop.post([&] {
    order += "a";
    loop.post([&] { order += "c"; });
  });
  loop.post([&] { order += "b"; });
  loop.run();
  BOOST_TEST(order == "abc");
}

BOOST_AUTO_TEST_CASE(negative_delays_and_past_times_mean_now) {
  EventLoop loop;
  loop.run_until(100ns);
  std::vector<int64_t> seen;
  loop.schedule_after(-5ns, [&] { seen.push_back(loop.now().count()); });
  loop.schedule_at(50ns, [&] { seen.push_back(loop.now().count()); });
  loop.run();
  BOOST_TEST(seen == (std::vector<int64_t>{100, 100}));
}

BOOST_AUTO_TEST_CASE(a_timer_at_the_end_of_time_waits_without_overflowing) {
  EventLoop loop;
  loop.run_until(5s);
  bool ran = false;
  loop.schedule_after(Nanoseconds::max(), [&] { ran = true; });
  loop.schedule_after(1s, [] {});
  loop.run_until(1h);
  BOOST_TEST(!ran);
  BOOST_TEST(loop.next_time().value().count() == Nanoseconds::max().count());
}

BOOST_AUTO_TEST_CASE(schedule_at_uses_absolute_virtual_time) {
  EventLoop loop;
  loop.run_until(1s);
  int64_t at = 0;
  loop.schedule_at(3s, [&] { at = loop.now().count(); });
  loop.run();
  BOOST_TEST(at == 3'000'000'000);
}

BOOST_AUTO_TEST_CASE(cancelling_after_the_timer_ran_or_twice_does_nothing) {
  EventLoop loop;
  int first = 0, second = 0;
  auto handle = loop.schedule_after(1ns, [&] { ++first; });
  loop.run();
  // The slot is reused by the next timer; the stale handle must not cancel it.
  loop.schedule_after(1ns, [&] { ++second; });
  handle.cancel();
  handle.cancel();
  loop.run();
  BOOST_TEST(first == 1);
  BOOST_TEST(second == 1);
}

BOOST_AUTO_TEST_CASE(a_cancelled_timers_slot_reused_is_not_cancelled_again) {
  EventLoop loop;
  int ran = 0;
  auto stale = loop.schedule_after(5ns, [&] { ran += 100; });
  stale.cancel();
  loop.run();  // the cancelled entry surfaces and frees its slot
  loop.schedule_after(5ns, [&] { ran += 1; });
  stale.cancel();
  loop.run();
  BOOST_TEST(ran == 1);
}

BOOST_AUTO_TEST_CASE(a_timer_can_cancel_itself_and_others_while_running) {
  EventLoop loop;
  std::string order;
  TimerHandle self, other;
  self = loop.schedule_after(1ns, [&] {
    order += "s";
    self.cancel();   // already running: nothing happens
    other.cancel();  // not yet run: it never will
  });
  other = loop.schedule_after(2ns, [&] { order += "o"; });
  loop.schedule_after(3ns, [&] { order += "t"; });
  loop.run();
  BOOST_TEST(order == "st");
}

BOOST_AUTO_TEST_CASE(cancelled_timers_do_not_advance_time_and_are_not_pending) {
  EventLoop loop;
  auto late = loop.schedule_after(10s, [] {});
  loop.schedule_after(1s, [] {});
  BOOST_TEST(loop.pending() == 2u);
  late.cancel();
  BOOST_TEST(loop.pending() == 1u);
  loop.run();
  BOOST_TEST(loop.now().count() == 1'000'000'000);
  BOOST_TEST(!loop.next_time().has_value());
}

BOOST_AUTO_TEST_CASE(cancelling_destroys_the_callback_at_once) {
  EventLoop loop;
  auto token = std::make_shared<int>(7);
  std::weak_ptr<int> watch = token;
  auto handle = loop.schedule_after(1h, [token = std::move(token)] {});
  BOOST_TEST(!watch.expired());
  handle.cancel();
  BOOST_TEST(watch.expired());
}

BOOST_AUTO_TEST_CASE(a_handle_that_outlives_its_loop_cancels_nothing) {
  TimerHandle handle;
  {
    EventLoop loop;
    handle = loop.schedule_after(1s, [] {});
  }
  handle.cancel();  // must not touch the destroyed loop (ASan would see it)
  BOOST_TEST(true);
}

BOOST_AUTO_TEST_CASE(plain_timer_ids_cancel_once) {
  EventLoop loop;
  int ran = 0;
  const TimerId id = loop.add_timer(5ns, [&] { ++ran; });
  BOOST_TEST(id != 0u);
  BOOST_TEST(loop.cancel_timer(id));
  BOOST_TEST(!loop.cancel_timer(id));
  BOOST_TEST(!loop.cancel_timer(0));
  loop.run();
  BOOST_TEST(ran == 0);
}

BOOST_AUTO_TEST_CASE(move_only_and_large_captures_run) {
  EventLoop loop;
  int sum = 0;
  auto owned = std::make_unique<int>(5);
  loop.post([&sum, owned = std::move(owned)] { sum += *owned; });
  std::array<int64_t, 32> big{};  // 256 bytes: beyond the inline buffer, stored on the heap
  big[31] = 11;
  loop.schedule_after(1ns, [&sum, big] { sum += static_cast<int>(big[31]); });
  loop.run();
  BOOST_TEST(sum == 16);
}

BOOST_AUTO_TEST_CASE(work_through_the_executor_seam_runs_in_order_with_direct_work) {
  EventLoop loop;
  Executor& executor = loop;
  std::string order;
  executor.schedule_after(2ns, std::function<void()>([&] { order += "c"; }));
  loop.schedule_after(1ns, [&] { order += "b"; });
  executor.post([&] { order += "a"; });
  auto cancelled = executor.schedule_after(1ns, [&] { order += "x"; });
  cancelled.cancel();
  loop.run();
  BOOST_TEST(order == "abc");
}

BOOST_AUTO_TEST_CASE(a_throwing_callback_leaves_the_loop_usable) {
  EventLoop loop;
  int ran = 0;
  loop.schedule_after(1ns, [] { throw std::runtime_error("boom"); });
  loop.schedule_after(2ns, [&] { ++ran; });
  BOOST_CHECK_THROW(loop.run(), std::runtime_error);
  loop.run();
  BOOST_TEST(ran == 1);
  BOOST_TEST(loop.now().count() == 2);
}

// Against a model: random timers (many at equal times), posts and cancellations, including enough cancellations to
// make the loop sweep its heap; the loop must run exactly the live events, in (time, scheduling order).
BOOST_AUTO_TEST_CASE(random_schedules_match_a_sorted_model) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    EventLoop loop;
    SeededRandom random(seed);
    std::vector<int> ran;
    std::map<std::pair<int64_t, int>, int> model;  // (time, scheduling index) -> label
    std::vector<std::pair<TimerHandle, std::pair<int64_t, int>>> handles;
    int index = 0;
    for (int i = 0; i < 5000; ++i) {
      const int label = index++;
      if (random.uniform(10) == 0) {
        loop.post([&ran, label] { ran.push_back(label); });
        model[{0, label}] = label;
      } else {
        const auto at = static_cast<int64_t>(random.uniform(200));  // few distinct times: many ties
        handles.push_back({loop.schedule_after(Nanoseconds(at), [&ran, label] { ran.push_back(label); }), {at, label}});
        model[{at, label}] = label;
      }
    }
    // Cancel about 70% of the timers (more than half: the heap gets swept).
    for (auto& [handle, key] : handles)
      if (random.uniform(10) < 7) {
        handle.cancel();
        model.erase(key);
      }
    BOOST_TEST(loop.pending() == model.size());
    loop.run();
    std::vector<int> expected;
    for (const auto& [key, label] : model) expected.push_back(label);
    BOOST_TEST(ran == expected);
  }
}

// Far timers (a second and more ahead) wait in a wheel of buckets before they enter the heap. Against a model again,
// with times from nanoseconds to beyond the wheel's reach (~18 minutes), many ties within a bucket, timers armed and
// cancelled from running callbacks (so the wheel's horizon moves while it fills), and run_until stops between them:
// the loop must run exactly the live events, in (time, scheduling order), and count them as pending until they run.
BOOST_AUTO_TEST_CASE(far_timers_keep_time_then_scheduling_order) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    EventLoop loop;
    SeededRandom random(seed);
    std::vector<std::pair<int64_t, int>> ran;      // (time, scheduling index) of each timer as it ran
    std::set<std::pair<int64_t, int>> live;        // armed, neither run nor cancelled
    std::set<int> cancelled;
    std::vector<std::pair<TimerId, std::pair<int64_t, int>>> armed;
    int index = 0;
    const auto draw_delay = [&]() -> int64_t {
      switch (random.uniform(4)) {
        case 0: return static_cast<int64_t>(random.uniform(3));                     // ties, now
        case 1: return static_cast<int64_t>(random.uniform(50)) * 100'000'000;      // up to 5 s, 0.1 s steps
        case 2: return static_cast<int64_t>(random.uniform(1500)) * 1'000'000'000;  // up to 25 min, 1 s steps
        default: return static_cast<int64_t>(random.uniform(uint64_t(1) << 41));   // up to ~37 min, any ns
      }
    };
    const auto cancel = [&](size_t which) {
      if (!loop.cancel_timer(armed[which].first)) return;
      live.erase(armed[which].second);
      cancelled.insert(armed[which].second.second);
    };
    std::function<void(int)> arm = [&](int depth) {
      const int label = index++;
      const int64_t at = loop.now().count() + draw_delay();
      const TimerId id = loop.add_timer(Nanoseconds(at), [&, label, at, depth] {
        BOOST_TEST(loop.now().count() == at);
        BOOST_TEST(!cancelled.count(label));
        ran.push_back({at, label});
        live.erase({at, label});
        if (depth < 3 && random.uniform(2) == 0) arm(depth + 1);
        if (depth < 3 && random.uniform(2) == 0) arm(depth + 1);
        if (random.uniform(3) == 0) cancel(random.uniform(armed.size()));
      });
      armed.push_back({id, {at, label}});
      live.insert({at, label});
    };
    for (int i = 0; i < 3000; ++i) arm(0);
    for (size_t i = 0; i < armed.size(); i += 3) cancel(i);
    // Stop now and then, as a run does: what is pending must match the model at every stop.
    for (int64_t until = 0; loop.pending() > 0; until += 97'000'000'000) {
      loop.run_until(Nanoseconds(until));
      BOOST_TEST(loop.pending() == live.size());
    }
    BOOST_TEST(live.empty());
    BOOST_TEST(std::is_sorted(ran.begin(), ran.end()));  // scheduling index orders ties, as the sequence does
    BOOST_TEST(ran.size() + cancelled.size() == armed.size());
  }
}

// Timers beyond the wheel's reach (a day-long wake-up, re-armed and cancelled every round, as a node's agent does) wait
// in its overflow: many rounds cancel thousands of them, which are swept out in bulk, while the rest must still come
// due in (time, scheduling order) among the near ones, days later, with the loop stopping in between.
BOOST_AUTO_TEST_CASE(day_long_timers_rearmed_every_round_keep_their_order) {
  constexpr int64_t kSecond = 1'000'000'000;
  constexpr int64_t kDay = 86'400 * kSecond;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    EventLoop loop;
    SeededRandom random(seed);
    std::vector<std::pair<int64_t, int>> ran;
    std::set<std::pair<int64_t, int>> live;
    int index = 0;
    std::function<TimerId(int64_t, int)> arm = [&](int64_t delay, int rounds_left) -> TimerId {
      const int label = index++;
      const int64_t at = loop.now().count() + delay;
      live.insert({at, label});
      return loop.add_timer(Nanoseconds(at), [&, label, at, rounds_left] {
        BOOST_TEST(loop.now().count() == at);
        ran.push_back({at, label});
        live.erase({at, label});
        if (rounds_left > 0) arm(static_cast<int64_t>(random.uniform(600)) * kSecond, rounds_left - 1);
      });
    };
    // Nodes whose rounds (every few minutes) each re-arm a wake-up a day or so ahead, cancelling the one before.
    struct Node {
      TimerId wake = 0;
      std::pair<int64_t, int> key;
    };
    std::vector<Node> nodes(200);
    std::function<void(size_t, int)> round = [&](size_t n, int left) {
      if (nodes[n].wake != 0 && loop.cancel_timer(nodes[n].wake)) live.erase(nodes[n].key);
      const int64_t delay = kDay + static_cast<int64_t>(random.uniform(3600)) * kSecond;
      nodes[n].key = {loop.now().count() + delay, index};
      nodes[n].wake = arm(delay, 0);
      if (left > 0) {
        const int label = index++;
        const int64_t at = loop.now().count() + static_cast<int64_t>(random.uniform(300) + 1) * kSecond;
        live.insert({at, label});
        loop.add_timer(Nanoseconds(at), [&, n, left, label, at] {
          ran.push_back({at, label});
          live.erase({at, label});
          round(n, left - 1);
        });
      }
    };
    for (size_t n = 0; n < nodes.size(); ++n) round(n, 40);
    for (int i = 0; i < 100; ++i) arm(static_cast<int64_t>(random.uniform(uint64_t(3) * 86'400)) * kSecond, 3);
    for (int64_t until = 0; loop.pending() > 0; until += 3 * 3600 * kSecond) {
      loop.run_until(Nanoseconds(until));
      BOOST_TEST(loop.pending() == live.size());
    }
    BOOST_TEST(live.empty());
    BOOST_TEST(std::is_sorted(ran.begin(), ran.end()));
    // Every node's last wake-up ran, a day after its last round; the ones its rounds cancelled did not.
    BOOST_TEST(ran.size() == size_t(index) - nodes.size() * 40);
  }
}

// The stall guard: work that keeps scheduling work for now (a busy loop) stops the loop once the limit of events ran
// at one instant, with the next event still queued; events spread over time never trip it, and 0 turns it off.
BOOST_AUTO_TEST_CASE(a_busy_loop_at_one_instant_is_stopped_by_the_stall_limit) {
  EventLoop loop;
  loop.set_stall_limit(1000);
  uint64_t spins = 0;
  std::function<void()> spin = [&] {
    ++spins;
    if (spins % 2 == 0) {
      loop.post(spin);
    } else {
      loop.schedule_after(0ns, spin);  // a timer due now counts as much as a post
    }
  };
  loop.schedule_after(5s, spin);
  try {
    loop.run_until(1min);
    BOOST_FAIL("the busy loop was not stopped");
  } catch (const TimeStoodStill& stall) {
    BOOST_TEST(stall.at == Nanoseconds(5s));
    BOOST_TEST(stall.events == 1000u);
    BOOST_TEST(std::string(stall.what()).find("5000000000 ns: 1000 events") != std::string::npos, stall.what());
  }
  BOOST_TEST(spins == 1000u);
  BOOST_TEST(loop.now() == Nanoseconds(5s));
  BOOST_TEST(loop.pending() == 1u);  // the next spin was not lost
  // The count starts again: another thousand run before the next stop.
  BOOST_CHECK_THROW(loop.run_until(1min), TimeStoodStill);
  BOOST_TEST(spins == 2000u);
  loop.set_stall_limit(0);
  BOOST_TEST(loop.run(5000) == 5000u);  // off
}

BOOST_AUTO_TEST_CASE(the_stall_limit_counts_events_per_instant_not_in_all) {
  EventLoop loop;
  loop.set_stall_limit(10);
  int ran = 0;
  for (int i = 0; i < 1000; ++i) loop.schedule_after(Nanoseconds(1 + i / 10), [&] { ++ran; });  // ten per instant
  BOOST_CHECK_NO_THROW(loop.run());
  BOOST_TEST(ran == 1000);
  BOOST_TEST(loop.busiest_instant() == 10u);
  loop.set_stall_limit(0);
  loop.post([] {});
  loop.post([] {});  // twelve at the last instant
  BOOST_CHECK_NO_THROW(loop.run());
  BOOST_TEST(loop.busiest_instant() == 12u);
}

// The interrupt check (Python's Ctrl-C): asked once every N events, before the next runs; when it says stop, the
// loop throws Interrupted with that event still queued, and running on gives the same events in the same order as a
// loop never asked.
BOOST_AUTO_TEST_CASE(an_interrupt_stops_the_loop_between_events_and_loses_none) {
  const auto fill = [](EventLoop& loop, std::vector<int>& order) {
    for (int i = 0; i < 100; ++i) loop.schedule_after(Nanoseconds(1 + i / 3), [&order, &loop, i] {
      order.push_back(i);
      if (i % 10 == 0) loop.post([&order, i] { order.push_back(1000 + i); });
    });
  };
  EventLoop straight;
  std::vector<int> expected;
  fill(straight, expected);
  straight.run_until(1s);

  EventLoop loop;
  std::vector<int> order;
  fill(loop, order);
  int asked = 0;
  loop.set_interrupt([&] { return ++asked == 3; }, 7);
  try {
    loop.run_until(1s);
    BOOST_FAIL("the loop was not interrupted");
  } catch (const Interrupted& interrupted) {
    BOOST_TEST(interrupted.at == loop.now());
  }
  BOOST_TEST(asked == 3);
  BOOST_TEST(loop.events_dispatched() == 21u);  // asked after 7, 14 and 21 events: the 22nd stayed queued
  BOOST_TEST(order.size() == 21u);
  loop.run_until(1s);  // asked on, it never says stop again
  BOOST_TEST(order == expected, boost::test_tools::per_element());
  BOOST_TEST(loop.events_dispatched() == straight.events_dispatched());
  BOOST_TEST(loop.now() == straight.now());

  loop.set_interrupt({}, 0);  // off
  for (int i = 0; i < 50; ++i) loop.post([] {});
  BOOST_CHECK_NO_THROW(loop.run());
}

BOOST_AUTO_TEST_SUITE_END()
