// The fault proxy (reference/live/proxy) against an in-process echo upstream on 127.0.0.1: bytes pass unchanged, each
// toxic does what toxiproxy's does, link state and counters, toxicity and its seed, and the control API.
//
// Clients are plain POSIX sockets with a 10 s receive timeout, so a proxy that wrongly holds bytes fails a test
// instead of hanging it. Nothing here sleeps to synchronise or asserts on durations: a test that needs the proxy to
// have reached a point waits for the link's counters to say so (FaultProxy::wait_for).
#define BOOST_TEST_MODULE outpost_fault_proxy
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/test/unit_test.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <map>
#include <optional>
#include <cstring>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "reference/live/proxy/api_handler.h"
#include "reference/live/proxy/fault_proxy.h"
#include "reference/live/proxy/link_pacer.h"
#include "reference/live/proxy/pacer.h"
#include "reference/live/proxy/toxic.h"
#include "reference/live/proxy/toxic_chain.h"
#include "reference/live/proxy/toxicity.h"

namespace {

using namespace outpost::live::proxy;
using nlohmann::json;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto kWait = std::chrono::milliseconds(10'000);  // any single wait; only reached when something is broken

std::string pattern(size_t size, unsigned salt = 0) {
  std::string bytes(size, '\0');
  for (size_t i = 0; i < size; ++i) bytes[i] = static_cast<char>((i * 131 + (i >> 9) + salt) & 0xff);
  return bytes;
}

// An upstream that echoes every byte back and closes its side when the client closes its own.
class EchoServer {
 public:
  EchoServer() : acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    asio::co_spawn(io_, accept(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~EchoServer() {
    io_.stop();
    thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()); }

 private:
  static constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);

  asio::awaitable<void> accept() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(use_tuple);
      if (ec) co_return;
      asio::co_spawn(io_, echo(std::move(socket)), asio::detached);
    }
  }
  static asio::awaitable<void> echo(tcp::socket socket) {
    std::vector<char> buffer(16 * 1024);
    for (;;) {
      auto [ec, n] = co_await socket.async_read_some(asio::buffer(buffer), use_tuple);
      if (ec) break;
      auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(buffer.data(), n), use_tuple);
      if (write_ec) break;
    }
    boost::system::error_code ec;
    socket.shutdown(tcp::socket::shutdown_send, ec);
    socket.close(ec);
  }

  asio::io_context io_;
  tcp::acceptor acceptor_;
  std::thread thread_;
};

// A blocking client on a POSIX socket: every read gives up after kWait.
class Client {
 public:
  struct Outcome {
    std::string bytes;
    bool eof = false;  // the proxy closed its side (FIN)
    int error = 0;     // errno of the read that ended it: ECONNRESET for a reset, EAGAIN when kWait passed
  };

  explicit Client(const std::string& address) {
    const int port = std::stoi(address.substr(address.rfind(':') + 1));
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
    timeval timeout{static_cast<time_t>(kWait.count() / 1000), 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      const int error = errno;
      ::close(fd_);
      throw std::system_error(error, std::generic_category(), "connect to " + address);
    }
  }
  ~Client() {
    if (fd_ >= 0) ::close(fd_);
  }
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // 0, or the errno of the failed send (a reset connection).
  int send_all(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n < 0) return errno;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return 0;
  }

  std::string read_exactly(size_t size) {
    std::string out(size, '\0');
    size_t got = 0;
    while (got < size) {
      const ssize_t n = ::recv(fd_, out.data() + got, size - got, 0);
      if (n == 0)
        throw std::runtime_error("end of stream after " + std::to_string(got) + " of " + std::to_string(size));
      if (n < 0) throw std::system_error(errno, std::generic_category(), "recv after " + std::to_string(got));
      got += static_cast<size_t>(n);
    }
    return out;
  }

  Outcome read_to_end() {
    Outcome outcome;
    char buffer[64 * 1024];
    for (;;) {
      const ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
      if (n == 0) {
        outcome.eof = true;
        return outcome;
      }
      if (n < 0) {
        outcome.error = errno;
        return outcome;
      }
      outcome.bytes.append(buffer, static_cast<size_t>(n));
    }
  }

  bool readable_now() const {
    pollfd entry{fd_, POLLIN, 0};
    return ::poll(&entry, 1, 0) > 0;
  }

  void shutdown_write() { ::shutdown(fd_, SHUT_WR); }

 private:
  int fd_ = -1;
};

// Sends `bytes` and reads as many back, with the send on its own thread so neither side's buffers can deadlock.
std::string round_trip(Client& client, const std::string& bytes) {
  int send_error = 0;
  std::thread sender([&] { send_error = client.send_all(bytes); });
  std::string back;
  try {
    back = client.read_exactly(bytes.size());
  } catch (...) {
    sender.join();
    throw;
  }
  sender.join();
  BOOST_REQUIRE_EQUAL(send_error, 0);
  return back;
}

Toxic toxic(const json& body) { return toxic_from_json(body); }

