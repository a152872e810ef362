#include "reference/live/proxy/link.h"

#include <algorithm>
#include <future>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "reference/common/log.h"
#include "reference/live/proxy/address.h"
#include "reference/live/proxy/connection.h"
#include "reference/live/proxy/proxy_error.h"
#include "reference/live/use_tuple.h"

namespace outpost::live::proxy {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

std::string format_endpoint(const tcp::endpoint& endpoint) {
  const std::string ip = endpoint.address().to_string();
  const std::string port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + ip + "]:" + port : ip + ":" + port;
}

constexpr auto kCloseWait = std::chrono::seconds(5);

ProxyError toxic_not_found() { return ProxyError(404, "toxic not found"); }

void check_bandwidth(uint64_t bytes_per_second) {
  if (bytes_per_second > kMaxLinkBandwidth)
    throw ProxyError(400, "a link's bandwidth is at most " + std::to_string(kMaxLinkBandwidth) + " bytes/s");
}
}  // namespace

tcp::endpoint checked_listen_endpoint(asio::io_context& io, const LinkSpec& spec) {
  if (!is_valid_name(spec.name)) throw ProxyError(400, "proxy name must be " + std::string(toxics::kNameRule));
  if (spec.upstream.empty()) throw ProxyError(400, "missing required field: upstream");
  split_host_port(spec.upstream, "upstream");
  for (const Stream stream : {Stream::Upstream, Stream::Downstream}) check_bandwidth(spec.bandwidth.of(stream));
  const auto [host, port] = split_host_port(spec.listen, "listen");
  try {
    tcp::resolver resolver(io);
    return resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service).begin()->endpoint();
  } catch (const boost::system::system_error& error) {
    // An address that names no host is the request's fault (400), unlike one that cannot be bound now (409).
    throw ProxyError(400, "bad listen address " + spec.listen + ": " + error.code().message());
  }
}

Link::Link(asio::io_context& io, const ProxySettings& settings, const LinkSpec& spec, const tcp::endpoint& listen)
    : io_(io),
      settings_(settings),
      name_(spec.name),
      strand_(asio::make_strand(io)),
      acceptor_(strand_),
      enabled_(spec.enabled),
      bandwidth_(spec.bandwidth),
      upstream_(spec.upstream),
      toxics_(std::make_shared<const ToxicList>()) {
  for (const Stream stream : {Stream::Upstream, Stream::Downstream})
    pacer(stream)->set_rate(static_cast<double>(spec.bandwidth.of(stream)));
  try {
    acceptor_.open(listen.protocol());
    acceptor_.set_option(asio::socket_base::reuse_address(true));
    acceptor_.bind(listen);
    acceptor_.listen(asio::socket_base::max_listen_connections);
    bound_endpoint_ = acceptor_.local_endpoint();
  } catch (const boost::system::system_error& error) {
    throw ProxyError(409, "cannot listen on " + spec.listen + ": " + error.code().message());
  }
}

Link::~Link() = default;

void Link::start() { asio::co_spawn(strand_, accept_loop(shared_from_this()), asio::detached); }

asio::awaitable<void> Link::accept_loop(std::shared_ptr<Link> self) {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), use_tuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
      // Typically EMFILE: pause rather than spin on an error that lasts until connections close.
      log::warn("fault proxy: accept failed", {{"link", name_}, {"error", ec.message()}});
      asio::steady_timer pause(strand_, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    std::shared_ptr<Connection> connection;
    bool refused = false;
    {
      std::lock_guard lock(mutex_);
      if (closed_) break;
      if (!enabled_) {
        refused = true;
      } else {
        connection = std::make_shared<Connection>(self, std::move(socket), ++accepted_);
        connections_.emplace(connection.get(), connection);
        counters_.add(CounterBoard::Active);
        counters_.add(CounterBoard::Total);
      }
    }
    if (refused) {
      // Down: the connection is reset as soon as accepted, so the client fails at once and the refusal is counted
      // (a closed listener would refuse in the kernel, where nobody counts).
      error_code option_ec;
      socket.set_option(asio::socket_base::linger(true, 0), option_ec);
      socket.close(option_ec);
      counters_.add(CounterBoard::Refused);
      continue;
    }
    connection->start();
  }
}

void Link::close() {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    open = open_connections();
  }
  // The listener is closed on its strand, where the accept loop uses it, and this waits for that: the address is free
  // on return, so a link deleted and created again on the same address (or replaced by populate) can bind it.
  auto listener_closed = std::make_shared<std::promise<void>>();
  std::future<void> done = listener_closed->get_future();
  asio::dispatch(strand_, [self = shared_from_this(), listener_closed] {
    error_code ec;
    self->acceptor_.close(ec);
    listener_closed->set_value();
  });
  // Bounded: the proxy's threads always run while links are open (FaultProxy::stop closes links before it ends them).
  done.wait_for(kCloseWait);
  close_all(open);
}

