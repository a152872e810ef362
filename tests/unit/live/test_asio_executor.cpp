// The live executor's timers (reference/live/asio_executor.h): a cancelled timer lets go of its callback at once, not
// when it would have expired; a timer not cancelled runs; a handle outliving its executor cancels nothing, safely.
// Ordering is by the loop's own queue (work posted from one thread runs in posting order), never by sleeping.
#include <boost/test/unit_test.hpp>

#include <future>
#include <memory>

#include "reference/live/asio_executor.h"

using namespace outpost;
using namespace std::chrono_literals;

namespace {
// Returns once everything the loop had queued before this call has run.
void drain(Executor& executor) {
  std::promise<void> reached;
  executor.post([&reached] { reached.set_value(); });
  reached.get_future().wait();
}
}  // namespace

BOOST_AUTO_TEST_SUITE(asio_executor)

BOOST_AUTO_TEST_CASE(a_cancelled_timer_lets_go_of_its_callback_at_once) {
  live::AsioExecutor executor;
  auto held = std::make_shared<int>(0);
  const std::weak_ptr<int> watch = held;
  TimerHandle timer = executor.schedule_after(24h, [held] { ++*held; });
  held.reset();
  drain(executor);
  BOOST_TEST(!watch.expired());  // a live timer keeps its callback
  timer.cancel();
  // The cancel reaches the loop after what was queued before it; the aborted wait is queued then, and runs before
  // whatever is posted after the first drain.
  drain(executor);
  drain(executor);
  BOOST_TEST(watch.expired());
}

BOOST_AUTO_TEST_CASE(a_timer_not_cancelled_runs) {
  live::AsioExecutor executor;
  std::promise<void> ran;
  TimerHandle timer = executor.schedule_after(1ms, [&ran] { ran.set_value(); });
  ran.get_future().wait();
  timer.cancel();  // after it ran: nothing to do
  drain(executor);
}

BOOST_AUTO_TEST_CASE(a_handle_outliving_its_executor_cancels_nothing) {
  auto executor = std::make_unique<live::AsioExecutor>();
  bool ran = false;
  TimerHandle timer = executor->schedule_after(24h, [&ran] { ran = true; });
  executor.reset();  // stops the loop and drops its timers
  timer.cancel();
  timer.cancel();
  BOOST_TEST(!ran);
}

BOOST_AUTO_TEST_SUITE_END()
