// for_each_concurrently and AllOf (reference/sync/concurrently.h): the bound on work in flight, the order items start
// in, what a failure stops and when it is rethrown, and items that end without ever suspending. The coroutines wait
// on gates the test opens by hand, in the order it chooses, as an exchange's `done` would resume them.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <coroutine>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

#include "reference/sync/concurrently.h"
#include "reference/sync/parent_link.h"

namespace outpost::test {

namespace {
// Coroutines suspended on it wait until the test resumes them, oldest first.
struct Gates {
  std::vector<std::coroutine_handle<>> waiting;

  struct Wait {
    Gates& gates;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<> awaiting) { gates.waiting.push_back(awaiting); }
    void await_resume() const noexcept {}
  };

  bool open_oldest() {
    if (waiting.empty()) return false;
    const auto next = waiting.front();
    waiting.erase(waiting.begin());
    next.resume();
    return true;
  }
};

struct Run {
  Gates gates;
  int running = 0;
  int most_running = 0;
  std::vector<int> started, finished;
  std::map<int, sync::SyncFailure> failures;  // these items throw theirs once their gate opens
  bool suspend = true;  // false: every item ends at once
};

Task<void> work_on(Run& run, int item) {
  run.started.push_back(item);
  ++run.running;
  run.most_running = std::max(run.most_running, run.running);
  if (run.suspend) {
    Gates::Wait wait{run.gates};
    co_await wait;
  }
  --run.running;
  if (const auto failure = run.failures.find(item); failure != run.failures.end()) throw failure->second;
  run.finished.push_back(item);
}

struct Outcome {
  bool ended = false;
  std::string failure;
};

void start(Run& run, std::vector<int> items, size_t limit, Outcome& outcome) {
  std::function<Task<void>(const int&)> work = [&run](const int& item) { return work_on(run, item); };
  spawn(sync::for_each_concurrently(std::move(items), limit, std::move(work)), [&outcome](std::exception_ptr error) {
    outcome.ended = true;
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      outcome.failure = e.what();
    }
  });
}
}  // namespace

BOOST_AUTO_TEST_SUITE(concurrently)

