#pragma once
// One registry node, assembled from its parts and bound to the five seams (docs/design.md, "One node, two worlds"): the
// cloud (control plane, management API, gateway on its data endpoint) or a connected registry (replica of its
// configuration, sync agent, gateway for its own children). `outpost serve` puts live servers, the system clock, disk
// storage and a Beast client around it; the simulator puts its event loop, virtual clocks, memory storage and
// simulated links around the very same object.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "reference/common/clock.h"
#include "reference/common/executor.h"
#include "reference/common/http.h"
#include "reference/common/http_client.h"
#include "reference/common/random.h"
#include "reference/control/control_store.h"
#include "reference/registry/auth/decision_observer.h"
#include "reference/storage/storage.h"
#include "reference/sync/sync_agent.h"
#include "reference/sync/sync_store.h"

namespace outpost::control {
class ControlPlane;
}

namespace outpost::node {

struct NodeSeams {
  const Clock& clock;
  Random& random;
  Executor& executor;             // the sync agent's loops, the gateway's long-poll deadlines
  http::HttpClient* client;       // a connected registry's way to its parent (null at the cloud)
  storage::Storage& storage;
  control::ControlStore& control_store;  // the cloud's control plane; a CR's node settings and saved configuration
  sync::SyncStore* sync_store;    // a connected registry's journal (null at the cloud)
};

struct NodeOptions {
  // Empty: the cloud. Otherwise SPEC 7.3's string, which makes this node a connected registry.
  std::string connection_string;
  std::string login_server;   // the address clients (and children) use; advertised and named in configurations
  std::string data_endpoint;  // cloud: the data endpoint's address; empty = no gateway (SPEC 1.2)
  std::string fixed_service;  // --login-server: answer every request for this service name (SPEC 1.3)
  std::string scheme = "http";
  unsigned password_hash_iterations = 100'000;
  std::optional<std::string> admin_password;  // cloud: from --admin-password-file; absent = stored or generated
  // cloud: how long a connected registry's last status report stands (control::ControlPlaneOptions); zero: forever.
  Nanoseconds status_offline_after = std::chrono::minutes(5);
  std::function<std::string()> metrics_text;   // /metrics on the main endpoint; absent = 404
  sync::AgentOptions agent;  // tuning of a connected registry's agent (names and credentials come from the string)
  // Told of every access decision this node makes (registry/auth/decision_observer.h); empty: nobody is.
  registry::DecisionObserver decision_observer;
};

class Node {
 public:
  // Opens the control plane and builds every part. Throws std::runtime_error for unusable options (a bad connection
  // string, an admin password at a connected registry).
  Node(NodeSeams seams, NodeOptions options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  bool connected() const;
  // The login server's API: OCI, token endpoint, management (cloud), gateway for children (connected registry).
  http::Handler& main_handler();
  // The cloud's data endpoint (gateway only); at a connected registry, the same as main_handler().
  http::Handler& data_handler();

  // The admin password when it was generated now (print it once).
  const std::optional<std::string>& generated_admin_password() const;

  void start();  // starts the sync agent (connected registry); posts to the executor
  // Stops the agent and answers every waiting long poll; `stopped` runs on the executor once the agent has unwound.
  void stop(std::function<void()> stopped);

  sync::SyncAgent* agent();  // null at the cloud
  // The node's control plane: at the cloud, the one the management API changes (read by observers, such as the
  // simulator's status view, without a request).
  const control::ControlPlane& control() const;
  // A graceful stop, once nothing serves any more: at the cloud, keeps its connected registries' last reports for the
  // next start (control::ControlPlane::keep_reported_statuses); nothing at a connected registry.
  void keep_reported_statuses();
  void render_metrics(std::string& out) const;

 private:
  struct Parts;
  std::unique_ptr<Parts> parts_;
};

}  // namespace outpost::node
