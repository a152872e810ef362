#include <boost/test/unit_test.hpp>

#include "reference/common/random.h"

using namespace outpost;

BOOST_AUTO_TEST_SUITE(random_seam)

BOOST_AUTO_TEST_CASE(seeded_generator_replays_exactly) {
  SeededRandom a(42), b(42), c(43);
  const std::string first = a.hex(32);
  BOOST_TEST(first == b.hex(32));
  BOOST_TEST(first != c.hex(32));
  BOOST_TEST(first.size() == 64u);
}

BOOST_AUTO_TEST_CASE(uniform_stays_in_bounds) {
  SeededRandom random(7);
  for (int i = 0; i < 10000; ++i) BOOST_TEST(random.uniform(13) < 13u);
  BOOST_TEST(random.uniform(0) == 0u);
}

BOOST_AUTO_TEST_CASE(system_random_differs_between_draws) {
  SystemRandom random;
  BOOST_TEST(random.hex(32) != random.hex(32));
}

BOOST_AUTO_TEST_SUITE_END()
