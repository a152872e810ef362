#include "reference/live/proxy/fault_proxy.h"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include "reference/live/proxy/link.h"

namespace outpost::live::proxy {

namespace asio = boost::asio;

namespace {
// How long stop() lets connections wind down (every pending operation is cancelled, so this is a safety net).
constexpr auto kStopGrace = std::chrono::seconds(5);
}  // namespace

nlohmann::json to_json(const LinkStatus& status) {
  nlohmann::json toxics = nlohmann::json::array();
  for (const auto& toxic : status.toxics) toxics.push_back(to_json(toxic));
  return {{"name", status.name},
          {"listen", status.listen},
          {"upstream", status.upstream},
          {"enabled", status.enabled},
          {"bandwidth", {{"upstream", status.bandwidth.upstream}, {"downstream", status.bandwidth.downstream}}},
          {"toxics", std::move(toxics)},
          {"counters", to_json(status.counters)}};
}

struct FaultProxy::Impl {
  explicit Impl(const Options& opts)
      : options(opts),
        settings{opts.seed, opts.max_buffered_bytes, opts.connect_timeout},
        work(asio::make_work_guard(io)) {
    const unsigned count = std::max(1u, options.threads);
    running = count;
    for (unsigned i = 0; i < count; ++i)
      threads.emplace_back([this] {
        io.run();
        std::lock_guard lock(threads_mutex);
        --running;
        threads_done.notify_all();
      });
  }

  // A new link, listening and added, from a spec checked into `listen`; with `mutex` held.
  std::shared_ptr<Link> open(const LinkSpec& spec, const asio::ip::tcp::endpoint& listen) {
    auto link = std::make_shared<Link>(io, settings, spec, listen);
    link->start();
    links.emplace(spec.name, link);
    return link;
  }

  std::shared_ptr<Link> find(std::string_view name) const {
    std::lock_guard lock(mutex);
    if (stopped) throw ProxyError(503, "the fault proxy is stopped");
    const auto it = links.find(name);
    if (it == links.end()) throw ProxyError(404, "proxy not found");
    return it->second;
  }

  Options options;
  ProxySettings settings;
  asio::io_context io;  // declared before everything that uses it, so destroyed after
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;

  std::mutex threads_mutex;
  std::condition_variable threads_done;
  unsigned running = 0;
  std::vector<std::thread> threads;