struct ProxyFixture {
  explicit ProxyFixture(uint64_t seed = 1) : proxy(FaultProxy::Options{.seed = seed}) {
    listen = proxy.create_link({.name = "echo", .listen = "127.0.0.1:0", .upstream = echo.address()}).listen;
  }
  bool wait(const std::function<bool(const LinkCounters&)>& condition) {
    return proxy.wait_for("echo", condition, kWait);
  }
  EchoServer echo;
  FaultProxy proxy;
  std::string listen;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(forwarding)

BOOST_AUTO_TEST_CASE(bytes_pass_unchanged_both_ways_and_ends_are_passed_on) {
  ProxyFixture f;
  BOOST_TEST(f.listen.rfind("127.0.0.1:", 0) == 0);
  BOOST_TEST(f.listen != "127.0.0.1:0");
  Client client(f.listen);
  const std::string data = pattern(3 * 1024 * 1024 + 17);
  BOOST_TEST((round_trip(client, data) == data));
  // Closing our side reaches the echo server, whose close comes back as our end of stream.
  client.shutdown_write();
  const auto outcome = client.read_to_end();
  BOOST_TEST(outcome.eof);
  BOOST_TEST(outcome.bytes.empty());
}

BOOST_AUTO_TEST_CASE(counters_count_connections_and_bytes) {
  ProxyFixture f;
  const std::string data = pattern(100'000);
  {
    Client client(f.listen);
    BOOST_TEST((round_trip(client, data) == data));
    BOOST_TEST(f.wait([&](const LinkCounters& c) { return c.bytes_downstream == data.size(); }));
    const LinkCounters c = f.proxy.link("echo").counters;
    BOOST_TEST(c.connections_total == 1u);
    BOOST_TEST(c.connections_active == 1u);
    BOOST_TEST(c.connections_refused == 0u);
    BOOST_TEST(c.bytes_upstream == data.size());
    BOOST_TEST(c.bytes_upstream_received == data.size());
    BOOST_TEST(c.bytes_downstream == data.size());
    BOOST_TEST(c.bytes_downstream_received == data.size());
  }
  BOOST_TEST(f.wait([](const LinkCounters& c) { return c.connections_active == 0; }));
  Client second(f.listen);
  BOOST_TEST(round_trip(second, "x") == "x");
  BOOST_TEST(f.proxy.link("echo").counters.connections_total == 2u);
}

BOOST_AUTO_TEST_CASE(an_unreachable_upstream_closes_the_client_and_is_counted) {
  FaultProxy proxy(FaultProxy::Options{});
  std::string dead;
  {
    EchoServer gone;
    dead = gone.address();
  }  // its port is closed now: connecting is refused
  const std::string listen = proxy.create_link({.name = "dead", .upstream = dead}).listen;
  Client client(listen);
  const auto outcome = client.read_to_end();
  BOOST_TEST(outcome.bytes.empty());
  BOOST_TEST((outcome.eof || outcome.error == ECONNRESET));
  BOOST_TEST(proxy.wait_for("dead", [](const LinkCounters& c) { return c.upstream_failures == 1; }, kWait));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(link_state)

BOOST_AUTO_TEST_CASE(down_closes_open_connections_and_refuses_new_ones_until_up) {
  ProxyFixture f;
  Client open(f.listen);
  BOOST_TEST(round_trip(open, "before") == "before");

  f.proxy.update_link("echo", false, std::nullopt);
  BOOST_TEST(!f.proxy.link("echo").enabled);
  const auto closed = open.read_to_end();
  BOOST_TEST(closed.bytes.empty());
  BOOST_TEST((closed.eof || closed.error == ECONNRESET), "the open connection was closed, not left hanging");

  Client refused(f.listen);  // the kernel completes the handshake; the proxy resets it as soon as it accepts it
  refused.send_all("hello");
  const auto outcome = refused.read_to_end();
  BOOST_TEST(outcome.bytes.empty());
  BOOST_TEST((outcome.eof || outcome.error == ECONNRESET));
  BOOST_TEST(f.wait([](const LinkCounters& c) { return c.connections_refused == 1; }));
  BOOST_TEST(f.proxy.link("echo").counters.connections_total == 1u);

  f.proxy.update_link("echo", true, std::nullopt);
  Client again(f.listen);
  BOOST_TEST(round_trip(again, "after") == "after");
}

BOOST_AUTO_TEST_CASE(a_removed_link_stops_listening) {
  ProxyFixture f;
  f.proxy.remove_link("echo");
  BOOST_CHECK_THROW(f.proxy.link("echo"), ProxyError);
  bool refused = false;
  try {
    Client client(f.listen);
    refused = client.read_to_end().bytes.empty();  // accepted just before the close: closed without data
  } catch (const std::system_error& error) {
    refused = error.code().value() == ECONNREFUSED;
  }
  BOOST_TEST(refused);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(toxics)

BOOST_AUTO_TEST_CASE(limit_data_closes_after_exactly_its_bytes_on_open_connections_too) {
  ProxyFixture f;
  Client client(f.listen);
  BOOST_TEST(round_trip(client, "warm") == "warm");  // the connection is open before the toxic exists
  f.proxy.add_toxic("echo", toxic({{"type", "limit_data"}, {"attributes", {{"bytes", 1000}}}}));
  const std::string data = pattern(5000);
  std::thread sender([&] { client.send_all(data); });
  const auto outcome = client.read_to_end();
  sender.join();
  BOOST_TEST(outcome.eof);
  BOOST_TEST(outcome.bytes.size() == 1000u);
  BOOST_TEST((outcome.bytes == data.substr(0, 1000)));
}

BOOST_AUTO_TEST_CASE(limit_data_upstream_lets_the_server_see_only_its_bytes) {
  ProxyFixture f;
  f.proxy.add_toxic("echo", toxic({{"type", "limit_data"}, {"stream", "upstream"}, {"attributes", {{"bytes", 10}}}}));
  Client client(f.listen);
  const std::string data = pattern(64);
  client.send_all(data);
  const auto outcome = client.read_to_end();
  BOOST_TEST(outcome.eof);
  // The whole connection closes once the 10 bytes are out (as in toxiproxy), so their echo may or may not make it.
  BOOST_TEST(outcome.bytes.size() <= 10u);
  BOOST_TEST((outcome.bytes == data.substr(0, outcome.bytes.size())));
  BOOST_TEST(f.wait([](const LinkCounters& c) { return c.connections_active == 0; }));
  BOOST_TEST(f.proxy.link("echo").counters.bytes_upstream == 10u, "the server was sent exactly 10 bytes");
}

BOOST_AUTO_TEST_CASE(reset_peer_resets_the_connection) {
  for (const int timeout : {0, 20}) {
    ProxyFixture f;
    f.proxy.add_toxic("echo",
                      toxic({{"type", "reset_peer"}, {"stream", "upstream"}, {"attributes", {{"timeout", timeout}}}}));
    Client client(f.listen);
    client.send_all("hello");
    const auto outcome = client.read_to_end();
    BOOST_TEST(outcome.bytes.empty());
    BOOST_TEST(!outcome.eof, "a reset, not an orderly close (timeout " << timeout << ")");
    BOOST_TEST(outcome.error == ECONNRESET);
  }
}

BOOST_AUTO_TEST_CASE(timeout_zero_holds_data_until_removed_then_closes) {
  ProxyFixture f;
  Client client(f.listen);
  BOOST_TEST(round_trip(client, "warm") == "warm");
  f.proxy.add_toxic("echo", toxic({{"type", "timeout"}, {"attributes", {{"timeout", 0}}}}));
  client.send_all("ping");
  // The echo has come back to the proxy...
  BOOST_TEST(f.wait([](const LinkCounters& c) { return c.bytes_downstream_received == 8; }));
  // ...and has not been forwarded.
  BOOST_TEST(f.proxy.link("echo").counters.bytes_downstream == 4u);
  BOOST_TEST(!client.readable_now());
  f.proxy.remove_toxic("echo", "timeout_downstream");
  const auto outcome = client.read_to_end();
  BOOST_TEST(outcome.eof, "removing the toxic closes the connections it held, as in toxiproxy");
  BOOST_TEST(outcome.bytes.empty(), "the held bytes were dropped, never delivered");
}

BOOST_AUTO_TEST_CASE(timeout_with_a_duration_closes_the_connection_without_the_data) {
  ProxyFixture f;
  f.proxy.add_toxic("echo", toxic({{"type", "timeout"}, {"attributes", {{"timeout", 30}}}}));
  Client client(f.listen);
  client.send_all("ping");
  const auto outcome = client.read_to_end();
  BOOST_TEST(outcome.eof);
  BOOST_TEST(outcome.bytes.empty());
}

BOOST_AUTO_TEST_CASE(slicer_and_latency_still_deliver_identical_bytes) {
  ProxyFixture f;
  f.proxy.add_toxic("echo", toxic({{"type", "slicer"},
                                   {"attributes", {{"average_size", 7}, {"size_variation", 3}, {"delay", 10}}}}));
  f.proxy.add_toxic("echo", toxic({{"type", "slicer"},
                                   {"name", "slicer_up"},
                                   {"stream", "upstream"},
                                   {"attributes", {{"average_size", 100}, {"size_variation", 60}}}}));
  f.proxy.add_toxic("echo", toxic({{"type", "latency"}, {"attributes", {{"latency", 1}, {"jitter", 1}}}}));
  Client client(f.listen);
  const std::string data = pattern(48 * 1024, 3);
  BOOST_TEST((round_trip(client, data) == data));
}

BOOST_AUTO_TEST_CASE(bandwidth_and_slow_close_still_deliver_identical_bytes) {
  ProxyFixture f;
  f.proxy.add_toxic("echo", toxic({{"type", "bandwidth"}, {"attributes", {{"rate_bytes", 4 * 1024 * 1024}}}}));
  f.proxy.add_toxic("echo", toxic({{"type", "slow_close"}, {"attributes", {{"delay", 5}}}}));
  Client client(f.listen);
  const std::string data = pattern(256 * 1024, 5);
  BOOST_TEST((round_trip(client, data) == data));
  client.shutdown_write();
  const auto outcome = client.read_to_end();
  BOOST_TEST(outcome.eof);
}

BOOST_AUTO_TEST_CASE(connections_sharing_a_link_bandwidth_still_deliver_identical_bytes) {
  ProxyFixture f;
  const auto status = f.proxy.set_link_bandwidth("echo", Stream::Downstream, 2'000'000);
  BOOST_TEST(status.bandwidth.downstream == 2'000'000u);
  BOOST_TEST(status.bandwidth.upstream == 0u);
  f.proxy.set_link_bandwidth("echo", Stream::Upstream, 3'000'000);
  Client first(f.listen);
  Client second(f.listen);
  const std::string a = pattern(96 * 1024, 7);
  const std::string b = pattern(96 * 1024, 8);
  // The first connection's send and read on threads of their own (no assertions there), the second's meanwhile.
  int send_error = 0;
  std::string back_a;
  std::thread sender([&] { send_error = first.send_all(a); });
  std::thread reader([&] {
    try {
      back_a = first.read_exactly(a.size());
    } catch (const std::exception&) {  // back_a stays empty: the assertion below fails
    }
  });
  const std::string back_b = round_trip(second, b);
  sender.join();
  reader.join();
  BOOST_TEST(send_error == 0);
  BOOST_TEST((back_a == a));
  BOOST_TEST((back_b == b));
  // Unlimited again: the open connections stop waiting for the link's slots.
  f.proxy.set_link_bandwidth("echo", Stream::Downstream, 0);
  BOOST_TEST((round_trip(first, "after") == "after"));
  BOOST_TEST(f.proxy.link("echo").bandwidth.downstream == 0u);
}

BOOST_AUTO_TEST_CASE(a_removed_toxic_stops_applying) {
  ProxyFixture f;
  f.proxy.add_toxic("echo", toxic({{"type", "limit_data"}, {"attributes", {{"bytes", 0}}}}));
  f.proxy.remove_toxic("echo", "limit_data_downstream");
  Client client(f.listen);
  BOOST_TEST(round_trip(client, "free") == "free");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(toxicity)

// A limit_data of 0 bytes closes a connection at its first downstream byte, so whether a connection gets its echo
// tells whether the toxic applied to it. One decision per connection, connections one after the other.
std::vector<bool> decisions(uint64_t seed, double toxicity, int connections) {
  ProxyFixture f(seed);
  f.proxy.add_toxic("echo", toxic({{"type", "limit_data"},
                                   {"name", "cut"},
                                   {"toxicity", toxicity},
                                   {"attributes", {{"bytes", 0}}}}));
  std::vector<bool> applied;
  for (int i = 0; i < connections; ++i) {
    Client client(f.listen);
    client.send_all("probe");
    client.shutdown_write();
    const auto outcome = client.read_to_end();
    BOOST_REQUIRE(outcome.eof);
    BOOST_REQUIRE((outcome.bytes.empty() || outcome.bytes == "probe"));
    applied.push_back(outcome.bytes.empty());
  }
  return applied;
}

BOOST_AUTO_TEST_CASE(toxicity_zero_never_applies_and_one_always_does) {
  for (const bool applied : decisions(1, 0.0, 12)) BOOST_TEST(!applied);
  for (const bool applied : decisions(1, 1.0, 12)) BOOST_TEST(applied);
}

BOOST_AUTO_TEST_CASE(the_same_seed_makes_the_same_decisions) {
  const auto first = decisions(42, 0.5, 16);
  const auto again = decisions(42, 0.5, 16);
  const auto other = decisions(43, 0.5, 16);
  BOOST_TEST((first == again));
  BOOST_TEST((first != other), "another seed, other decisions (for these two seeds)");
  BOOST_TEST(std::count(first.begin(), first.end(), true) > 0);
  BOOST_TEST(std::count(first.begin(), first.end(), false) > 0);
  // They are the pure function of (seed, link, toxic, connection number) that toxicity.h promises.
  for (size_t i = 0; i < first.size(); ++i)
    BOOST_TEST(first[i] == toxic_applies(42, "echo", "cut", i + 1, 0.5), "connection " << i + 1);
}

BOOST_AUTO_TEST_CASE(raising_toxicity_only_adds_connections) {
  for (uint64_t connection = 1; connection <= 200; ++connection)
    if (toxic_applies(9, "link", "toxic", connection, 0.3))
      BOOST_TEST(toxic_applies(9, "link", "toxic", connection, 0.6));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(vocabulary)

BOOST_AUTO_TEST_CASE(defaults_and_names_follow_toxiproxy) {
  const Toxic latency = toxic({{"type", "latency"}, {"attributes", {{"latency", 100}}}});
  BOOST_TEST(latency.name == "latency_downstream");
  BOOST_TEST((latency.stream == Stream::Downstream));
  BOOST_TEST(latency.toxicity == 1.0);
  BOOST_TEST(latency.attributes == (json{{"latency", 100}, {"jitter", 0}}));
  BOOST_TEST(to_json(latency)["type"] == "latency");
  const Toxic up = toxic({{"type", "timeout"}, {"stream", "upstream"}});
  BOOST_TEST(up.name == "timeout_upstream");
  BOOST_TEST(up.attributes == (json{{"timeout", 0}}));
}

BOOST_AUTO_TEST_CASE(bandwidth_rate_is_toxiproxy_kilobytes_and_rate_bytes_is_exact) {
  const Toxic kb = toxic({{"type", "bandwidth"}, {"attributes", {{"rate", 1000}}}});
  BOOST_TEST(kb.parsed.bytes_per_second == 1'000'000.0);
  BOOST_TEST(kb.attributes == (json{{"rate", 1000}, {"rate_bytes", 1000000}}));
  const Toxic exact = toxic({{"type", "bandwidth"}, {"attributes", {{"rate_bytes", 1048576}}}});
  BOOST_TEST(exact.parsed.bytes_per_second == 1048576.0);
  BOOST_TEST(exact.attributes["rate_bytes"] == 1048576);
  // An update with `rate` replaces an earlier `rate_bytes`.
  const Toxic updated = toxic_updated(exact, {{"attributes", {{"rate", 2}}}});
  BOOST_TEST(updated.parsed.bytes_per_second == 2000.0);
}

BOOST_AUTO_TEST_CASE(a_stream_is_read_whatever_its_case_as_toxiproxy_reads_it) {
  const Toxic upper = toxic({{"type", "latency"}, {"stream", "Upstream"}});
  BOOST_TEST((upper.stream == Stream::Upstream));
  BOOST_TEST(upper.name == "latency_upstream");
  BOOST_TEST(toxic_updated(upper, {{"stream", "UPSTREAM"}, {"toxicity", 0.5}}).toxicity == 0.5);
}

BOOST_AUTO_TEST_CASE(malformed_toxics_are_refused_with_400) {
  const std::vector<json> bodies = {
      {{"type", "earthquake"}},
      {{"type", "latency"}, {"stream", "sideways"}},
      {{"type", "latency"}, {"toxicity", 1.5}},
      {{"type", "latency"}, {"attributes", {{"latancy", 10}}}},
      {{"type", "latency"}, {"attributes", {{"latency", -1}}}},
      {{"type", "latency"}, {"attributes", {{"latency", 1.5}}}},
      {{"type", "bandwidth"}, {"attributes", {{"rate", 1}, {"rate_bytes", 1}}}},
      {{"type", "slicer"}, {"attributes", {{"average_size", 10}, {"size_variation", 10}}}},
      {{"type", "slicer"}},
      {{"type", "latency"}, {"name", "has/slash"}},
      {{"type", "latency"}, {"name", "."}},  // path segments a URL resolves away: /toxics/.. could never be deleted
      {{"type", "latency"}, {"name", ".."}},
      {{"stream", "upstream"}},
  };
  for (const auto& body : bodies) {
    try {
      toxic(body);
      BOOST_ERROR("accepted " << body.dump());
    } catch (const ProxyError& error) {
      BOOST_TEST(error.status() == 400, body.dump());
    }
  }
  const Toxic latency = toxic({{"type", "latency"}});
  BOOST_CHECK_THROW(toxic_updated(latency, {{"stream", "upstream"}}), ProxyError);
  BOOST_CHECK_THROW(toxic_updated(latency, {{"stream", "Upstream"}}), ProxyError);
  BOOST_CHECK_THROW(toxic_updated(latency, {{"type", "timeout"}}), ProxyError);
}

BOOST_AUTO_TEST_CASE(the_pacer_keeps_its_rate_whatever_the_piece_sizes) {
  using Clock = Pacer::Clock;
  Pacer pacer;
  const Clock::time_point start{};
  Clock::time_point now = start;
  size_t total = 0;
  size_t piece = 1;
  while (total < 1'000'000) {  // pieces of varying size, each sent as soon as allowed
    now = std::max(now, pacer.ready_at(now));
    pacer.sent(now, piece, 250'000.0);
    total += piece;
    piece = piece % 1000 + 37;
  }
  // The stream is free again exactly when every byte has used its time at 250 kB/s.
  const double seconds = std::chrono::duration<double>(pacer.ready_at(now) - start).count();
  BOOST_TEST(seconds == static_cast<double>(total) / 250'000.0, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(Pacer::piece_size(1024.0 * 1024) == 5242u);
  BOOST_TEST(Pacer::piece_size(10.0) == 1u);
}

BOOST_AUTO_TEST_CASE(a_pacer_late_by_less_than_its_catch_up_loses_no_time) {
  using Clock = Pacer::Clock;
  Pacer pacer;
  const Clock::time_point start{};
  Clock::time_point now = start;
  for (int i = 0; i < 1000; ++i) {  // every send 3 ms later than allowed, as a busy machine's timers fire
    now = std::max(now, pacer.ready_at(now) + std::chrono::milliseconds(3));
    pacer.sent(now, 1000, 100'000.0);
  }
  const double seconds = std::chrono::duration<double>(pacer.ready_at(now) - start).count();
  BOOST_TEST(seconds == 10.0 + 0.003, boost::test_tools::tolerance(1e-6));
}

// Streams that each have `bytes` to send, asking a shared LinkPacer for slots as connection writers do, on a clock of
// the test's own (each write is instantaneous and the next request follows it at once; requests due at the same time
// are served in the order they were made). What went out, in order.
struct Sent {
  LinkPacer::Clock::time_point at;
  size_t stream;
  size_t bytes;
};
std::vector<Sent> share(LinkPacer& link, size_t streams, size_t bytes, LinkPacer::Clock::time_point start) {
  std::multimap<LinkPacer::Clock::time_point, size_t> asks;  // equal keys keep their insertion order
  std::vector<size_t> left(streams, bytes);
  for (size_t i = 0; i < streams; ++i) asks.emplace(start, i);
  std::vector<Sent> sent;
  while (!asks.empty()) {
    const auto [now, stream] = *asks.begin();
    asks.erase(asks.begin());
    const auto slot = link.book(now, left[stream]);
    BOOST_REQUIRE(slot.has_value());
    BOOST_REQUIRE(slot->at >= now);
    sent.push_back({slot->at, stream, slot->bytes});  // the writer waits for its slot, then writes
    left[stream] -= slot->bytes;
    if (left[stream] > 0) asks.emplace(slot->at, stream);
  }
  return sent;
}

double seconds_between(LinkPacer::Clock::time_point from, LinkPacer::Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

BOOST_AUTO_TEST_CASE(two_streams_sharing_a_link_pacer_take_turns_and_together_average_its_rate) {
  constexpr double kRate = 1'000'000.0;  // bytes per second: pieces of 5,000 bytes (5 ms)
  constexpr size_t kBytes = 1'000'000;
  LinkPacer link;
  BOOST_TEST(!link.book(LinkPacer::Clock::time_point{}, 100).has_value(), "no rate: nothing to book");
  BOOST_TEST(link.set_rate(kRate));
  BOOST_TEST(!link.set_rate(kRate), "the same rate again changes nothing");
  const LinkPacer::Clock::time_point start = LinkPacer::Clock::time_point{} + std::chrono::hours(1);
  const auto sent = share(link, 2, kBytes, start);

  // Together: the last piece ends exactly when 2 MB have used their time at 1 MB/s (the link's rate, not twice it).
  const Sent& last = sent.back();
  BOOST_TEST(seconds_between(start, last.at) + static_cast<double>(last.bytes) / kRate == 2.0,
             boost::test_tools::tolerance(1e-6));
  // Turns: strictly alternating pieces, so neither stream is ever more than one piece ahead of the other, and each
  // averaged half the rate (the first finished one piece, 5 ms, before the second).
  size_t delivered[2] = {0, 0};
  for (size_t i = 0; i < sent.size(); ++i) {
    BOOST_TEST(sent[i].stream == i % 2, "piece " << i);
    BOOST_TEST(sent[i].bytes == Pacer::piece_size(kRate));
    delivered[sent[i].stream] += sent[i].bytes;
    const size_t gap = delivered[0] > delivered[1] ? delivered[0] - delivered[1] : delivered[1] - delivered[0];
    BOOST_TEST(gap <= Pacer::piece_size(kRate));
  }
  const auto first_done = std::find_if(sent.rbegin(), sent.rend(), [](const Sent& s) { return s.stream == 0; });
  BOOST_TEST(seconds_between(start, first_done->at) + 0.005 == 1.995, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(a_link_pacer_gives_a_lone_stream_the_whole_rate_and_a_new_rate_lapses_bookings) {
  LinkPacer link;
  link.set_rate(500'000.0);
  const LinkPacer::Clock::time_point start = LinkPacer::Clock::time_point{} + std::chrono::hours(1);
  const auto sent = share(link, 1, 100'000, start);
  const Sent& last = sent.back();
  BOOST_TEST(seconds_between(start, last.at) + static_cast<double>(last.bytes) / 500'000.0 == 0.2,
             boost::test_tools::tolerance(1e-6));
  const auto booked = link.book(last.at, 10);
  BOOST_REQUIRE(booked.has_value());
  BOOST_TEST(link.valid(*booked));
  link.set_rate(0);
  BOOST_TEST(!link.valid(*booked));
  BOOST_TEST(!link.book(last.at, 10).has_value());
}

BOOST_AUTO_TEST_CASE(a_link_pacer_catches_up_with_a_late_holder_but_gives_no_burst_after_a_pause) {
  LinkPacer link;
  link.set_rate(100'000.0);  // 500-byte pieces of 5 ms
  const LinkPacer::Clock::time_point start = LinkPacer::Clock::time_point{} + std::chrono::hours(1);
  LinkPacer::Clock::time_point now = start;
  std::optional<LinkPacer::Slot> slot;
  for (int i = 0; i < 1000; ++i) {  // every booking made 3 ms after the slot before it, as a busy machine's timers fire
    slot = link.book(now, 500);
    now = slot->at + std::chrono::milliseconds(3);
  }
  // 500 kB at 100 kB/s: the last piece's slot is still at 4.995 s, as if no timer had been late.
  BOOST_TEST(seconds_between(start, slot->at) == 4.995, boost::test_tools::tolerance(1e-6));
  // A hiccup: the next booking comes 20 ms after the last slot, 15 ms behind the schedule. The link makes the time up:
  // the pieces the schedule owes go at once (4 of them, 20 ms of the schedule), then it paces again.
  const LinkPacer::Clock::time_point last = slot->at;
  now = last + std::chrono::milliseconds(20);
  for (int i = 0; i < 4; ++i) BOOST_TEST((link.book(now, 500)->at == now), "owed piece " << i);
  BOOST_TEST((link.book(now, 500)->at == last + std::chrono::milliseconds(25)));
  // A second later the link has been idle: two pieces asked for at once go 5 ms apart, not both at once.
  const LinkPacer::Clock::time_point later = now + std::chrono::seconds(1);
  const auto first = link.book(later, 500);
  const auto second = link.book(later, 500);
  BOOST_TEST((first->at == later));
  BOOST_TEST((second->at == later + std::chrono::milliseconds(5)));
}

// Chains asked for their next step as a connection's writer asks (on a clock of the test's own, each write
// instantaneous); `bytes` each, read at `start`. When each chain's last byte went out, with the size of that write.
std::vector<std::pair<ToxicChain::Clock::time_point, size_t>> drive(std::vector<ToxicChain*> chains, size_t bytes,
                                                                    ToxicChain::Clock::time_point start) {
  std::multimap<ToxicChain::Clock::time_point, size_t> asks;
  std::vector<size_t> left(chains.size(), bytes);
  std::vector<ToxicChain::Chunk> chunks(chains.size());
  std::vector<std::pair<ToxicChain::Clock::time_point, size_t>> done(chains.size());
  outpost::SeededRandom random(3);
  for (size_t i = 0; i < chains.size(); ++i) {
    chunks[i].read_at = start;
    asks.emplace(start, i);
  }
  while (!asks.empty()) {
    const auto [now, i] = *asks.begin();
    asks.erase(asks.begin());
    const auto step = chains[i]->next(chunks[i], left[i], now, random);
    if (step.action == ToxicChain::Action::Wait) {
      BOOST_REQUIRE(step.until > now);
      asks.emplace(step.until, i);
      continue;
    }
    BOOST_REQUIRE((step.action == ToxicChain::Action::Write));
    BOOST_REQUIRE(step.bytes > 0);
    left[i] -= step.bytes;
    if (left[i] == 0) done[i] = {now, step.bytes};
    else asks.emplace(now, i);
  }
  return done;
}

BOOST_AUTO_TEST_CASE(chains_sharing_a_link_rate_move_at_it_together_while_a_bandwidth_toxic_caps_each) {
  constexpr double kRate = 2'000'000.0;
  constexpr size_t kBytes = 400'000;
  const ToxicChain::Clock::time_point start = ToxicChain::Clock::time_point{} + std::chrono::hours(1);
  const auto always = [](const Toxic&) { return true; };
  const auto finished = [&](const std::pair<ToxicChain::Clock::time_point, size_t>& done) {
    return seconds_between(start, done.first) + static_cast<double>(done.second) / kRate;
  };

  // The link's own rate: two connections of the link together move at it, the second finishing at 2 x 400 kB / 2 MB/s.
  auto link = std::make_shared<LinkPacer>();
  link->set_rate(kRate);
  ToxicChain a(Stream::Downstream, link);
  ToxicChain b(Stream::Downstream, link);
  a.sync({}, always);
  b.sync({}, always);
  const auto shared = drive({&a, &b}, kBytes, start);
  BOOST_TEST(std::max(finished(shared[0]), finished(shared[1])) == 0.4, boost::test_tools::tolerance(1e-6));
  BOOST_TEST(std::min(finished(shared[0]), finished(shared[1])) >= 0.39, "turns: neither finished long before");

  // toxiproxy's bandwidth toxic, unchanged: each connection gets the whole rate, so two move at twice it.
  auto entry = std::make_shared<ToxicEntry>(
      ToxicEntry{1, 1, toxic({{"type", "bandwidth"}, {"attributes", {{"rate_bytes", 2'000'000}}}})});
  ToxicChain c(Stream::Downstream);
  ToxicChain d(Stream::Downstream);
  c.sync({entry}, always);
  d.sync({entry}, always);
  const auto capped = drive({&c, &d}, kBytes, start);
  for (const auto& done : capped) BOOST_TEST(finished(done) == 0.2, boost::test_tools::tolerance(1e-6));
}

BOOST_AUTO_TEST_CASE(a_chain_asking_again_keeps_its_link_slot_and_books_no_other) {
  auto link = std::make_shared<LinkPacer>();
  link->set_rate(1'000'000.0);  // 5,000-byte pieces
  const auto always = [](const Toxic&) { return true; };
  ToxicChain a(Stream::Upstream, link);
  a.sync({}, always);
  const ToxicChain::Clock::time_point t0 = ToxicChain::Clock::time_point{} + std::chrono::hours(1);
  ToxicChain::Chunk chunk;
  chunk.read_at = t0;
  outpost::SeededRandom random(1);
  const auto first = a.next(chunk, 20'000, t0, random);
  BOOST_TEST((first.action == ToxicChain::Action::Write));
  BOOST_TEST(first.bytes == 5'000u);
  const auto wait = a.next(chunk, 15'000, t0, random);
  BOOST_TEST((wait.action == ToxicChain::Action::Wait));
  BOOST_TEST((wait.until == t0 + std::chrono::milliseconds(5)));
  // Asked again before its slot (a wait cut short by a change of toxics): the same slot, and nothing more booked.
  BOOST_TEST((a.next(chunk, 15'000, t0 + std::chrono::milliseconds(1), random).until == wait.until));
  const auto other = link->book(t0 + std::chrono::milliseconds(1), 5'000);
  BOOST_TEST((other->at == t0 + std::chrono::milliseconds(10)));
  // A latency toxic that holds the piece: no slot is booked while it waits on the toxic.
  auto latency = std::make_shared<ToxicEntry>(
      ToxicEntry{1, 1, toxic({{"type", "latency"}, {"stream", "upstream"}, {"attributes", {{"latency", 100}}}})});
  ToxicChain held(Stream::Upstream, link);
  held.sync({latency}, always);
  ToxicChain::Chunk late;
  late.read_at = t0;
  BOOST_TEST((held.next(late, 100, t0, random).until == t0 + std::chrono::milliseconds(100)));
  BOOST_TEST((link->book(t0, 5'000)->at == t0 + std::chrono::milliseconds(15)), "the latency booked nothing");
}

BOOST_AUTO_TEST_CASE(removing_a_timeout_toxic_closes_what_it_held) {
  ToxicChain chain(Stream::Downstream);
  auto entry = std::make_shared<ToxicEntry>(ToxicEntry{1, 1, toxic({{"type", "timeout"}})});
  const auto always = [](const Toxic&) { return true; };
  BOOST_TEST(!chain.sync({entry}, always).close);
  ToxicChain::Chunk chunk;
  outpost::SeededRandom random(1);
  BOOST_TEST((chain.next(chunk, 10, ToxicChain::Clock::now(), random).action == ToxicChain::Action::Drop));
  BOOST_TEST(chain.holds_end());
  BOOST_TEST(chain.sync({}, always).close);
  BOOST_TEST((chain.next(chunk, 10, ToxicChain::Clock::now(), random).action == ToxicChain::Action::Write));
}

BOOST_AUTO_TEST_CASE(two_latencies_add_up_and_jitter_is_drawn_once_per_chunk) {
  ToxicChain chain(Stream::Downstream);
  const auto always = [](const Toxic&) { return true; };
  auto first = std::make_shared<ToxicEntry>(
      ToxicEntry{1, 1, toxic({{"type", "latency"}, {"name", "a"}, {"attributes", {{"latency", 50}}}})});
  auto second = std::make_shared<ToxicEntry>(
      ToxicEntry{2, 2, toxic({{"type", "latency"}, {"name", "b"}, {"attributes", {{"latency", 50}, {"jitter", 10}}}})});
  chain.sync({first, second}, always);
  ToxicChain::Chunk chunk;
  chunk.read_at = ToxicChain::Clock::time_point{} + std::chrono::hours(1);
  outpost::SeededRandom random(5);
  const auto step = chain.next(chunk, 100, chunk.read_at, random);
  BOOST_TEST((step.action == ToxicChain::Action::Wait));
  const auto delay = step.until - chunk.read_at;
  BOOST_TEST((delay >= std::chrono::milliseconds(90) && delay <= std::chrono::milliseconds(110)));
  BOOST_TEST((chain.next(chunk, 100, chunk.read_at, random).until == step.until), "the same draw when asked again");
  BOOST_TEST((chain.next(chunk, 100, step.until, random).action == ToxicChain::Action::Write));
}

// A second toxic added to a stream that already had one: the sync moves the first into the new chain, and the lookup
// for the second must not read the entry it moved from (it did, and the proxy crashed on every such change).
BOOST_AUTO_TEST_CASE(adding_a_second_toxic_to_a_stream_keeps_the_first) {
  ToxicChain chain(Stream::Downstream);
  const auto always = [](const Toxic&) { return true; };
  auto first = std::make_shared<ToxicEntry>(
      ToxicEntry{1, 1, toxic({{"type", "latency"}, {"name", "a"}, {"attributes", {{"latency", 50}}}})});
  auto second = std::make_shared<ToxicEntry>(
      ToxicEntry{2, 2, toxic({{"type", "latency"}, {"name", "b"}, {"attributes", {{"latency", 30}}}})});
  chain.sync({first}, always);
  chain.sync({first, second}, always);
  chain.sync({second, first}, always);
  ToxicChain::Chunk chunk;
  chunk.read_at = ToxicChain::Clock::time_point{} + std::chrono::hours(1);
  outpost::SeededRandom random(5);
  const auto step = chain.next(chunk, 100, chunk.read_at, random);
  BOOST_TEST((step.action == ToxicChain::Action::Wait));
  BOOST_TEST((step.until - chunk.read_at == std::chrono::milliseconds(80)), "both latencies apply");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(control_api)

struct Answer {
  int status;
  json body;
};

Answer call(ApiHandler& api, outpost::http::Method method, const std::string& path, const json& body = nullptr) {
  outpost::http::Request request;
  request.method = method;
  request.path = path;
  request.target = path;
  auto call = api.start(std::move(request));
  if (!body.is_null()) call->on_body(body.dump());
  auto response = call->finish();
  return {response.status, response.body.empty() ? json() : json::parse(response.body)};
}

BOOST_AUTO_TEST_CASE(proxies_and_toxics_through_the_api) {
  using outpost::http::Method;
  EchoServer echo;
  FaultProxy proxy(FaultProxy::Options{});
  ApiHandler api(proxy);

  auto created = call(api, Method::Post, "/proxies", {{"name", "parent"}, {"listen", "127.0.0.1:0"},
                                                      {"upstream", echo.address()}});
  BOOST_TEST(created.status == 201);
  BOOST_TEST(created.body["name"] == "parent");
  BOOST_TEST(created.body["enabled"] == true);
  BOOST_TEST(created.body["listen"] != "127.0.0.1:0");
  BOOST_TEST(created.body["toxics"] == json::array());
  BOOST_TEST(created.body["counters"]["connections_total"] == 0);

  auto duplicate = call(api, Method::Post, "/proxies", {{"name", "parent"}, {"upstream", echo.address()}});
  BOOST_TEST(duplicate.status == 409);
  BOOST_TEST(duplicate.body == (json{{"error", "proxy already exists"}, {"status", 409}}));
  BOOST_TEST(call(api, Method::Post, "/proxies", {{"name", "x"}}).body["error"] == "missing required field: upstream");
  // A listen address that names no host is a bad request (400), not a conflict with what runs now (409). (A name
  // with a space: the resolver refuses it without asking DNS.)
  const auto nowhere = call(api, Method::Post, "/proxies",
                            {{"name", "nowhere"}, {"listen", "no host:0"}, {"upstream", echo.address()}});
  BOOST_TEST(nowhere.status == 400, nowhere.body.dump());
  BOOST_TEST(call(api, Method::Get, "/proxies/nowhere").status == 404);
  BOOST_TEST(call(api, Method::Get, "/proxies/nobody").status == 404);

  auto added = call(api, Method::Post, "/proxies/parent/toxics",
                    {{"type", "latency"}, {"attributes", {{"latency", 100}, {"jitter", 5}}}});
  BOOST_TEST(added.status == 200);
  BOOST_TEST(added.body["name"] == "latency_downstream");
  BOOST_TEST(call(api, Method::Post, "/proxies/parent/toxics", {{"type", "latency"}}).status == 409);
  BOOST_TEST(call(api, Method::Post, "/proxies/parent/toxics", {{"type", "nope"}}).status == 400);
  BOOST_TEST(call(api, Method::Post, "/proxies/nobody/toxics", {{"type", "latency"}}).status == 404);

  auto updated = call(api, Method::Post, "/proxies/parent/toxics/latency_downstream",
                      {{"attributes", {{"latency", 200}}}, {"toxicity", 0.5}});
  BOOST_TEST(updated.status == 200);
  BOOST_TEST(updated.body["attributes"] == (json{{"latency", 200}, {"jitter", 5}}));
  BOOST_TEST(updated.body["toxicity"] == 0.5);
  BOOST_TEST(call(api, Method::Get, "/proxies/parent/toxics").body.size() == 1u);
  BOOST_TEST(call(api, Method::Get, "/proxies/parent/toxics/latency_downstream").body == updated.body);

  auto listed = call(api, Method::Get, "/proxies");
  BOOST_TEST(listed.body["parent"]["toxics"][0] == updated.body);

  auto down = call(api, Method::Post, "/proxies/parent", {{"enabled", false}});
  BOOST_TEST(down.body["enabled"] == false);
  BOOST_TEST(call(api, Method::Post, "/reset").status == 204);
  auto after = call(api, Method::Get, "/proxies/parent");
  BOOST_TEST(after.body["enabled"] == true);
  BOOST_TEST(after.body["toxics"] == json::array());

  BOOST_TEST(after.body["bandwidth"] == (json{{"upstream", 0}, {"downstream", 0}}));

  BOOST_TEST(call(api, Method::Delete, "/proxies/parent/toxics/latency_downstream").status == 404);
  BOOST_TEST(call(api, Method::Get, "/version").body["version"] == kProxyVersion);
  BOOST_TEST(call(api, Method::Delete, "/proxies/parent").status == 204);
  BOOST_TEST(call(api, Method::Get, "/proxies").body == json::object());
  BOOST_TEST(call(api, Method::Get, "/elsewhere").status == 404);
  BOOST_TEST(call(api, Method::Put, "/proxies").status == 405);
}

BOOST_AUTO_TEST_CASE(a_links_own_bandwidth_through_the_api) {
  using outpost::http::Method;
  EchoServer echo;
  FaultProxy proxy(FaultProxy::Options{});
  ApiHandler api(proxy);

  auto created = call(api, Method::Post, "/proxies", {{"name", "shaped"}, {"upstream", echo.address()},
                                                      {"bandwidth", {{"downstream", 4'000'000}}}});
  BOOST_TEST(created.status == 201);
  BOOST_TEST(created.body["bandwidth"] == (json{{"upstream", 0}, {"downstream", 4'000'000}}));
  BOOST_TEST(created.body["toxics"] == json::array(), "the link's rate is not a toxic");

  // One stream at a time; the other keeps its rate.
  auto updated = call(api, Method::Post, "/proxies/shaped", {{"bandwidth", {{"upstream", 1'000'000}}}});
  BOOST_TEST(updated.status == 200);
  BOOST_TEST(updated.body["bandwidth"] == (json{{"upstream", 1'000'000}, {"downstream", 4'000'000}}));
  BOOST_TEST(call(api, Method::Patch, "/proxies/shaped", {{"bandwidth", {{"downstream", 0}}}}).body["bandwidth"] ==
             (json{{"upstream", 1'000'000}, {"downstream", 0}}));

  const std::vector<json> bad = {
      {{"bandwidth", 5}},
      {{"bandwidth", {{"sideways", 5}}}},
      {{"bandwidth", {{"upstream", -1}}}},
      {{"bandwidth", {{"upstream", 1.5}}}},
      {{"bandwidth", {{"upstream", "fast"}}}},
      {{"bandwidth", {{"upstream", 1e300}}}},
      {{"enabled", false}, {"bandwidth", {{"downstream", 7}, {"upstream", -7}}}},
  };
  for (const auto& body : bad) {
    const auto refused = call(api, Method::Post, "/proxies/shaped", body);
    BOOST_TEST(refused.status == 400, body.dump());
  }
  const auto unchanged = call(api, Method::Get, "/proxies/shaped").body;
  BOOST_TEST(unchanged["enabled"] == true, "a refused update applies nothing");
  BOOST_TEST(unchanged["bandwidth"] == (json{{"upstream", 1'000'000}, {"downstream", 0}}));
  const json misspelt = {{"name", "x"}, {"upstream", echo.address()}, {"bandwidth", {{"up", 1}}}};
  BOOST_TEST(call(api, Method::Post, "/proxies", misspelt).status == 400);
  BOOST_TEST(call(api, Method::Post, "/proxies/nobody", {{"bandwidth", {{"upstream", 1}}}}).status == 404);

  // The link's shape, not a fault: a reset keeps it.
  BOOST_TEST(call(api, Method::Post, "/reset").status == 204);
  BOOST_TEST(call(api, Method::Get, "/proxies").body["shaped"]["bandwidth"]["upstream"] == 1'000'000);
}

// Bodies the API once accepted silently, or answered with a 500 in another format.
BOOST_AUTO_TEST_CASE(bodies_that_are_wrong_get_a_400_in_the_apis_own_format) {
  using outpost::http::Method;
  EchoServer echo;
  FaultProxy proxy(FaultProxy::Options{});
  ApiHandler api(proxy);
  BOOST_TEST(call(api, Method::Post, "/proxies", {{"name", "t"}, {"upstream", echo.address()}}).status == 201);

  const auto raw = [&api](Method method, const std::string& path, const std::string& body) {
    outpost::http::Request request;
    request.method = method;
    request.path = request.target = path;
    auto started = api.start(std::move(request));
    started->on_body(body);
    const auto response = started->finish();
    return Answer{response.status, json::parse(response.body)};
  };

  // Unknown link fields are misspellings, not extras to ignore: {"enabeld": false} left the link up.
  for (const json& body : {json{{"enabeld", false}}, json{{"bandwith", {{"downstream", 1000}}}}}) {
    const auto refused = call(api, Method::Post, "/proxies/t", body);
    BOOST_TEST(refused.status == 400, body.dump());
    BOOST_TEST(refused.body["error"].get<std::string>().starts_with("bad request body: unknown field"), body.dump());
  }
  BOOST_TEST(call(api, Method::Post, "/proxies/t", {{"name", "renamed"}}).status == 400);
  // "/proxies/.." is "/" once a URL client has resolved it: a link of that name could be made and never reached.
  for (const char* name : {".", ".."}) {
    const auto refused = call(api, Method::Post, "/proxies", {{"name", name}, {"upstream", echo.address()}});
    BOOST_TEST(refused.status == 400, name);
    BOOST_TEST(refused.body["error"].get<std::string>().find("other than . and ..") != std::string::npos, name);
  }
  BOOST_TEST(call(api, Method::Post, "/proxies", {{"name", "..."}, {"upstream", echo.address()}}).status == 201);
  BOOST_TEST(call(api, Method::Post, "/proxies", {{"name", "u"}, {"upstream", echo.address()}, {"bogus", 1}}).status ==
             400);
  // What GET shows can be sent back as it is (toxiproxy clients save a link that way).
  const json shown = call(api, Method::Get, "/proxies/t").body;
  BOOST_TEST(call(api, Method::Post, "/proxies/t", shown).status == 200);
  BOOST_TEST(call(api, Method::Get, "/proxies/t").body["enabled"] == true);

  // Bytes that are not UTF-8, and a number no double holds: 400 with {"error", "status"}, not a 500.
  const auto not_utf8 = raw(Method::Post, "/proxies/t/toxics", "{\"type\":\"\xff\"}");
  BOOST_TEST(not_utf8.status == 400);
  BOOST_TEST(not_utf8.body["status"] == 400);
  const auto huge = raw(Method::Post, "/proxies/t/toxics", R"({"type":"latency","attributes":{"latency":1e400}})");
  BOOST_TEST(huge.status == 400);
  BOOST_TEST(huge.body["error"].get<std::string>().starts_with("bad request body: number overflow"),
             huge.body.dump());

  // A body nested without bound: a toxic's attributes 200,000 levels deep overflowed the stack and killed the proxy.
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  for (const auto& [path, body] : std::vector<std::pair<std::string, std::string>>{
           {"/proxies/t/toxics", R"({"type":"latency","attributes":)" + deep + "}"},
           {"/proxies/t/toxics", R"({"type":"latency","attributes":{"latency":)" + deep + "}}"},
           {"/proxies/t", R"({"enabled":)" + deep + "}"},
           {"/populate", deep}}) {
    const auto refused = raw(Method::Post, path, body);
    BOOST_TEST(refused.status == 400, path);
    BOOST_TEST(refused.body["error"] == "bad request body: nests deeper than 32 levels", path);
  }

  // A bandwidth below one byte a second overflowed the pacer's clock and showed as "no limit".
  const auto trickle =
      call(api, Method::Post, "/proxies/t/toxics", {{"type", "bandwidth"}, {"attributes", {{"rate", 1e-6}}}});
  BOOST_TEST(trickle.status == 400);
  BOOST_TEST(trickle.body["error"].get<std::string>().find("at least 0.001") != std::string::npos);
  BOOST_TEST(call(api, Method::Post, "/proxies/t/toxics", {{"type", "bandwidth"}, {"attributes", {{"rate", 0.001}}}})
                 .status == 200);

  // A bandwidth toxic as GET shows it (rate and rate_bytes, agreeing) can be sent back; two that disagree cannot.
  const json shown_toxic = call(api, Method::Get, "/proxies/t/toxics/bandwidth_downstream").body;
  BOOST_TEST(shown_toxic["attributes"] == (json{{"rate", 0.001}, {"rate_bytes", 1}}));
  BOOST_TEST(call(api, Method::Post, "/proxies/t/toxics/bandwidth_downstream", shown_toxic).status == 200);
  // A rate of a fractional number of bytes a second, sent back as shown, stays as it was (rate_bytes is shown rounded;
  // it once replaced the rate: 1.2346 KB/s came back as 1.235).
  BOOST_TEST(call(api, Method::Post, "/proxies/t/toxics/bandwidth_downstream", {{"attributes", {{"rate", 1.2346}}}})
                 .status == 200);
  const json fractional = call(api, Method::Get, "/proxies/t/toxics/bandwidth_downstream").body;
  BOOST_TEST(fractional["attributes"] == (json{{"rate", 1.2346}, {"rate_bytes", 1235}}));
  BOOST_TEST(call(api, Method::Post, "/proxies/t/toxics/bandwidth_downstream", fractional).body == fractional);
  const auto disagreeing = call(api, Method::Post, "/proxies/t/toxics/bandwidth_downstream",
                                {{"attributes", {{"rate", 5}, {"rate_bytes", 7}}}});
  BOOST_TEST(disagreeing.status == 400);
  BOOST_TEST(call(api, Method::Post, "/proxies/t/toxics", {{"type", 5}}).body["error"] ==
             "bad request body: 'type' must be a string");
}

// Deleting a link once only scheduled its listener's close: creating it again at once on the same address then failed
// with 409 "address already in use", now and then.
BOOST_AUTO_TEST_CASE(a_link_deleted_and_created_again_on_its_address_binds_it_at_once) {
  using outpost::http::Method;
  EchoServer echo;
  FaultProxy proxy(FaultProxy::Options{});
  ApiHandler api(proxy);
  const json created = call(api, Method::Post, "/proxies", {{"name", "again"}, {"upstream", echo.address()}}).body;
  const std::string address = created["listen"];
  for (int round = 0; round < 50; ++round) {
    BOOST_TEST_REQUIRE(call(api, Method::Delete, "/proxies/again").status == 204);
    const auto again =
        call(api, Method::Post, "/proxies", {{"name", "again"}, {"listen", address}, {"upstream", echo.address()}});
    BOOST_TEST_REQUIRE(again.status == 201, "round " << round << ": " << again.body.dump());
  }
  Client client(address);
  BOOST_TEST(round_trip(client, "still forwards") == "still forwards");
}

// toxiproxy's POST /populate: links made, kept when unchanged, replaced when changed; the rest left alone.
BOOST_AUTO_TEST_CASE(populate_makes_keeps_and_replaces_links) {
  using outpost::http::Method;
  EchoServer echo, other_echo;
  FaultProxy proxy(FaultProxy::Options{});
  ApiHandler api(proxy);
  for (const char* name : {"kept", "moved", "untouched"})
    BOOST_TEST_REQUIRE(call(api, Method::Post, "/proxies", {{"name", name}, {"upstream", echo.address()}}).status ==
                       201);
  BOOST_TEST(call(api, Method::Post, "/proxies/kept/toxics", {{"type", "latency"}}).status == 200);
  BOOST_TEST(call(api, Method::Post, "/proxies/moved/toxics", {{"type", "latency"}}).status == 200);
  const std::string kept_at = call(api, Method::Get, "/proxies/kept").body["listen"];

  const auto populated = call(api, Method::Post, "/populate",
                              json::array({{{"name", "kept"}, {"listen", kept_at}, {"upstream", echo.address()}},
                                           {{"name", "moved"}, {"upstream", other_echo.address()}},
                                           {{"name", "fresh"}, {"upstream", echo.address()}, {"enabled", false}}}));
  BOOST_TEST_REQUIRE(populated.status == 201, populated.body.dump());
  const json& links = populated.body["proxies"];
  BOOST_TEST_REQUIRE(links.size() == 3u);
  BOOST_TEST(links[0]["name"] == "kept");
  BOOST_TEST(links[0]["listen"] == kept_at);
  BOOST_TEST(links[0]["toxics"].size() == 1u);  // kept as it was
  BOOST_TEST(links[1]["name"] == "moved");
  BOOST_TEST(links[1]["upstream"] == other_echo.address());
  BOOST_TEST(links[1]["toxics"] == json::array());  // a new link
  BOOST_TEST(links[2]["name"] == "fresh");
  BOOST_TEST(links[2]["enabled"] == false);
  BOOST_TEST(call(api, Method::Get, "/proxies").body.size() == 4u);  // "untouched" stays

  // Port 0 matches the port the link has: populating the same list twice changes nothing.
  const auto again = call(api, Method::Post, "/populate",
                          json::array({{{"name", "kept"}, {"listen", "127.0.0.1:0"}, {"upstream", echo.address()}}}));
  BOOST_TEST(again.status == 201);
  BOOST_TEST(again.body["proxies"][0]["listen"] == kept_at);
  BOOST_TEST(again.body["proxies"][0]["toxics"].size() == 1u);
  Client client(kept_at);
  BOOST_TEST(round_trip(client, "kept") == "kept");
}

BOOST_AUTO_TEST_CASE(populate_checks_every_link_before_changing_any) {
  using outpost::http::Method;
  EchoServer echo;
  FaultProxy proxy(FaultProxy::Options{});
  ApiHandler api(proxy);
  const json ok{{"name", "ok"}, {"upstream", echo.address()}};

  const auto twice = call(api, Method::Post, "/populate", json::array({ok, ok}));
  BOOST_TEST(twice.status == 400);
  BOOST_TEST(twice.body["error"] == "proxy ok is given twice");
  const auto unnamed = call(api, Method::Post, "/populate", json::array({ok, {{"upstream", echo.address()}}}));
  BOOST_TEST(unnamed.status == 400);
  BOOST_TEST(unnamed.body["error"] == "proxy 2: missing required field: name");
  const auto bad_listen = call(api, Method::Post, "/populate",
                               json::array({ok, {{"name", "x"}, {"listen", "no host:0"}, {"upstream", "a:1"}}}));
  BOOST_TEST(bad_listen.status == 400, bad_listen.body.dump());
  BOOST_TEST(call(api, Method::Get, "/proxies").body == json::object());  // none of them made "ok"
  BOOST_TEST(call(api, Method::Post, "/populate", ok).status == 400);     // an object, not an array
  BOOST_TEST(call(api, Method::Get, "/populate").status == 405);

  // An address taken by another program ends it there (409): the links before it are made and listed.
  const auto taken = call(api, Method::Post, "/populate",
                          json::array({ok, {{"name", "clash"}, {"listen", echo.address()}, {"upstream", "a:1"}}}));
  BOOST_TEST(taken.status == 409, taken.body.dump());
  BOOST_TEST(taken.body["error"].get<std::string>().starts_with("cannot listen on " + echo.address()));
  BOOST_TEST_REQUIRE(taken.body["proxies"].size() == 1u);
  BOOST_TEST(taken.body["proxies"][0]["name"] == "ok");
  BOOST_TEST(call(api, Method::Get, "/proxies/ok").status == 200);
  BOOST_TEST(call(api, Method::Get, "/proxies/clash").status == 404);
}

BOOST_AUTO_TEST_SUITE_END()
