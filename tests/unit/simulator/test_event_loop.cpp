#define BOOST_TEST_MODULE outpost_simulator
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
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

BOOST_AUTO_TEST_SUITE_END()
