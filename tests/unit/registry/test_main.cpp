#define BOOST_TEST_MODULE outpost_registry
#include <boost/test/unit_test.hpp>
