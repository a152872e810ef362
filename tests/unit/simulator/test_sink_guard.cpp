// A response body sink that throws (a blob download onto a full disk) ends that exchange with a transport error
// carrying its message, on both simulated networks, as the live client does; the loop goes on, and so does the client.
#include <boost/test/unit_test.hpp>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "reference/common/random.h"
#include "simulator/engine/event_loop.h"
#include "simulator/net/direct_client.h"
#include "simulator/net/sim_network.h"

using namespace outpost;
using namespace outpost::sim;

namespace {

class Blobs final : public http::Handler {
 public:
  std::unique_ptr<http::Call> start(http::Request) override {
    http::Response response;
    response.status = 200;
    response.stream = std::make_unique<http::StringBody>(std::string(300'000, 'b'));
    return http::respond_now(std::move(response));
  }
};

// Takes `room` bytes, then throws like a storage that ran out of space.
struct FullSink final : http::BodySink {
  explicit FullSink(size_t room) : room(room) {}
  void write(std::string_view piece) override {
    if (taken + piece.size() > room) throw std::runtime_error("no space left on the storage device");
    taken += piece.size();
    ++writes;
  }
  size_t room, taken = 0;
  int writes = 0;
};

template <typename Network>
std::optional<http::ClientResult> fetch(EventLoop& loop, Network& network, std::shared_ptr<http::BodySink> sink) {
  std::optional<http::ClientResult> outcome;
  http::ClientRequest request;
  request.authority = "server:5000";
  request.target = "/blob";
  network.client("client").send(std::move(request), std::move(sink),
                                [&outcome](http::ClientResult result) { outcome = std::move(result); });
  loop.run();
  return outcome;
}

template <typename Network>
void check_a_throwing_sink_fails_only_its_exchange(EventLoop& loop, Network& network) {
  Blobs blobs;
  network.attach("server:5000", blobs);
  auto full = std::make_shared<FullSink>(1000);
  const auto failed = fetch(loop, network, full);
  BOOST_REQUIRE(failed.has_value());
  BOOST_TEST(!failed->ok());
  BOOST_TEST(failed->transport_error == "no space left on the storage device (http://server:5000)");
  BOOST_TEST(full->taken == 0u);  // the first piece did not fit; nothing after it was offered

  auto roomy = std::make_shared<FullSink>(1'000'000);
  const auto fine = fetch(loop, network, roomy);
  BOOST_REQUIRE(fine.has_value());
  BOOST_TEST(fine->ok());
  BOOST_TEST(roomy->taken == 300'000u);
  network.detach("server:5000");
}

}  // namespace

BOOST_AUTO_TEST_SUITE(sink_guard)

BOOST_AUTO_TEST_CASE(on_the_direct_network) {
  EventLoop loop;
  DirectNetwork network(loop);
  check_a_throwing_sink_fails_only_its_exchange(loop, network);
}

BOOST_AUTO_TEST_CASE(on_the_simulated_network) {
  EventLoop loop;
  SeededRandom random(1);
  SimNetwork network(loop, random);
  network.set_link("client", "server", LinkSpec::symmetric(Latency::fixed(std::chrono::milliseconds(5)), 1'000'000));
  check_a_throwing_sink_fails_only_its_exchange(loop, network);
}

BOOST_AUTO_TEST_SUITE_END()
