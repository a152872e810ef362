#define BOOST_TEST_MODULE outpost_simulator
#include <boost/test/unit_test.hpp>

#include <string>

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

BOOST_AUTO_TEST_SUITE_END()
