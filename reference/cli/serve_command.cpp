#include "reference/cli/serve_command.h"

#include <charconv>
#include <chrono>
#include <fstream>
#include <future>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>

#include "reference/cli/data_dir_lock.h"
#include "reference/common/host_port.h"
#include "reference/common/iso_duration.h"
#include "reference/live/asio_executor.h"
#include "reference/live/live_http_client.h"
#include "reference/node/node.h"
#include "reference/sync/sync_store.h"
#include "reference/common/log.h"
#include "reference/common/metrics.h"
#include "reference/live/server.h"
#include "reference/live/signals.h"
#include "reference/control/control_store.h"
#include "reference/storage/space_budget.h"
#include "reference/storage/space_reserve.h"
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

// The handler of --metrics-listen: /metrics, /healthz and /readyz; 404 for everything else.
class MetricsOnly final : public http::Handler {
 public:
  explicit MetricsOnly(std::function<std::string()> render) : render_(std::move(render)) {}
  std::unique_ptr<http::Call> start(http::Request request) override {
    http::Response response;
    response.headers.set("Content-Type", "text/plain; charset=utf-8");
    response.route = "metrics";
    if (request.path == "/metrics") {
      response.headers.set("Content-Type", "text/plain; version=0.0.4");
      response.body = render_();
    } else if (request.path == "/healthz" || request.path == "/readyz") {
      response.route = request.path.substr(1);
      response.body = "ok\n";
    } else {
      response.status = 404;
      response.route = "not_found";
      response.body = "only /metrics is served here\n";
    }
    return http::respond_now(std::move(response));
  }

 private:
  std::function<std::string()> render_;
};

