#pragma once
// The world's view of the network: the few operations a World needs to wire hosts together and to break links. It is
// an interface of the world's own so the network underneath can change (today the direct network, which ignores link
// specs; the simulated network with latency, bandwidth and toxics next) without the world changing: switching is one
// new adapter.
#include <cstdint>
#include <memory>
#include <string>

#include "reference/common/clock.h"
#include "reference/common/http.h"
#include "reference/common/http_client.h"

namespace outpost::sim {
class EventLoop;
class SimNetwork;
}

namespace outpost::sim::world {

// One child -> parent link, as a scenario describes it (docs/simulator.md, "Scenario format").
struct LinkSpec {
  Nanoseconds latency{0};  // one way, fixed part
  Nanoseconds jitter{0};   // one way, uniform extra in [0, jitter]
  uint64_t bandwidth = 0;  // bytes per second in each direction; 0 = unlimited
  bool operator==(const LinkSpec&) const = default;
};

// A host's network interface: every transfer in or out of the host shares it.
struct NicSpec {
  uint64_t bandwidth = 0;  // bytes per second; 0 = unlimited
  bool operator==(const NicSpec&) const = default;
};

class WorldNetwork {
 public:
  virtual ~WorldNetwork() = default;

  // Requests to `authority` ("name:port") reach `handler` until detached; a detached authority refuses connections.
  virtual void attach(const std::string& authority, http::Handler& handler) = 0;
  virtual void detach(const std::string& authority) = 0;
  // A down authority refuses connections (a stopped process); a down link refuses requests from host `from` to
  // `authority` only (a cut cable).
  virtual void set_down(const std::string& authority, bool down) = 0;
  virtual void set_link_down(const std::string& from, const std::string& authority, bool down) = 0;
  // The process of host `from` died: what it was receiving stops where it is, what had arrived written first
  // (SimNetwork::client_died). The direct network moves every body at once: nothing is ever half-received there.
  virtual void client_died(const std::string& from) { (void)from; }
  // The HTTP client of host `from` (its name is what servers see as the remote address).
  virtual http::HttpClient& client(const std::string& from) = 0;

  // The link between host `child` and host `parent` (both directions), and a host's interface.
  virtual void configure_link(const std::string& child, const std::string& parent, const LinkSpec& spec) = 0;
  virtual void set_nic(const std::string& host, const NicSpec& spec) = 0;

  // A name for reports: which network carried the run ("direct", ...).
  virtual std::string kind() const = 0;

  // The simulated network underneath, for what drives or reads its own faults (toxics, jams, lost responses: the
  // fault injector, the Python bindings' list of toxics); null when there is none (the direct network).
  virtual SimNetwork* sim_network() { return nullptr; }
};

// The direct network (simulator/net/direct_client.h): no delay, no bandwidth; link specs are recorded, not applied.
std::unique_ptr<WorldNetwork> make_direct_network(EventLoop& loop);
// The simulated network (simulator/net/sim_network.h): links with latency (fixed, or uniform with jitter) and
// max-min fair bandwidth, NICs; its draws come from its own stream seeded with `seed`.
std::unique_ptr<WorldNetwork> make_simulated_network(EventLoop& loop, uint64_t seed);

}  // namespace outpost::sim::world
