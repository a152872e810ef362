#define BOOST_TEST_MODULE outpost_cli
#include <boost/test/unit_test.hpp>
