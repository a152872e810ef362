#pragma once
// One named link of the fault proxy: its listening socket, its upstream, its state (enabled or down), its own
// bandwidth per stream (one LinkPacer each, shared by its connections), its toxics and its open connections. Internal
// to the proxy (Asio types in the interface); FaultProxy is the public face.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include "reference/live/proxy/fault_proxy.h"
#include "reference/live/proxy/link_counters.h"
#include "reference/live/proxy/link_pacer.h"
#include "reference/live/proxy/toxic_chain.h"

namespace outpost::live::proxy {

class Connection;

// What every link of one FaultProxy shares.
struct ProxySettings {
  uint64_t seed = 0;
  size_t max_buffered_bytes = 0;
  std::chrono::milliseconds connect_timeout{0};
};

// The address `spec` asks to listen on, once every field is checked. Throws ProxyError(400) for a bad name, upstream,
// bandwidth or listen address, as creating the link would; binds nothing.
boost::asio::ip::tcp::endpoint checked_listen_endpoint(boost::asio::io_context& io, const LinkSpec& spec);

class Link : public std::enable_shared_from_this<Link> {
 public:
  // Binds `listen` (spec.listen as checked_listen_endpoint gives it) at once, so the bound port is known on return.
  // Throws ProxyError(409) when the address cannot be bound.
  Link(boost::asio::io_context& io, const ProxySettings& settings, const LinkSpec& spec,
       const boost::asio::ip::tcp::endpoint& listen);
  ~Link();

  void start();  // begins accepting
  // Stops listening (the address is free on return) and closes every connection; thread-safe, idempotent.
  void close();

  LinkStatus status() const;
  const boost::asio::ip::tcp::endpoint& bound_endpoint() const { return bound_endpoint_; }
  void set_enabled(bool enabled);
  void set_upstream(const std::string& upstream);
  void set_bandwidth(Stream stream, uint64_t bytes_per_second);  // ProxyError(400) past kMaxLinkBandwidth

  Toxic add_toxic(const Toxic& toxic);
  Toxic update_toxic(std::string_view name, const nlohmann::json& changes);
  void remove_toxic(std::string_view name);
  void remove_all_toxics();
  Toxic toxic(std::string_view name) const;
  std::vector<Toxic> toxics() const;

  CounterBoard& counters() { return counters_; }

  // For its connections.
  const std::string& name() const { return name_; }
  const ProxySettings& settings() const { return settings_; }
  std::string upstream() const;
  std::shared_ptr<const ToxicList> toxic_list() const;
  std::shared_ptr<LinkPacer> pacer(Stream stream) const { return stream == Stream::Upstream ? up_rate_ : down_rate_; }
  void forget(const Connection* connection);

 private:
  boost::asio::awaitable<void> accept_loop(std::shared_ptr<Link> self);
  void publish(ToxicList list, std::unique_lock<std::mutex>& lock);  // swaps the list in, tells every connection
  std::vector<std::shared_ptr<Connection>> open_connections() const;  // with mutex_ held
  static void close_all(const std::vector<std::shared_ptr<Connection>>& connections);

  boost::asio::io_context& io_;
  const ProxySettings settings_;
  const std::string name_;
  boost::asio::strand<boost::asio::io_context::executor_type> strand_;  // the acceptor's
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ip::tcp::endpoint bound_endpoint_;
  CounterBoard counters_;
  const std::shared_ptr<LinkPacer> up_rate_ = std::make_shared<LinkPacer>();    // the link's own bandwidth, per stream
  const std::shared_ptr<LinkPacer> down_rate_ = std::make_shared<LinkPacer>();

  mutable std::mutex mutex_;
  bool enabled_ = true;
  bool closed_ = false;
  LinkBandwidth bandwidth_;  // what the pacers were set to, as the API shows it
  std::string upstream_;
  uint64_t accepted_ = 0;  // connection numbers, for toxicity draws
  std::shared_ptr<const ToxicList> toxics_;
  uint64_t next_toxic_id_ = 1;
  uint64_t next_revision_ = 1;
  std::unordered_map<const Connection*, std::weak_ptr<Connection>> connections_;
};

}  // namespace outpost::live::proxy
