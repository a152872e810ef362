#include <boost/test/unit_test.hpp>

#include <stdexcept>
#include <vector>

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
