#define BOOST_TEST_MODULE outpost_registry_auth
#include <boost/test/unit_test.hpp>
