#define BOOST_TEST_MODULE outpost_auth_crypto
#include <boost/test/unit_test.hpp>
