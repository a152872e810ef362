#define BOOST_TEST_MODULE outpost_storage
#include <boost/test/unit_test.hpp>
