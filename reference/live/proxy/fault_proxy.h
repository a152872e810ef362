#pragma once
// A TCP fault proxy in the manner of toxiproxy (Shopify/toxiproxy), for the links between connected registries: named
// links, each listening on an address and forwarding every connection to an upstream, with toxics (latency, bandwidth,
// timeout, reset_peer, limit_data, slicer, slow_close) that act on either stream of each connection, a link state
// (enabled, or down) and, ours, a link-wide bandwidth per stream that all the link's connections share.
// It runs on its own io_context and threads; every method is thread-safe. Asio stays in the .cpp files: this header is
// what the CLI and the control API include.
//
// Toxicity decisions (whether a toxic with toxicity < 1 applies to a connection) are drawn from Options::seed (see
// toxicity.h), so a run replays the same decisions with the same seed.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/live/proxy/link_counters.h"
#include "reference/live/proxy/proxy_error.h"
#include "reference/live/proxy/toxic.h"

namespace outpost::live::proxy {

// A link's own bandwidth, bytes per second per stream (0: unlimited), shared by all its connections: two connections
// moving data at once get about half each, where a bandwidth toxic gives each connection its whole rate. Not a toxic
// (toxiproxy's toxics act on each connection alone), so POST /reset keeps it: it is the link's shape, not a fault.
struct LinkBandwidth {
  uint64_t upstream = 0;    // client -> server
  uint64_t downstream = 0;  // server -> client
  uint64_t& of(Stream stream) { return stream == Stream::Upstream ? upstream : downstream; }
  uint64_t of(Stream stream) const { return stream == Stream::Upstream ? upstream : downstream; }
  bool operator==(const LinkBandwidth&) const = default;
};
inline constexpr uint64_t kMaxLinkBandwidth = uint64_t{1} << 53;  // bytes per second: exact in a JSON double

struct LinkSpec {
  std::string name;                   // [A-Za-z0-9._-], unique
  std::string listen = "127.0.0.1:0";  // HOST:PORT; port 0 picks a free port (reported by LinkStatus::listen)
  std::string upstream;               // HOST:PORT, resolved for each new connection
  bool enabled = true;
  LinkBandwidth bandwidth;            // unlimited by default
};

struct LinkStatus {
  std::string name;
  std::string listen;  // the bound address, "127.0.0.1:41234"
  std::string upstream;
  bool enabled = true;
  LinkBandwidth bandwidth;
  LinkCounters counters;
  std::vector<Toxic> toxics;  // in the order they were added
};
// toxiproxy's proxy object {name, listen, upstream, enabled, toxics} plus our "bandwidth" ({"upstream": bytes/s,
// "downstream": bytes/s}) and "counters".
nlohmann::json to_json(const LinkStatus& status);

class FaultProxy {
 public:
  struct Options {
    uint64_t seed = 0;
    unsigned threads = 1;  // event-loop threads for all links
    // Bytes a stream may hold between reading them and forwarding them (held by latency or bandwidth); past it the
    // proxy stops reading, so the sender feels back-pressure instead of the proxy buffering without bound.
    size_t max_buffered_bytes = 4 * 1024 * 1024;
    std::chrono::milliseconds connect_timeout{10'000};  // to the upstream, per connection
  };

  explicit FaultProxy(Options options);
  ~FaultProxy();  // stop()
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // Every method below throws ProxyError: 400 for a malformed request, 404 for an unknown link or toxic, 409 for a
  // name already in use or an address that cannot be bound.

  LinkStatus create_link(const LinkSpec& spec);
  std::vector<LinkStatus> links() const;  // by name
  LinkStatus link(std::string_view name) const;
  // enabled=false takes the link down: every open connection is closed and new ones are reset as soon as accepted
  // (and counted as refused); enabled=true accepts again. A new upstream closes the open connections (as toxiproxy
  // does) and applies to the next ones.
  LinkStatus update_link(std::string_view name, std::optional<bool> enabled, std::optional<std::string> upstream);
  void remove_link(std::string_view name);  // closes its listener and its connections
  // The link's own bandwidth on one stream (0: unlimited; at most kMaxLinkBandwidth, else 400). It applies at once to
  // the open connections too: from the next piece each writes, they share the new rate.
  LinkStatus set_link_bandwidth(std::string_view name, Stream stream, uint64_t bytes_per_second);

  // A toxic applies to the bytes that flow after it is added, on open connections too.
  Toxic add_toxic(std::string_view link, const Toxic& toxic);
  Toxic update_toxic(std::string_view link, std::string_view toxic, const nlohmann::json& changes);
  Toxic toxic(std::string_view link, std::string_view toxic) const;
  std::vector<Toxic> toxics(std::string_view link) const;
  void remove_toxic(std::string_view link, std::string_view toxic);

  // toxiproxy's POST /populate: makes each spec's link exist, in order. A link of that name that already listens where
  // the spec says (its address, or any port of that host when the spec's port is 0) and forwards to the same upstream
  // is kept as it is (state, toxics, bandwidth, counters and open connections); any other link of that name is
  // replaced: closed, then created from the spec. Links the specs do not name stay. Every spec is checked before
  // anything changes (throws ProxyError 400, also for a name given twice). An address that cannot be bound ends it
  // there: the result holds the links made or kept before it and that error (409).
  struct Populated {
    std::vector<LinkStatus> links;  // in the specs' order
    std::optional<ProxyError> error;
  };
  Populated populate(const std::vector<LinkSpec>& specs);

  void reset();  // toxiproxy's POST /reset: every link enabled, every toxic removed (link bandwidths stay)

  // Blocks until `condition` holds for the link's counters or `timeout` passes; returns whether it held.
  bool wait_for(std::string_view link, const std::function<bool(const LinkCounters&)>& condition,
                std::chrono::milliseconds timeout) const;

  // Closes every link and connection and ends the threads. Idempotent; afterwards every method throws.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace outpost::live::proxy
