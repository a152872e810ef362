#include "reference/cli/serve_command.h"

#include <chrono>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>

#include "reference/cli/data_dir_lock.h"
#include "reference/registry/host_guard.h"
#include "reference/common/log.h"
#include "reference/common/metrics.h"
#include "reference/live/server.h"
#include "reference/live/signals.h"
#include "reference/control/control_plane.h"
#include "reference/control/control_store.h"
#include "reference/control/management_api.h"
#include "reference/registry/auth/authenticator.h"
#include "reference/registry/auth/node_handler.h"
#include "reference/registry/auth/signing_key_setting.h"
#include "reference/registry/auth/token_access_policy.h"
#include "reference/registry/auth/token_endpoint.h"
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

  // Control plane (SPEC 3, 7): tokens, scope maps and the admin user, in <data>/control.db.
  auto control_store = control::open_sqlite_control_store(options.data);
  control::ControlPlaneOptions control_options;
  control_options.hash_cost.iterations = options.password_hash_iterations;
  control::ControlPlane control(*control_store, clock, random, control_options);
  if (const auto generated = control.ensure_admin(read_admin_password(options.admin_password_file))) {
    // Printed once, at first start, on stdout (logs may be collected; this line is for the operator).
    std::cout << "admin password (shown once, store it safely): " << *generated << std::endl;
  }
  const auth::SigningKey signing_key = registry::load_or_create_signing_key(control, random);
  registry::AuthenticatorOptions authenticator_options;
  authenticator_options.hash_cost = control.options().hash_cost;
  registry::Authenticator authenticator([&control] { return control.snapshot(); },
                                        auth::KeySet({signing_key.verifying_key()}), clock, authenticator_options);
  registry::ServiceNaming naming;
  naming.fixed_service = options.login_server;
  naming.scheme = options.tls_cert.empty() ? "http" : "https";
  naming.fallback_host = options.listen;
  registry::NodeFacts facts;
  facts.login_server = options.login_server;
  registry::TokenAccessPolicy policy(authenticator, naming, facts);
  registry::TokenEndpoint token_endpoint(authenticator, signing_key, naming, facts, random);

  registry::RegistryOptions registry_options;
  if (options.metrics_listen.empty()) registry_options.metrics_text = [&] { return metrics.render(); };
  registry::Registry registry(*storage, clock, random, policy, registry_options);
  control::ManagementApi management(control);
  registry::NodeHandler node(registry, token_endpoint, policy, &management);
  registry::HostGuard guarded(node, options.login_server);

  live::Server server(server_options(options, options.listen, &metrics), guarded);
  // SPEC 1.4: the separate metrics listener serves /metrics (and the probes) without credentials, and nothing else.
  MetricsOnly metrics_only([&] { return metrics.render(); });
  std::unique_ptr<live::Server> metrics_server;
  if (!options.metrics_listen.empty()) {
    live::Server::Options plain = server_options(options, options.metrics_listen, nullptr);
    plain.tls_cert_file.clear(), plain.tls_key_file.clear();
    metrics_server = std::make_unique<live::Server>(plain, metrics_only);
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
