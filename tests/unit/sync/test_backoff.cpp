#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <vector>

#include "reference/sync/attempt_progress.h"
#include "reference/sync/backoff.h"

using namespace outpost;
using namespace std::chrono_literals;
using outpost::sync::Backoff;

BOOST_AUTO_TEST_SUITE(backoff)

BOOST_AUTO_TEST_CASE(ceiling_grows_by_the_factor_then_stays_at_the_cap) {
  SeededRandom random(1);
  Backoff backoff(100ms, 1s);
  std::vector<long long> ceilings;
  for (int i = 0; i < 6; ++i) {
    ceilings.push_back(std::chrono::duration_cast<std::chrono::milliseconds>(backoff.ceiling()).count());
    backoff.next(random);
  }
  BOOST_TEST(ceilings == (std::vector<long long>{100, 200, 400, 800, 1000, 1000}), boost::test_tools::per_element());
  BOOST_TEST(backoff.attempts() == 6u);
}

BOOST_AUTO_TEST_CASE(other_factors) {
  SeededRandom random(1);
  Backoff backoff(1s, 10s, 1.5);
  backoff.next(random);
  BOOST_TEST(backoff.ceiling().count() == Nanoseconds(1500ms).count());
  backoff.next(random);
  BOOST_TEST(backoff.ceiling().count() == Nanoseconds(2250ms).count());
}

BOOST_AUTO_TEST_CASE(delays_are_full_jitter_within_the_ceiling) {
  SeededRandom random(7);
  Backoff backoff(1ms, 64ms);
  Nanoseconds largest{0};
  for (int i = 0; i < 2000; ++i) {
    const Nanoseconds ceiling = backoff.ceiling();
    const Nanoseconds delay = backoff.next(random);
    BOOST_TEST(delay.count() >= 0);
    BOOST_TEST(delay.count() <= ceiling.count());
    if (i >= 10) largest = std::max(largest, delay);
  }
  // Full jitter spreads over the whole range, not just its bottom (a fixed seed makes this exact, not statistical).
  BOOST_TEST(largest.count() > Nanoseconds(32ms).count());
}

BOOST_AUTO_TEST_CASE(a_seed_replays_the_same_delays) {
  SeededRandom a(42), b(42), c(43);
  Backoff first(10ms, 10s), second(10ms, 10s), third(10ms, 10s);
  std::vector<long long> one, two, three;
  for (int i = 0; i < 12; ++i) {
    one.push_back(first.next(a).count());
    two.push_back(second.next(b).count());
    three.push_back(third.next(c).count());
  }
  BOOST_TEST(one == two, boost::test_tools::per_element());
  BOOST_TEST((one != three));
}

BOOST_AUTO_TEST_CASE(reset_starts_over) {
  SeededRandom random(3);
  Backoff backoff(100ms, 5s);
  for (int i = 0; i < 10; ++i) backoff.next(random);
  BOOST_TEST(backoff.ceiling().count() == Nanoseconds(5s).count());
  backoff.reset();
  BOOST_TEST(backoff.attempts() == 0u);
  BOOST_TEST(backoff.ceiling().count() == Nanoseconds(100ms).count());
  BOOST_TEST(backoff.next(random).count() <= Nanoseconds(100ms).count());
  BOOST_TEST(backoff.attempts() == 1u);
}

BOOST_AUTO_TEST_CASE(huge_caps_do_not_overflow) {
  SeededRandom random(5);
  Backoff backoff(1s, Nanoseconds::max(), 10.0);
  for (int i = 0; i < 40; ++i) backoff.next(random);
  BOOST_TEST(backoff.ceiling().count() == Nanoseconds::max().count());
  BOOST_TEST(backoff.next(random).count() >= 0);
}

BOOST_AUTO_TEST_CASE(refuses_nonsense) {
  BOOST_CHECK_THROW(Backoff(0s, 1s), std::invalid_argument);
  BOOST_CHECK_THROW(Backoff(2s, 1s), std::invalid_argument);
  BOOST_CHECK_THROW(Backoff(1s, 2s, 0.5), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()

// After a failed attempt: did it make progress, so that the retry starts again from the shortest delay?
BOOST_AUTO_TEST_SUITE(attempt_progress)

using outpost::sync::AttemptProgress;
constexpr bool kLost = true;     // no answer came
constexpr bool kAnswer = false;  // an answer turned the request down (5xx, 429, 401, 403), or another error

BOOST_AUTO_TEST_CASE(work_done_for_good_is_progress_however_the_attempt_ended) {
  AttemptProgress attempts;
  for (uint64_t i = 0; i < 10; ++i) {  // and never runs out
    attempts.begin({10 + i, 100});
    BOOST_TEST(attempts.failed({11 + i, 100}, i % 2 == 0 ? kLost : kAnswer));
  }
}

BOOST_AUTO_TEST_CASE(an_attempt_nothing_answered_is_not_progress) {
  // The parent is down: every attempt loses its first exchange.
  AttemptProgress attempts;
  for (int i = 0; i < 3; ++i) {
    attempts.begin({10, 100});
    BOOST_TEST(!attempts.failed({10, 100}, kLost));
  }
}

BOOST_AUTO_TEST_CASE(an_attempt_the_parent_turned_down_is_not_progress) {
  // A 503 after three answers: the parent is failing or overloaded, and the backoff relieves it.
  AttemptProgress attempts;
  attempts.begin({10, 100});
  BOOST_TEST(!attempts.failed({10, 103}, kAnswer));
}

BOOST_AUTO_TEST_CASE(losing_an_exchange_after_answers_is_progress_a_few_times_in_a_row) {
  // A lossy link, or a parent that fails one request every time, crashes on it, or sheds load by resetting
  // connections: the same from here. The bound is what keeps the last three from being retried quickly forever.
  AttemptProgress attempts;
  uint64_t answers = 100;
  for (unsigned i = 0; i < AttemptProgress::kQuickRetries; ++i) {
    attempts.begin({10, answers});
    answers += 3;
    BOOST_TEST(attempts.failed({10, answers}, kLost), "quick retry " << i);
  }
  attempts.begin({10, answers});
  answers += 3;
  BOOST_TEST(!attempts.failed({10, answers}, kLost));
  // Work done gives the quick retries back.
  attempts.begin({10, answers});
  answers += 3;
  BOOST_TEST(attempts.failed({11, answers}, kLost));
  attempts.begin({11, answers});
  answers += 3;
  BOOST_TEST(attempts.failed({11, answers}, kLost));
}

BOOST_AUTO_TEST_CASE(an_attempt_that_succeeds_gives_the_quick_retries_back) {
  AttemptProgress attempts;
  for (unsigned i = 0; i < AttemptProgress::kQuickRetries; ++i) {
    attempts.begin({10, 100 + i});
    BOOST_TEST(attempts.failed({10, 101 + i}, kLost));
  }
  attempts.succeeded();
  attempts.begin({10, 200});
  BOOST_TEST(attempts.failed({10, 201}, kLost));
}

BOOST_AUTO_TEST_SUITE_END()
