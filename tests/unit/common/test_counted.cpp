#include <boost/test/unit_test.hpp>

#include "reference/common/counted.h"

using namespace outpost;

BOOST_AUTO_TEST_SUITE(counted_nouns)

BOOST_AUTO_TEST_CASE(one_takes_the_singular_every_other_count_the_plural) {
  BOOST_TEST(counted(1, "connected registry", "connected registries") == "1 connected registry");
  BOOST_TEST(counted(0, "step", "steps") == "0 steps");
  BOOST_TEST(counted(2, "step", "steps") == "2 steps");
  BOOST_TEST(counted(21, "step", "steps") == "21 steps");
}

BOOST_AUTO_TEST_SUITE_END()
