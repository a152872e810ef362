#define BOOST_TEST_MODULE outpost_oci
#include <boost/test/unit_test.hpp>
