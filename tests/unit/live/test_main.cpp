#define BOOST_TEST_MODULE outpost_live
#include <boost/test/unit_test.hpp>
