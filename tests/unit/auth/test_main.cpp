#define BOOST_TEST_MODULE outpost_auth
#include <boost/test/unit_test.hpp>
