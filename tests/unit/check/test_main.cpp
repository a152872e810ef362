#define BOOST_TEST_MODULE outpost_sim_check
#include <boost/test/unit_test.hpp>
