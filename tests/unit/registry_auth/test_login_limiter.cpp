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

BOOST_AUTO_TEST_SUITE_END()
