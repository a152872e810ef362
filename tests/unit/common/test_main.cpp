#define BOOST_TEST_MODULE outpost_common
#include <boost/test/unit_test.hpp>
