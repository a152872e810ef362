// WorldNetwork over sim::SimNetwork: the scenario's link and NIC specs become the network's links and NICs. Hosts
// with no link (a node's clients, the operator) reach their node over an ideal one.
#include "simulator/net/sim_network.h"
#include "simulator/world/world_network.h"

namespace outpost::sim::world {

namespace {

class SimWorldNetwork final : public WorldNetwork {
 public:
  SimWorldNetwork(EventLoop& loop, uint64_t seed) : random_(seed), network_(loop, random_) {}

  void attach(const std::string& authority, http::Handler& handler) override { network_.attach(authority, handler); }
  void detach(const std::string& authority) override { network_.detach(authority); }
  void set_down(const std::string& authority, bool down) override { network_.set_down(authority, down); }
  void set_link_down(const std::string& from, const std::string& authority, bool down) override {
    network_.set_link_down(from, authority, down);
  }
  void client_died(const std::string& from) override { network_.client_died(from); }
  http::HttpClient& client(const std::string& from) override { return network_.client(from); }

  void configure_link(const std::string& child, const std::string& parent, const LinkSpec& spec) override {
    const Latency latency = spec.jitter > Nanoseconds(0) ? Latency::uniform(spec.latency, spec.latency + spec.jitter)
                                                          : Latency::fixed(spec.latency);
    network_.set_link(child, parent, sim::LinkSpec::symmetric(latency, spec.bandwidth));
  }
  void set_nic(const std::string& host, const NicSpec& spec) override {
    network_.set_nic(host, spec.bandwidth, spec.bandwidth);
  }
  std::string kind() const override { return "simulated"; }
  SimNetwork* sim_network() override { return &network_; }

 private:
  SeededRandom random_;
  SimNetwork network_;
};

}  // namespace

std::unique_ptr<WorldNetwork> make_simulated_network(EventLoop& loop, uint64_t seed) {
  return std::make_unique<SimWorldNetwork>(loop, seed);
}

}  // namespace outpost::sim::world