BOOST_AUTO_TEST_CASE(at_most_limit_items_run_at_once_and_every_item_runs_in_order) {
  Run run;
  Outcome outcome;
  start(run, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 3, outcome);
  BOOST_TEST(run.started == (std::vector<int>{0, 1, 2}));  // the first three at once, the rest waiting
  BOOST_TEST(!outcome.ended);
  while (run.gates.open_oldest()) BOOST_TEST(run.running <= 3);
  BOOST_TEST(run.most_running == 3);
  BOOST_TEST(run.started == (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
  BOOST_TEST(run.finished.size() == 10u);
  BOOST_TEST(outcome.ended);
  BOOST_TEST(outcome.failure.empty());
}

BOOST_AUTO_TEST_CASE(a_failure_starts_nothing_more_and_is_rethrown_once_the_running_items_have_ended) {
  Run run;
  run.failures.emplace(1, sync::SyncFailure(sync::SyncFailure::Kind::Unreachable, "item 1 failed", 503));
  Outcome outcome;
  start(run, {0, 1, 2, 3, 4, 5}, 3, outcome);
  BOOST_REQUIRE(run.gates.open_oldest());  // item 0 ends; item 3 starts in its place
  BOOST_TEST(run.started == (std::vector<int>{0, 1, 2, 3}));
  BOOST_REQUIRE(run.gates.open_oldest());  // item 1 fails: nothing more starts, items 2 and 3 still run
  BOOST_TEST(run.started == (std::vector<int>{0, 1, 2, 3}));
  BOOST_TEST(!outcome.ended);
  BOOST_REQUIRE(run.gates.open_oldest());
  BOOST_TEST(!outcome.ended);
  BOOST_REQUIRE(run.gates.open_oldest());
  BOOST_TEST(!run.gates.open_oldest());
  BOOST_TEST(outcome.ended);
  BOOST_TEST(outcome.failure == "item 1 failed");
  BOOST_TEST(run.finished == (std::vector<int>{0, 2, 3}));
}

// The sync agent retries quickly after a lost exchange and backs off after an answer that turned it down
// (attempt_progress.h): a blob whose exchange was lost must not hide a concurrent 503, whichever ended first.
BOOST_AUTO_TEST_CASE(an_answer_that_turned_an_item_down_is_rethrown_before_a_lost_exchange) {
  Run run;
  run.failures.emplace(0, sync::SyncFailure::lost_exchange("item 0 lost"));
  run.failures.emplace(1, sync::SyncFailure(sync::SyncFailure::Kind::Unreachable, "item 1 answered 503", 503));
  run.failures.emplace(2, sync::SyncFailure::lost_exchange("item 2 lost"));
  Outcome outcome;
  start(run, {0, 1, 2}, 3, outcome);
  while (run.gates.open_oldest()) {
  }
  BOOST_TEST(outcome.ended);
  BOOST_TEST(outcome.failure == "item 1 answered 503");
}

// A change here under an item (Raced) is retried soon, as if nothing failed above: it must not hide a concurrent
// lost exchange (a parent out of reach) nor a 503, though it ended first.
BOOST_AUTO_TEST_CASE(a_race_here_is_rethrown_only_when_nothing_else_failed) {
  const auto raced = [] { return sync::SyncFailure(sync::SyncFailure::Kind::Raced, "item 0 raced"); };
  for (const bool answered : {false, true}) {
    Run run;
    run.failures.emplace(0, raced());
    run.failures.emplace(1, answered ? sync::SyncFailure(sync::SyncFailure::Kind::Unreachable, "item 1 answered 503", 503)
                                     : sync::SyncFailure::lost_exchange("item 1 lost"));
    Outcome outcome;
    start(run, {0, 1}, 2, outcome);
    while (run.gates.open_oldest()) {  // item 0 ends first
    }
    BOOST_TEST(outcome.failure == (answered ? "item 1 answered 503" : "item 1 lost"));
  }
  Run alone;
  alone.failures.emplace(0, raced());
  Outcome outcome;
  start(alone, {0, 1}, 2, outcome);
  while (alone.gates.open_oldest()) {
  }
  BOOST_TEST(outcome.failure == "item 0 raced");
}

BOOST_AUTO_TEST_CASE(among_lost_exchanges_the_first_to_end_is_rethrown) {
  Run run;
  run.failures.emplace(0, sync::SyncFailure::lost_exchange("item 0 lost"));
  run.failures.emplace(1, sync::SyncFailure::lost_exchange("item 1 lost"));
  Outcome outcome;
  start(run, {0, 1}, 2, outcome);
  BOOST_REQUIRE(run.gates.waiting.size() == 2u);
  std::swap(run.gates.waiting[0], run.gates.waiting[1]);  // item 1 ends first
  while (run.gates.open_oldest()) {
  }
  BOOST_TEST(outcome.failure == "item 1 lost");
}

BOOST_AUTO_TEST_CASE(items_that_never_suspend_all_run_and_the_call_ends_at_once) {
  Run run;
  run.suspend = false;
  Outcome outcome;
  start(run, {0, 1, 2, 3, 4}, 2, outcome);
  BOOST_TEST(outcome.ended);
  BOOST_TEST(outcome.failure.empty());
  BOOST_TEST(run.finished == (std::vector<int>{0, 1, 2, 3, 4}));
  BOOST_TEST(run.most_running == 1);
}

BOOST_AUTO_TEST_CASE(no_items_end_at_once) {
  Run run;
  Outcome outcome;
  start(run, {}, 4, outcome);
  BOOST_TEST(outcome.ended);
  BOOST_TEST(run.started.empty());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::test
