// Failed Basic logins are rate-limited per (name, client address) (SPEC 4.5).
#include <boost/test/unit_test.hpp>

#include "reference/registry/auth/login_limiter.h"
#include "tests/unit/auth_crypto/fake_clock.h"

using namespace outpost;
using namespace outpost::registry;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(login_limiter)

BOOST_AUTO_TEST_CASE(burst_then_refusal_then_refill) {
  testing::FakeClock clock;
  LoginLimiter limiter(clock, {3, 10s, 100});
  for (int i = 0; i < 3; ++i) {
    BOOST_TEST(limiter.retry_after("tok", "10.0.0.1").count() == 0);
    limiter.record_failure("tok", "10.0.0.1");
  }
  BOOST_TEST((limiter.retry_after("tok", "10.0.0.1") == 10s));
  clock.advance(4s);
  BOOST_TEST((limiter.retry_after("tok", "10.0.0.1") == 6s));
  clock.advance(6s);
  BOOST_TEST(limiter.retry_after("tok", "10.0.0.1").count() == 0);
  limiter.record_failure("tok", "10.0.0.1");
  BOOST_TEST(limiter.retry_after("tok", "10.0.0.1").count() > 0);  // one regained attempt, spent
}

BOOST_AUTO_TEST_CASE(pairs_are_independent) {
  testing::FakeClock clock;
  LoginLimiter limiter(clock, {1, 1min, 100});
  limiter.record_failure("tok", "10.0.0.1");
  BOOST_TEST(limiter.retry_after("tok", "10.0.0.1").count() > 0);
  BOOST_TEST(limiter.retry_after("tok", "10.0.0.2").count() == 0);    // another address
  BOOST_TEST(limiter.retry_after("other", "10.0.0.1").count() == 0);  // another name
}

BOOST_AUTO_TEST_CASE(memory_is_bounded) {
  testing::FakeClock clock;
  LoginLimiter limiter(clock, {1, 1min, 2});
  limiter.record_failure("a", "x");
  limiter.record_failure("b", "x");
  limiter.record_failure("c", "x");  // evicts "a", the least recently used
  BOOST_TEST(limiter.retry_after("a", "x").count() == 0);
  BOOST_TEST(limiter.retry_after("c", "x").count() > 0);
}

// Logins in flight at once each hold an attempt from the moment their password check begins: a burst of parallel
// guesses gets `burst` checks, not one per request that found the bucket non-empty before any of them was charged.
BOOST_AUTO_TEST_CASE(attempts_in_flight_are_reserved_and_a_success_gives_its_back) {
  testing::FakeClock clock;
  LoginLimiter limiter(clock, {3, 10s, 100});
  for (int i = 0; i < 3; ++i) BOOST_TEST(limiter.reserve("tok", "10.0.0.1").count() == 0);  // three in flight
  BOOST_TEST((limiter.reserve("tok", "10.0.0.1") == 10s));  // the fourth waits, and spends nothing
  BOOST_TEST((limiter.reserve("tok", "10.0.0.1") == 10s));
  limiter.refund("tok", "10.0.0.1");  // one of the three was the right password
  BOOST_TEST(limiter.reserve("tok", "10.0.0.1").count() == 0);
  BOOST_TEST(limiter.reserve("tok", "10.0.0.1").count() > 0);
  // Refunds never fill past full: a bucket with nothing spent has no entry, and a refund leaves it so.
  limiter.refund("other", "10.0.0.1");
  limiter.refund("other", "10.0.0.1");
  for (int i = 0; i < 3; ++i) BOOST_TEST(limiter.reserve("other", "10.0.0.1").count() == 0);
  BOOST_TEST(limiter.reserve("other", "10.0.0.1").count() > 0);
}

BOOST_AUTO_TEST_SUITE_END()
