#include "reference/cli/serve_command.h"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>

#include "reference/cli/data_dir_lock.h"
#include "reference/registry/host_guard.h"
#include "reference/common/log.h"
#include "reference/common/metrics.h"
#include "reference/live/server.h"
#include "reference/live/signals.h"
#include "reference/registry/registry.h"
#include "reference/storage/storage.h"

namespace outpost::cli {

namespace {
// Storage totals for /metrics, recomputed at most every 10 s so a scrape never walks a large store twice in a row.
class StorageGauge {
 public:
  explicit StorageGauge(storage::Storage& storage) : storage_(storage) {}
  void render(std::string& out) {
    std::lock_guard lock(mutex_);
    const auto now = std::chrono::steady_clock::now();
    if (!computed_ || now - computed_at_ > std::chrono::seconds(10)) {
      bytes_ = 0;
      count_ = 0;
      for (const auto& blob : storage_.blobs->list()) bytes_ += blob.size, ++count_;
      computed_at_ = now;
      computed_ = true;
    }
    out += "# HELP outpost_storage_blob_bytes Bytes of blob content stored on this node.\n"
           "# TYPE outpost_storage_blob_bytes gauge\noutpost_storage_blob_bytes " + std::to_string(bytes_) + "\n" +
           "# HELP outpost_storage_blobs Blobs stored on this node.\n"
           "# TYPE outpost_storage_blobs gauge\noutpost_storage_blobs " + std::to_string(count_) + "\n";
  }

 private:
  storage::Storage& storage_;
  std::mutex mutex_;
  bool computed_ = false;
  std::chrono::steady_clock::time_point computed_at_;
  uint64_t bytes_ = 0, count_ = 0;
};

live::Server::Options server_options(const ServeOptions& options, const std::string& listen, metrics::Registry* registry) {
  live::Server::Options server;
  server.listen = listen;
  server.threads = options.threads;
  server.tls_cert_file = options.tls_cert;
  server.tls_key_file = options.tls_key;
  server.metrics = registry;
  return server;
}
}  // namespace

int run_serve(const ServeOptions& options, std::function<void(const std::string&)> on_listening,
              std::function<void(std::function<void()>)> stop_request) {
  // The "listening" line is printed whatever the level (tools and tests wait for it); the level applies after it.
  const log::Level level = log::parse_level(options.log_level);
  log::set_level(log::Level::Info);
  if (options.tls_cert.empty() != options.tls_key.empty())
    throw std::runtime_error("--tls-cert and --tls-key go together");
  DataDirLock lock(options.data);
  SystemClock clock;
  SystemRandom random;
  auto storage = storage::open_disk_storage(options.data, clock, random);

  metrics::Registry metrics;
  StorageGauge storage_gauge(*storage);
  metrics.add_collector([&](std::string& out) { storage_gauge.render(out); });

  registry::OpenAccess policy;  // tokens arrive with the token issue; until then the node serves anonymously
  registry::RegistryOptions registry_options;
  if (options.metrics_listen.empty()) registry_options.metrics_text = [&] { return metrics.render(); };
  registry::Registry registry(*storage, clock, random, policy, registry_options);
  registry::HostGuard guarded(registry, options.login_server);

  live::Server server(server_options(options, options.listen, &metrics), guarded);
  std::optional<registry::Registry> metrics_only;
  std::unique_ptr<live::Server> metrics_server;
  registry::RegistryOptions metrics_options;
  if (!options.metrics_listen.empty()) {
    metrics_options.metrics_text = [&] { return metrics.render(); };
    metrics_only.emplace(*storage, clock, random, policy, metrics_options);
    live::Server::Options plain = server_options(options, options.metrics_listen, nullptr);
    plain.tls_cert_file.clear(), plain.tls_key_file.clear();
    metrics_server = std::make_unique<live::Server>(plain, *metrics_only);
  }

  live::StopOnSignals signals(server);
  server.start();
  if (metrics_server) metrics_server->start();
  log::info("listening", {{"address", server.bound_address()},
                          {"data", options.data},
                          {"tls", !options.tls_cert.empty()},
                          {"metrics", metrics_server ? metrics_server->bound_address() : server.bound_address()}});
  log::set_level(level);
  if (on_listening) on_listening(server.bound_address());
  if (stop_request) stop_request([&server] { server.stop(); });
  server.wait();
  if (metrics_server) {
    metrics_server->stop();
    metrics_server->wait();
  }
  log::info("stopped", {{"address", server.bound_address()}});
  return 0;
}

}  // namespace outpost::cli
