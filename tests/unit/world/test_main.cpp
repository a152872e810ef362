#define BOOST_TEST_MODULE outpost_world
#include <boost/test/unit_test.hpp>

#include "reference/common/log.h"

// The nodes of a world log every state change; a test reads assertions, not logs.
struct QuietNodes {
  QuietNodes() { outpost::log::set_level(outpost::log::Level::Off); }
};
BOOST_TEST_GLOBAL_FIXTURE(QuietNodes);