std::vector<std::shared_ptr<Connection>> Link::open_connections() const {
  std::vector<std::shared_ptr<Connection>> open;
  for (const auto& [raw, weak] : connections_)
    if (auto connection = weak.lock()) open.push_back(std::move(connection));
  return open;
}

void Link::close_all(const std::vector<std::shared_ptr<Connection>>& connections) {
  for (const auto& connection : connections) connection->close();
}

void Link::forget(const Connection* connection) {
  std::lock_guard lock(mutex_);
  connections_.erase(connection);
}

LinkStatus Link::status() const {
  LinkStatus status;
  status.name = name_;
  status.listen = format_endpoint(bound_endpoint_);
  {
    std::lock_guard lock(mutex_);
    status.upstream = upstream_;
    status.enabled = enabled_;
    status.bandwidth = bandwidth_;
    for (const auto& entry : *toxics_) status.toxics.push_back(entry->toxic);
  }
  status.counters = counters_.snapshot();
  return status;
}

void Link::set_enabled(bool enabled) {
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(mutex_);
    if (enabled_ == enabled) return;
    enabled_ = enabled;
    if (!enabled) open = open_connections();
  }
  close_all(open);
}

void Link::set_upstream(const std::string& upstream) {
  split_host_port(upstream, "upstream");
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(mutex_);
    if (upstream_ == upstream) return;
    upstream_ = upstream;
    open = open_connections();
  }
  close_all(open);
}

void Link::set_bandwidth(Stream stream, uint64_t bytes_per_second) {
  check_bandwidth(bytes_per_second);
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(mutex_);
    bandwidth_.of(stream) = bytes_per_second;
    if (!pacer(stream)->set_rate(static_cast<double>(bytes_per_second))) return;
    open = open_connections();
  }
  // Writers waiting for a slot booked at the old rate plan again (a refresh cancels their wait), and book on the new
  // schedule.
  for (const auto& connection : open) connection->refresh();
}

std::string Link::upstream() const {
  std::lock_guard lock(mutex_);
  return upstream_;
}

std::shared_ptr<const ToxicList> Link::toxic_list() const {
  std::lock_guard lock(mutex_);
  return toxics_;
}

void Link::publish(ToxicList list, std::unique_lock<std::mutex>& lock) {
  toxics_ = std::make_shared<const ToxicList>(std::move(list));
  const auto open = open_connections();
  lock.unlock();
  for (const auto& connection : open) connection->refresh();
}

Toxic Link::add_toxic(const Toxic& toxic) {
  std::unique_lock lock(mutex_);
  for (const auto& entry : *toxics_)
    if (entry->toxic.name == toxic.name) throw ProxyError(409, "toxic already exists");
  ToxicList list = *toxics_;
  list.push_back(std::make_shared<const ToxicEntry>(ToxicEntry{next_toxic_id_++, next_revision_++, toxic}));
  publish(std::move(list), lock);
  return toxic;
}

Toxic Link::update_toxic(std::string_view name, const nlohmann::json& changes) {
  std::unique_lock lock(mutex_);
  ToxicList list = *toxics_;
  const auto it = std::find_if(list.begin(), list.end(), [&](const auto& entry) { return entry->toxic.name == name; });
  if (it == list.end()) throw toxic_not_found();
  Toxic updated = toxic_updated((*it)->toxic, changes);
  *it = std::make_shared<const ToxicEntry>(ToxicEntry{(*it)->id, next_revision_++, updated});
  publish(std::move(list), lock);
  return updated;
}

void Link::remove_toxic(std::string_view name) {
  std::unique_lock lock(mutex_);
  ToxicList list = *toxics_;
  const auto it = std::find_if(list.begin(), list.end(), [&](const auto& entry) { return entry->toxic.name == name; });
  if (it == list.end()) throw toxic_not_found();
  list.erase(it);
  publish(std::move(list), lock);
}

void Link::remove_all_toxics() {
  std::unique_lock lock(mutex_);
  if (toxics_->empty()) return;
  publish({}, lock);
}

Toxic Link::toxic(std::string_view name) const {
  std::lock_guard lock(mutex_);
  for (const auto& entry : *toxics_)
    if (entry->toxic.name == name) return entry->toxic;
  throw toxic_not_found();
}

std::vector<Toxic> Link::toxics() const {
  std::lock_guard lock(mutex_);
  std::vector<Toxic> out;
  for (const auto& entry : *toxics_) out.push_back(entry->toxic);
  return out;
}

}  // namespace outpost::live::proxy