// SPEC 7.1: one trailing newline ignored.
std::optional<std::string> read_admin_password(const std::string& file) {
  if (file.empty()) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read --admin-password-file " + file);
  std::string password((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!password.empty() && password.back() == '\n') password.pop_back();
  if (!password.empty() && password.back() == '\r') password.pop_back();
  if (password.empty()) throw std::runtime_error("--admin-password-file " + file + " is empty");
  return password;
}

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

namespace {
// Lets a server bind (and so learn its port) before the handler behind it exists: the node's pieces need the bound
// addresses (connection strings, advertised login servers), and requests only arrive after start().
class ForwardingHandler final : public http::Handler {
 public:
  http::Handler* target = nullptr;
  std::unique_ptr<http::Call> start(http::Request request) override { return target->start(std::move(request)); }
};

Nanoseconds duration_option(const std::string& text, const char* flag) {
  const auto value = parse_human_duration(text);
  if (!value || *value <= Nanoseconds::zero())
    throw std::runtime_error(std::string("--") + flag + ": '" + text +
                             "' is not a duration longer than zero (e.g. 30s, 10m, PT1H)");
  return *value;
}

// --login-server is every client's Host and the name in every connection string: a mistyped one (a space, port
// 99999) would refuse every request as "served as ..." instead of failing the start.
void check_login_server(const std::string& text) {
  if (!is_host_port(text))
    throw std::runtime_error("--login-server: '" + text + "' is not HOST or HOST:PORT (a port from 1 to 65535)");
}

}  // namespace

int run_serve(const ServeOptions& options, std::function<void(const std::string&)> on_listening,
              std::function<void(std::function<void()>)> stop_request) {
  live::StopSignalsBlocked stop_signals_blocked;  // before the first of the node's threads starts
  // Info until the node listens; then its level, and the "listening" line (tools and tests wait for it) is announced
  // whatever the level, after the level is set: a request answered right after that line is logged at the new level.
  const log::Level level = log::parse_level(options.log_level);
  log::set_level(log::Level::Info);
  if (options.tls_cert.empty() != options.tls_key.empty())
    throw std::runtime_error("--tls-cert and --tls-key go together");
  const bool connected = !options.connection_string.empty();
  if (connected && !options.admin_password_file.empty())
    throw std::runtime_error("--admin-password-file is for the cloud; the admin user is not accepted at a connected "
                             "registry (SPEC 7.1)");
  if (connected && !options.data_endpoint.empty())
    throw std::runtime_error("--data-endpoint is for the cloud; a connected registry serves its children on --listen");
  if (connected && !options.status_offline_after.empty())
    throw std::runtime_error("--status-offline-after is for the cloud, which shows its connected registries' status");
  if (!connected && !options.parent_ca_file.empty())
    throw std::runtime_error("--parent-ca-file is for a connected registry (with --connection-string); the cloud has "
                             "no parent");
  if (!options.login_server.empty()) check_login_server(options.login_server);
  sync::AgentOptions agent;
  agent.long_poll = duration_option(options.sync_long_poll, "sync-long-poll");
  // A parent holds a long poll 600 s at most (docs/protocol.md): a longer one would be cut short without a word.
  if (agent.long_poll > std::chrono::minutes(10))
    throw std::runtime_error("--sync-long-poll: '" + options.sync_long_poll +
                             "' is longer than a parent holds a long poll (10m at most)");
  agent.status_interval = duration_option(options.sync_status_interval, "sync-status-interval");
  agent.config_check_interval = duration_option(options.sync_config_check, "sync-config-check");
  if (!options.gateway_protocol.empty()) {
    // Decimal digits only, 1 to 1000: std::stoi failed as "stoi" and read "2x" as 2.
    const std::string& text = options.gateway_protocol;
    int version = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), version);
    if (error != std::errc() || end != text.data() + text.size() || version < 1 || version > 1000)
      throw std::runtime_error("--gateway-protocol: '" + text + "' is not a protocol version (a whole number from 1)");
    agent.protocol_version = version;
  }
  std::optional<Nanoseconds> status_offline_after;  // absent: the node's default
  if (options.status_offline_after == "none") status_offline_after = Nanoseconds::zero();
  else if (!options.status_offline_after.empty())
    status_offline_after = duration_option(options.status_offline_after, "status-offline-after");

  // Read before the data directory is touched: a refused start leaves a new directory as it found it (an initialised
  // one without the admin's hash would make the next start generate a password of its own).
  const std::optional<std::string> admin_password = read_admin_password(options.admin_password_file);

  DataDirLock lock(options.data);
  SystemClock clock;
  SystemRandom random;
  auto disk = storage::open_disk_storage(options.data, clock, random, /*keep_reserve=*/true);
  // While the reserve is given to deletes, every other write waits for room (space_reserve.h).
  storage::ReserveGate reserve_gate(*disk->reserve);
  auto storage = storage::with_space_budget(std::move(disk), reserve_gate);
  auto control_store = control::open_sqlite_control_store(options.data);
  std::unique_ptr<sync::SyncStore> sync_store = connected ? sync::open_sqlite_sync_store(options.data) : nullptr;

  metrics::Registry metrics;
  StorageGauge storage_gauge(*storage);
  metrics.add_collector([&](std::string& out) { storage_gauge.render(out); });

  // Bind first: every address the node names (connection strings, configuration documents, status) is then real,
  // even with port 0.
  ForwardingHandler main_entry, data_entry;
  live::Server server(server_options(options, options.listen, &metrics), main_entry);
  std::unique_ptr<live::Server> data_server;
  if (!options.data_endpoint.empty())
    data_server = std::make_unique<live::Server>(server_options(options, options.data_endpoint, &metrics), data_entry);

  live::AsioExecutor executor;  // the sync agent's loops and the gateway's long-poll deadlines
  live::LiveHttpClient client(executor, options.parent_ca_file);  // loads the bundle now: a bad one stops the start
  node::NodeOptions node_options;
  node_options.connection_string = options.connection_string;
  node_options.login_server = options.login_server.empty() ? server.bound_address() : options.login_server;
  node_options.data_endpoint = data_server ? data_server->bound_address() : std::string();
  node_options.fixed_service = options.login_server;
  node_options.scheme = options.tls_cert.empty() ? "http" : "https";
  node_options.password_hash_iterations = options.password_hash_iterations;
  node_options.admin_password = admin_password;
  if (status_offline_after) node_options.status_offline_after = *status_offline_after;
  if (options.metrics_listen.empty()) node_options.metrics_text = [&] { return metrics.render(); };
  node_options.agent = agent;
  node::Node node({clock, random, executor, &client, *storage, *control_store, sync_store.get()}, node_options);
  if (const auto& generated = node.generated_admin_password()) {
    // Printed once, at first start, on stdout (logs may be collected; this line is for the operator).
    std::cout << "admin password (shown once, store it safely): " << *generated << std::endl;
  }
  metrics.add_collector([&node](std::string& out) { node.render_metrics(out); });
  main_entry.target = &node.main_handler();
  data_entry.target = &node.data_handler();

  // SPEC 1.4: the separate metrics listener serves /metrics (and the probes) without credentials, and nothing else.
  MetricsOnly metrics_only([&] { return metrics.render(); });
  std::unique_ptr<live::Server> metrics_server;
  if (!options.metrics_listen.empty()) {
    live::Server::Options plain = server_options(options, options.metrics_listen, nullptr);
    plain.tls_cert_file.clear(), plain.tls_key_file.clear();
    metrics_server = std::make_unique<live::Server>(plain, metrics_only);
  }

  const auto before_stop = [&node] { node.stop({}); };
  live::StopOnSignals signals(server, before_stop);
  server.start();
  if (data_server) data_server->start();
  if (metrics_server) metrics_server->start();
  node.start();
  log::set_level(level);
  log::announce("listening", {{"address", server.bound_address()},
                              {"data", options.data},
                              {"tls", !options.tls_cert.empty()},
                              {"role", connected ? "connected-registry" : "cloud"},
                              {"data_endpoint", node_options.data_endpoint},
                              {"metrics", metrics_server ? metrics_server->bound_address() : server.bound_address()}});
  if (on_listening) on_listening(server.bound_address());
  if (stop_request) stop_request([&server, before_stop] {
    before_stop();
    server.stop();
  });
  server.wait();
  if (data_server) {
    data_server->stop();
    data_server->wait();
  }
  if (metrics_server) {
    metrics_server->stop();
    metrics_server->wait();
  }
  // The sync agent unwinds on the executor when it can (a sleeping agent at once; one waiting on a long poll at its
  // parent only when that answers, so the wait is short and bounded); then the executor stops and waits for its running
  // callback, so nothing runs on the node while it is destroyed.
  {
    auto unwound = std::make_shared<std::promise<void>>();
    node.stop([unwound] { unwound->set_value(); });
    unwound->get_future().wait_for(std::chrono::seconds(1));
  }
  executor.stop();
  node.keep_reported_statuses();  // no report can arrive now: every listener has stopped
  log::info("stopped", {{"address", server.bound_address()}});
  return 0;
}

}  // namespace outpost::cli
