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

// Checks in flight at once each hold a place from begin() to end(): a burst of parallel guesses gets `burst` checks,
// not one per request that found the bucket non-empty before any of them was charged. Checks of one password share
// a place: many logins with the right password at once (a cold cache) are not refused for failures nobody made.
BOOST_AUTO_TEST_CASE(checks_in_flight_hold_a_place_and_one_password_holds_one) {
  testing::FakeClock clock;
  LoginLimiter limiter(clock, {3, 10s, 100});
  for (const char* guess : {"g1", "g2", "g3"}) BOOST_TEST(limiter.begin("tok", "10.0.0.1", guess).count() == 0);
  BOOST_TEST((limiter.begin("tok", "10.0.0.1", "g4") == 10s));  // a fourth guess waits, and holds nothing
  BOOST_TEST(limiter.begin("tok", "10.0.0.1", "g1").count() == 0);  // the same password as one in flight: shared
  limiter.end("tok", "10.0.0.1", "g1", false);  // both checks of g1 were the right password
  limiter.end("tok", "10.0.0.1", "g1", false);
  BOOST_TEST(limiter.begin("tok", "10.0.0.1", "g4").count() == 0);  // g1's place is free again
  limiter.end("tok", "10.0.0.1", "g2", true);
  limiter.end("tok", "10.0.0.1", "g3", true);
  limiter.end("tok", "10.0.0.1", "g4", true);
  BOOST_TEST(limiter.begin("tok", "10.0.0.1", "g5").count() > 0);  // three failures: the bucket is empty

  // Twenty logins with the right password, all at once on a cold cache: none is refused.
  for (int i = 0; i < 20; ++i) BOOST_TEST(limiter.begin("ci", "10.0.0.2", "right").count() == 0);
  for (int i = 0; i < 20; ++i) limiter.end("ci", "10.0.0.2", "right", false);
  BOOST_TEST(limiter.retry_after("ci", "10.0.0.2").count() == 0);
}

BOOST_AUTO_TEST_SUITE_END()
