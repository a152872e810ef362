// Ports for a live cluster's nodes (reference/cli/listen_port.h): outside the ephemeral range, free when chosen, and
// every candidate tried once from wherever the search starts.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include <boost/test/unit_test.hpp>

#include "reference/cli/listen_port.h"

using namespace outpost::cli;

namespace outpost::cli {
std::ostream& operator<<(std::ostream& out, const PortRange& range) {
  return out << range.first << "-" << range.last;
}
}  // namespace outpost::cli

namespace {

// A socket listening on 127.0.0.1 at a port the kernel chose (an ephemeral one), closed at the end of the scope.
struct Listener {
  Listener() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
    BOOST_REQUIRE(::listen(fd, 1) == 0);
    socklen_t length = sizeof address;
    BOOST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0);
    port = ntohs(address.sin_port);
  }
  ~Listener() { ::close(fd); }
  int fd = -1;
  uint16_t port = 0;
};

uint16_t port_of(const std::string& address) {
  return static_cast<uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(listen_port)

BOOST_AUTO_TEST_CASE(the_kernels_file_is_read_and_anything_else_refused) {
  BOOST_TEST((parse_port_range("32768\t60999\n") == PortRange{32768, 60999}));
  BOOST_TEST((parse_port_range("1024 65535") == PortRange{1024, 65535}));
  BOOST_TEST(!parse_port_range(""));
  BOOST_TEST(!parse_port_range("32768"));
  BOOST_TEST(!parse_port_range("60999\t32768\n"));  // out of order
  BOOST_TEST(!parse_port_range("0\t60999\n"));
  BOOST_TEST(!parse_port_range("32768\t65536\n"));
  BOOST_TEST(!parse_port_range("32768\t60999\t1\n"));
  BOOST_TEST(!parse_port_range("32768-60999"));
}

BOOST_AUTO_TEST_CASE(the_candidates_are_outside_the_ephemeral_range_and_above_the_well_known_ports) {
  using Ranges = std::vector<PortRange>;
  BOOST_TEST(ports_outside({32768, 60999}) == (Ranges{{10000, 32767}, {61000, 65535}}), boost::test_tools::per_element());
  BOOST_TEST(ports_outside({32768, 65535}) == (Ranges{{10000, 32767}}), boost::test_tools::per_element());
  BOOST_TEST(ports_outside({1024, 40000}) == (Ranges{{40001, 65535}}), boost::test_tools::per_element());
  BOOST_TEST(ports_outside({1024, 5000}) == (Ranges{{10000, 65535}}), boost::test_tools::per_element());
  BOOST_TEST(ports_outside({10001, 65000}) == (Ranges{{10000, 10000}, {65001, 65535}}),
             boost::test_tools::per_element());
  BOOST_TEST(ports_outside({1024, 65535}).empty());
}

BOOST_AUTO_TEST_CASE(every_port_is_tried_once_from_the_start_wrapping_round) {
  const std::vector<PortRange> ranges{{100, 102}, {200, 201}};
  std::vector<uint16_t> tried;
  const auto none = first_free_port(ranges, 3, [&](uint16_t port) {
    tried.push_back(port);
    return false;
  });
  BOOST_TEST(!none);
  BOOST_TEST(tried == (std::vector<uint16_t>{200, 201, 100, 101, 102}), boost::test_tools::per_element());

  BOOST_TEST((first_free_port(ranges, 1, [](uint16_t port) { return port >= 200; }) == uint16_t{200}));
  BOOST_TEST((first_free_port(ranges, 4 + 5 * 1000, [](uint16_t port) { return port != 201; }) == uint16_t{100}));
  BOOST_TEST(!first_free_port({}, 0, [](uint16_t) { return true; }));
}

BOOST_AUTO_TEST_CASE(a_port_with_a_listener_is_not_free) {
  const Listener listener;
  BOOST_TEST(!loopback_port_free(listener.port));
}

BOOST_AUTO_TEST_CASE(the_chosen_address_is_free_and_outside_this_machines_ephemeral_range) {
  const PortRange ephemeral = ephemeral_port_range();
  std::set<uint16_t> chosen;
  for (int i = 0; i < 20; ++i) {
    const std::string address = stable_loopback_address();
    BOOST_TEST_REQUIRE(address.rfind("127.0.0.1:", 0) == 0u);
    const uint16_t port = port_of(address);
    BOOST_TEST(port >= kLowestStablePort);
    BOOST_TEST((port < ephemeral.first || port > ephemeral.last), port << " is in " << ephemeral);
    BOOST_TEST(loopback_port_free(port));
    chosen.insert(port);
  }
  BOOST_TEST(chosen.size() > 1u);  // searched from a random place, not always from the first candidate
}

BOOST_AUTO_TEST_SUITE_END()
