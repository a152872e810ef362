#define BOOST_TEST_MODULE outpost_control
#include <boost/test/unit_test.hpp>
