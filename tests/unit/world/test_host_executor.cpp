// A host's executor on the event loop: cancelled timers go at once, pauses hold what comes due.
#include <boost/test/unit_test.hpp>
#include <chrono>
#include <memory>
#include <vector>

#include "simulator/engine/event_loop.h"
#include "simulator/world/host_executor.h"

using namespace outpost;
using namespace outpost::sim;
using namespace outpost::sim::world;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(host_executor)

BOOST_AUTO_TEST_CASE(a_cancelled_timer_leaves_the_loop_at_once) {
  // A node re-arms long timers and cancels them (a ReadOnly node's 24-hour push wake-up, every sync round): left in
  // the loop until due, they piled up by the million in a wide fleet's day.
  EventLoop loop;
  HostExecutor executor(loop);
  auto captured = std::make_shared<int>(0);
  bool ran = false;
  TimerHandle timer = executor.schedule_after(24h, [captured, &ran] { ran = true; });
  BOOST_TEST(loop.pending() == 1u);
  BOOST_TEST(captured.use_count() == 2);
  timer.cancel();
  BOOST_TEST(loop.pending() == 0u);
  BOOST_TEST(captured.use_count() == 1);  // what the callback held is gone now, not in 24 hours
  loop.run();
  BOOST_TEST(!ran);
}

BOOST_AUTO_TEST_CASE(a_timer_due_during_a_pause_still_honours_a_cancel) {
  EventLoop loop;
  HostExecutor executor(loop);
  int ran = 0;
  TimerHandle cancelled = executor.schedule_after(1s, [&ran] { ran += 1; });
  executor.schedule_after(1s, [&ran] { ran += 10; });
  executor.pause();
  loop.run_until(loop.now() + 2s);  // both came due and are held
  BOOST_TEST(ran == 0);
  cancelled.cancel();
  executor.resume();
  loop.run();
  BOOST_TEST(ran == 10);
}

BOOST_AUTO_TEST_CASE(run_or_hold_runs_at_once_holds_while_paused_and_drops_what_a_crash_ended) {
  EventLoop loop;
  HostExecutor executor(loop);
  std::vector<int> ran;
  executor.run_or_hold([&ran] { ran.push_back(1); });
  BOOST_TEST(ran == std::vector<int>{1});  // running: now, not posted
  BOOST_TEST(loop.pending() == 0u);
  executor.pause();
  executor.run_or_hold([&ran] { ran.push_back(2); });
  executor.run_or_hold([&ran] { ran.push_back(3); });
  loop.run();
  BOOST_TEST(ran == std::vector<int>{1});
  executor.resume();
  loop.run();
  BOOST_TEST(ran == (std::vector<int>{1, 2, 3}));  // in the order they came
  executor.pause();
  executor.run_or_hold([&ran] { ran.push_back(4); });
  executor.end_incarnation();  // the process died holding it
  executor.resume();
  loop.run();
  BOOST_TEST(ran == (std::vector<int>{1, 2, 3}));
}

BOOST_AUTO_TEST_CASE(work_of_an_ended_incarnation_never_runs_posted_timed_or_held) {
  EventLoop loop;
  HostExecutor executor(loop);
  std::vector<int> ran;
  executor.post([&ran] { ran.push_back(1); });
  executor.schedule_after(1s, [&ran] { ran.push_back(2); });
  executor.pause();
  executor.schedule_after(1s, [&ran] { ran.push_back(3); });  // comes due while paused: held
  loop.run_until(loop.now() + 2s);
  BOOST_TEST(ran.empty());  // the post too came during the pause
  executor.end_incarnation();  // the process died: its held and pending work goes with it
  executor.schedule_after(3s, [&ran] { ran.push_back(4); });  // the next incarnation's
  executor.post([&ran] { ran.push_back(5); });
  executor.resume();
  loop.run();
  BOOST_TEST(ran == (std::vector<int>{5, 4}));
}

BOOST_AUTO_TEST_CASE(a_handle_cancels_only_its_own_timer_however_its_slot_is_reused) {
  // Timers are named by slot and generation: a handle kept after its timer ran, was cancelled or died with its
  // incarnation must not cancel the later timer that took the same slot.
  EventLoop loop;
  HostExecutor executor(loop);
  std::vector<int> ran;
  TimerHandle first = executor.schedule_after(1s, [&ran] { ran.push_back(1); });
  loop.run();
  TimerHandle second = executor.schedule_after(1s, [&ran] { ran.push_back(2); });
  first.cancel();  // ran already
  first.cancel();
  second.cancel();
  second.cancel();  // twice does nothing more
  TimerHandle third = executor.schedule_after(1s, [&ran] { ran.push_back(3); });
  second.cancel();
  executor.schedule_after(2s, [&ran] { ran.push_back(4); });
  executor.end_incarnation();
  TimerHandle fifth = executor.schedule_after(1s, [&ran] { ran.push_back(5); });
  third.cancel();  // died with its incarnation
  loop.run();
  BOOST_TEST(ran == (std::vector<int>{1, 5}));
}

BOOST_AUTO_TEST_CASE(a_handle_outliving_its_executor_cancels_nothing) {
  EventLoop loop;
  TimerHandle timer;
  {
    HostExecutor executor(loop);
    timer = executor.schedule_after(1s, [] {});
  }
  timer.cancel();  // must not reach the destroyed executor
  BOOST_TEST(loop.pending() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
