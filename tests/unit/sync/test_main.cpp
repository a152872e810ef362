#define BOOST_TEST_MODULE outpost_sync
#include <boost/test/unit_test.hpp>
