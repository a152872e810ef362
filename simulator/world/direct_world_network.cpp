// WorldNetwork over sim::DirectNetwork. Link and NIC specs are kept (a report can show them) but nothing applies them:
// the direct network delivers every request at once. The simulated network's adapter will apply them.
#include <map>

#include "simulator/net/direct_client.h"
#include "simulator/world/world_network.h"

namespace outpost::sim::world {

namespace {

class DirectWorldNetwork final : public WorldNetwork {
 public:
  explicit DirectWorldNetwork(EventLoop& loop) : network_(loop) {}

  void attach(const std::string& authority, http::Handler& handler) override { network_.attach(authority, handler); }
  void detach(const std::string& authority) override { network_.detach(authority); }
  void set_down(const std::string& authority, bool down) override { network_.set_down(authority, down); }
  void set_link_down(const std::string& from, const std::string& authority, bool down) override {
    network_.set_link_down(from, authority, down);
  }
  http::HttpClient& client(const std::string& from) override { return network_.client(from); }

  void configure_link(const std::string& child, const std::string& parent, const LinkSpec& spec) override {
    links_[{child, parent}] = spec;
  }
  void set_nic(const std::string& host, const NicSpec& spec) override { nics_[host] = spec; }
  std::string kind() const override { return "direct"; }

 private:
  DirectNetwork network_;
  std::map<std::pair<std::string, std::string>, LinkSpec> links_;
  std::map<std::string, NicSpec> nics_;
};

}  // namespace

std::unique_ptr<WorldNetwork> make_direct_network(EventLoop& loop) {
  return std::make_unique<DirectWorldNetwork>(loop);
}

}  // namespace outpost::sim::world