  mutable std::mutex mutex;
  bool stopped = false;
  std::map<std::string, std::shared_ptr<Link>, std::less<>> links;
};

FaultProxy::FaultProxy(Options options) : impl_(std::make_unique<Impl>(options)) {}

FaultProxy::~FaultProxy() { stop(); }

LinkStatus FaultProxy::create_link(const LinkSpec& spec) {
  std::lock_guard lock(impl_->mutex);
  if (impl_->stopped) throw ProxyError(503, "the fault proxy is stopped");
  if (impl_->links.contains(spec.name)) throw ProxyError(409, "proxy already exists");
  return impl_->open(spec, checked_listen_endpoint(impl_->io, spec))->status();
}

std::vector<LinkStatus> FaultProxy::links() const {
  std::vector<std::shared_ptr<Link>> links;
  {
    std::lock_guard lock(impl_->mutex);
    for (const auto& [name, link] : impl_->links) links.push_back(link);
  }
  std::vector<LinkStatus> out;
  for (const auto& link : links) out.push_back(link->status());
  return out;
}

LinkStatus FaultProxy::link(std::string_view name) const { return impl_->find(name)->status(); }

LinkStatus FaultProxy::update_link(std::string_view name, std::optional<bool> enabled,
                                   std::optional<std::string> upstream) {
  const auto link = impl_->find(name);
  if (upstream) link->set_upstream(*upstream);
  if (enabled) link->set_enabled(*enabled);
  return link->status();
}

LinkStatus FaultProxy::set_link_bandwidth(std::string_view name, Stream stream, uint64_t bytes_per_second) {
  const auto link = impl_->find(name);
  link->set_bandwidth(stream, bytes_per_second);
  return link->status();
}

void FaultProxy::remove_link(std::string_view name) {
  std::shared_ptr<Link> link;
  {
    std::lock_guard lock(impl_->mutex);
    const auto it = impl_->links.find(name);
    if (it == impl_->links.end()) throw ProxyError(404, "proxy not found");
    link = it->second;
    impl_->links.erase(it);
  }
  link->close();
}

Toxic FaultProxy::add_toxic(std::string_view link, const Toxic& toxic) { return impl_->find(link)->add_toxic(toxic); }

Toxic FaultProxy::update_toxic(std::string_view link, std::string_view toxic, const nlohmann::json& changes) {
  return impl_->find(link)->update_toxic(toxic, changes);
}

Toxic FaultProxy::toxic(std::string_view link, std::string_view toxic) const {
  return impl_->find(link)->toxic(toxic);
}

std::vector<Toxic> FaultProxy::toxics(std::string_view link) const { return impl_->find(link)->toxics(); }

void FaultProxy::remove_toxic(std::string_view link, std::string_view toxic) {
  impl_->find(link)->remove_toxic(toxic);
}

FaultProxy::Populated FaultProxy::populate(const std::vector<LinkSpec>& specs) {
  std::vector<asio::ip::tcp::endpoint> wanted;
  std::set<std::string_view> names;
  for (const LinkSpec& spec : specs) {
    wanted.push_back(checked_listen_endpoint(impl_->io, spec));
    if (!names.insert(spec.name).second) throw ProxyError(400, "proxy " + spec.name + " is given twice");
  }
  Populated result;
  std::lock_guard lock(impl_->mutex);  // one populate, whole, between other calls
  if (impl_->stopped) throw ProxyError(503, "the fault proxy is stopped");
  for (size_t i = 0; i < specs.size(); ++i) {
    const LinkSpec& spec = specs[i];
    if (const auto it = impl_->links.find(spec.name); it != impl_->links.end()) {
      const std::shared_ptr<Link>& existing = it->second;
      const auto& bound = existing->bound_endpoint();
      const bool same_listen =
          wanted[i].address() == bound.address() && (wanted[i].port() == 0 || wanted[i].port() == bound.port());
      if (same_listen && existing->upstream() == spec.upstream) {
        result.links.push_back(existing->status());
        continue;
      }
      existing->close();  // frees its address before the new link binds it
      impl_->links.erase(it);
    }
    try {
      result.links.push_back(impl_->open(spec, wanted[i])->status());
    } catch (const ProxyError& error) {
      result.error = error;
      break;
    }
  }
  return result;
}

void FaultProxy::reset() {
  std::vector<std::shared_ptr<Link>> links;
  {
    std::lock_guard lock(impl_->mutex);
    for (const auto& [name, link] : impl_->links) links.push_back(link);
  }
  for (const auto& link : links) {
    link->remove_all_toxics();
    link->set_enabled(true);
  }
}

bool FaultProxy::wait_for(std::string_view link, const std::function<bool(const LinkCounters&)>& condition,
                          std::chrono::milliseconds timeout) const {
  return impl_->find(link)->counters().wait_for(condition, timeout);
}

void FaultProxy::stop() {
  std::map<std::string, std::shared_ptr<Link>, std::less<>> links;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->stopped) return;
    impl_->stopped = true;
    links.swap(impl_->links);
  }
  for (const auto& [name, link] : links) link->close();
  impl_->work.reset();
  {
    // Closing cancels every pending operation, so the threads run out of work; a handler that still lingers past the
    // grace period is not worth hanging shutdown for.
    std::unique_lock lock(impl_->threads_mutex);
    if (!impl_->threads_done.wait_for(lock, kStopGrace, [this] { return impl_->running == 0; })) impl_->io.stop();
  }
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

}  // namespace outpost::live::proxy
