#define BOOST_TEST_MODULE outpost_sim_report_html
#include <boost/test/unit_test.hpp>
