#include <boost/test/unit_test.hpp>

#include <string>

#include "reference/common/host_port.h"

using namespace outpost;

BOOST_AUTO_TEST_SUITE(host_port)

BOOST_AUTO_TEST_CASE(takes_a_host_with_or_without_a_port) {
  BOOST_TEST(is_host_port("registry.example.com"));
  BOOST_TEST(is_host_port("127.0.0.1:5000"));
  BOOST_TEST(is_host_port("edge_1-a:1"));
  BOOST_TEST(is_host_port("edge:65535"));
  BOOST_TEST(is_host_port("[::1]"));
  BOOST_TEST(is_host_port("[fe80::1]:443"));
  BOOST_TEST(is_host_port(std::string(255, 'a') + ":65535"));  // the longest: kMaxHostPortLength
}

BOOST_AUTO_TEST_CASE(refuses_ports_nobody_can_reach_and_characters_that_change_meaning) {
  BOOST_TEST(!is_host_port(""));
  BOOST_TEST(!is_host_port("edge:"));        // a colon without a port
  BOOST_TEST(!is_host_port("edge:0"));       // port 0 is no port
  BOOST_TEST(!is_host_port("edge:65536"));   // beyond 16 bits
  BOOST_TEST(!is_host_port("edge:99999"));
  BOOST_TEST(!is_host_port("edge:080"));     // a leading zero: two spellings of one port
  BOOST_TEST(!is_host_port("edge:5000:1"));  // a second colon outside brackets
  BOOST_TEST(!is_host_port(":5000"));        // no host
  BOOST_TEST(!is_host_port("edge;SyncTokenName=x"));  // ';' would add a key to a connection string
  BOOST_TEST(!is_host_port("edge/path"));
  BOOST_TEST(!is_host_port("ed ge"));
  BOOST_TEST(!is_host_port("[::1"));          // unclosed
  BOOST_TEST(!is_host_port("[]"));
  BOOST_TEST(!is_host_port("[host]"));        // brackets hold an IPv6 address
  BOOST_TEST(!is_host_port("[::1]5000"));     // a port after ']' needs its ':'
  BOOST_TEST(!is_host_port(std::string(256, 'a') + ":65535"));  // one past the longest
}

BOOST_AUTO_TEST_SUITE_END()
