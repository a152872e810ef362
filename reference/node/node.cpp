#include "reference/node/node.h"

#include "reference/common/ascii.h"
#include "reference/common/log.h"
#include "reference/control/connected_registry_config.h"
#include "reference/control/connection_string.h"
#include "reference/control/control_plane.h"
#include "reference/control/management_api.h"
#include "reference/gateway/cloud_config_source.h"
#include "reference/gateway/gateway_handler.h"
#include "reference/gateway/message_log.h"
#include "reference/gateway/protocol.h"
#include "reference/registry/auth/authenticator.h"
#include "reference/registry/auth/node_handler.h"
#include "reference/registry/auth/signing_key_setting.h"
#include "reference/registry/auth/token_access_policy.h"
#include "reference/registry/auth/token_endpoint.h"
#include "reference/registry/host_guard.h"
#include "reference/registry/registry.h"
#include "reference/sync/replica.h"

namespace outpost::node {

namespace {
constexpr std::string_view kInstanceIdSetting = "sync.instance_id";
constexpr std::string_view kReplicaSetting = "sync.replica";
constexpr std::string_view kConnectedRegistrySetting = "sync.connected_registry";
// "1" while the parent last said this node's sync token is disabled (SPEC 2.6: still 503 to clients after a restart).
constexpr std::string_view kDisabledSetting = "sync.disabled";

// A data directory holds one node: the cloud's (its admin user, its tokens) or one connected registry's (its instance,
// its saved configuration, its content). Started as another node, it would serve what it holds under another name,
// and activate as another CR with this one's instance id (turning the real one down). Refused before anything is
// written; a directory from before the name was kept takes the name of its first start from now on.
void check_data_belongs(control::ControlPlane& control, const std::string& cr_name) {
  const auto kept = control.setting(kConnectedRegistrySetting);
  if (cr_name.empty()) {
    if (kept || control.setting(kInstanceIdSetting))
      throw std::runtime_error("this data directory belongs to " +
                               (kept ? "connected registry '" + *kept + "'" : std::string("a connected registry")) +
                               ", not to the cloud: start the cloud on a directory of its own");
    return;
  }
  const std::string name = ascii_lowercase(cr_name);
  if (!control.snapshot()->admin_password_hash.empty())
    throw std::runtime_error("this data directory belongs to the cloud, not to connected registry '" + name +
                             "': start a connected registry on a directory of its own");
  if (kept && *kept != name)
    throw std::runtime_error("this data directory belongs to connected registry '" + *kept + "', not to '" + name +
                             "': each connected registry keeps its own (its instance, configuration and content)");
  if (!kept) control.put_setting(kConnectedRegistrySetting, name);
}

// SPEC 2.7: kept with the node's settings, so a restart on the same storage is the same instance.
std::string instance_id(control::ControlPlane& control, Random& random) {
  if (auto existing = control.setting(kInstanceIdSetting)) return *existing;
  const std::string id = random.hex(16);
  control.put_setting(kInstanceIdSetting, id);
  return id;
}
}  // namespace

struct Node::Parts {
  explicit Parts(NodeSeams s) : seams(s) {}
  NodeSeams seams;
  bool connected = false;
  std::optional<std::string> generated_admin_password;

  std::unique_ptr<control::ControlPlane> control;
  std::unique_ptr<registry::NodeSigningKey> signing_key;
  std::unique_ptr<gateway::MessageLog> children_log;
  std::unique_ptr<gateway::CloudConfigSource> cloud_configs;
  std::unique_ptr<sync::Replica> replica;
  std::unique_ptr<registry::Authenticator> authenticator;
  std::unique_ptr<registry::TokenAccessPolicy> policy, data_policy;
  std::unique_ptr<registry::TokenEndpoint> token_endpoint, data_token_endpoint;
  std::unique_ptr<gateway::GatewayHandler> gateway, data_gateway;
  registry::RegistryOptions registry_options;
  std::unique_ptr<registry::Registry> registry, data_registry;
  std::unique_ptr<control::ManagementApi> management;
  std::unique_ptr<registry::NodeHandler> node, data_node;
  std::unique_ptr<registry::HostGuard> guarded;
  std::unique_ptr<sync::SyncAgent> agent;
};

Node::Node(NodeSeams seams, NodeOptions options) : parts_(std::make_unique<Parts>(seams)) {
  Parts& p = *parts_;
  control::ConnectionString connection;
  p.connected = !options.connection_string.empty();
  if (p.connected) {
    auto parsed = control::parse_connection_string(options.connection_string);
    if (!parsed) throw std::runtime_error("connection string: " + parsed.error);
    connection = *parsed.value;
    if (!options.data_endpoint.empty())
      throw std::runtime_error("a data endpoint is for the cloud; a connected registry serves its children on its "
                               "login server (SPEC 1.2)");
    if (options.admin_password)
      throw std::runtime_error("the admin user is not accepted at a connected registry (SPEC 7.1): no admin password");
    if (!seams.client || !seams.sync_store)
      throw std::runtime_error("a connected registry needs an HTTP client and a sync store");
  }

  // Control plane (SPEC 2, 3, 7). At a connected registry it keeps only node settings (signing key, instance id, the
  // last configuration received): its tokens come from its parent.
  control::ControlPlaneOptions control_options;
  control_options.hash_cost.iterations = options.password_hash_iterations;
  control_options.data_endpoint = options.data_endpoint;
  control_options.scheme = options.scheme;
  control_options.status_offline_after = options.status_offline_after;
  p.control = std::make_unique<control::ControlPlane>(seams.control_store, seams.clock, seams.random, control_options);
  check_data_belongs(*p.control, p.connected ? connection.connected_registry : std::string());
  if (!p.connected) p.generated_admin_password = p.control->ensure_admin(options.admin_password);
  p.signing_key = std::make_unique<registry::NodeSigningKey>(*p.control, seams.random);

  p.children_log = std::make_unique<gateway::MessageLog>(seams.random.hex(8));
  if (p.connected) {
    p.replica = std::make_unique<sync::Replica>(options.login_server, [&control = *p.control](const std::string& text) {
      control.put_setting(kReplicaSetting, text);
    });
    if (const auto saved = p.control->setting(kReplicaSetting)) {
      try {
        p.replica->load(*saved);  // SPEC 5.6: serve clients with the last known tokens while the parent is away
      } catch (const std::exception& error) {
        log::warn("the saved configuration is unreadable; waiting for the parent's", {{"error", error.what()}});
      }
    }
    p.replica->on_change = [log = p.children_log.get()] { log->wake_all(); };
  } else {
    p.cloud_configs = std::make_unique<gateway::CloudConfigSource>(*p.control, options.login_server);
  }

  registry::AuthenticatorOptions authenticator_options;
  authenticator_options.hash_cost = p.control->options().hash_cost;
  authenticator_options.is_sync_token = [](const control::Snapshot& snapshot, const auth::Token& token) {
    return control::sync_token_owner(snapshot, token.name) != nullptr;
  };
  registry::SnapshotSource snapshots;
  if (p.connected) {
    // SPEC 4.2: the replica holds exactly the tokens this node accepts (its client tokens, its children's sync tokens).
    snapshots = [replica = p.replica.get()] { return replica->snapshot(); };
    authenticator_options.hashes_made_elsewhere = true;  // its parent's, at the cloud's cost (SPEC 4.5)
  } else {
    authenticator_options.accepts = control::accepted_at_cloud;  // SPEC 4.1
    snapshots = [control = p.control.get()] { return control->snapshot(); };
  }
  p.authenticator = std::make_unique<registry::Authenticator>(
      snapshots, [key = p.signing_key.get()]() -> const auth::KeySet& { return key->verifying_keys(); }, seams.clock,
      authenticator_options);

  registry::ServiceNaming naming;
  naming.fixed_service = options.fixed_service;
  naming.scheme = options.scheme;
  naming.fallback_host = options.login_server;

  registry::NodeFacts facts;
  facts.login_server = options.login_server;
  facts.data_endpoint = options.data_endpoint;
  facts.observe = options.decision_observer;
  if (p.connected) {
    facts.role = auth::NodeRole::ConnectedRegistry;
    facts.refine = [&p](auth::NodeView& view, std::string_view repository) {
      const auto settings = p.replica->settings();
      // Until its first configuration a node knows of no repository and allows no write.
      view.mode = settings ? settings->mode : auth::RegistryMode::ReadOnly;
      // A disabled sync token (SPEC 2.6), or an instance turned down for another (SPEC 2.7): 503 to clients and to
      // children, rather than pushes that could never go up and children that would wait for nothing.
      view.cr_disabled = p.agent && (p.agent->disabled() || p.agent->superseded());
      view.repository_synced =
          repository.empty() || (settings && gateway::repository_matches_any(settings->repositories, repository));
    };
  }
  p.policy = std::make_unique<registry::TokenAccessPolicy>(*p.authenticator, naming, facts);
  registry::NodeFacts data_facts = facts;
  data_facts.endpoint = auth::Endpoint::DataEndpoint;
  p.data_policy = std::make_unique<registry::TokenAccessPolicy>(*p.authenticator, naming, data_facts);
  const auto signing_key = [key = p.signing_key.get()]() -> const auth::SigningKey& { return key->get(); };
  p.token_endpoint =
      std::make_unique<registry::TokenEndpoint>(*p.authenticator, signing_key, naming, facts, seams.random);
  // SPEC 1.2: the token endpoint belongs to the login server. The data endpoint's handler still routes /oauth2/token to
  // a token endpoint, but one that knows which endpoint it guards, so auth::decide refuses every login there (403
  // naming the login server, like any other API request at the data endpoint) instead of issuing tokens.
  p.data_token_endpoint =
      std::make_unique<registry::TokenEndpoint>(*p.authenticator, signing_key, naming, data_facts, seams.random);

  gateway::ConfigSource& configs =
      p.connected ? static_cast<gateway::ConfigSource&>(*p.replica) : static_cast<gateway::ConfigSource&>(*p.cloud_configs);
  const auto authorize_with = [](registry::TokenAccessPolicy& guard) {
    return [&guard](const http::Request& request, std::string_view cr, auth::GatewayActions actions) {
      guard.authorize_gateway(request, cr, actions);
    };
  };
  p.gateway = std::make_unique<gateway::GatewayHandler>(configs, *p.children_log, seams.storage, seams.clock,
                                                        seams.executor, authorize_with(*p.policy));
  p.data_gateway = std::make_unique<gateway::GatewayHandler>(configs, *p.children_log, seams.storage, seams.clock,
                                                             seams.executor, authorize_with(*p.data_policy));

  p.registry_options.metrics_text = options.metrics_text;
  if (p.connected) {
    p.registry_options.on_change = [&p](const oci::ContentChange& change) { p.agent->on_local_change(change); };
    // Ready (SPEC 1.4) when the agent gives no reason not to be: synced once, and serving (a node whose sync token is
    // disabled answers every client 503, synced or not). One judgement, so /readyz and its reason never disagree.
    p.registry_options.ready = [&p] { return p.agent && p.agent->not_ready_reason().empty(); };
    p.registry_options.not_ready_reason = [&p] { return p.agent ? p.agent->not_ready_reason() : std::string(); };
  } else {
    p.registry_options.on_change = [&p](const oci::ContentChange& change) {
      p.children_log->append(change, p.seams.clock.now());
    };
  }
  p.registry = std::make_unique<registry::Registry>(seams.storage, seams.clock, seams.random, *p.policy,
                                                    p.registry_options);
  p.data_registry = std::make_unique<registry::Registry>(seams.storage, seams.clock, seams.random, *p.data_policy,
                                                         p.registry_options);
  if (!p.connected) p.management = std::make_unique<control::ManagementApi>(*p.control);
  p.node = std::make_unique<registry::NodeHandler>(*p.registry, *p.token_endpoint, *p.policy, p.management.get(),
                                                   p.gateway.get());
  // A management change may change what connected registries read: their waiting long polls answer at once.
  p.node->after_management_change = [log = p.children_log.get()] { log->wake_all(); };
  p.data_node = std::make_unique<registry::NodeHandler>(*p.data_registry, *p.data_token_endpoint, *p.data_policy,
                                                        nullptr, p.data_gateway.get());
  p.guarded = std::make_unique<registry::HostGuard>(*p.node, options.fixed_service);

  if (p.connected) {
    sync::AgentOptions agent = options.agent;
    agent.cr_name = connection.connected_registry;
    agent.token_name = connection.sync_token;
    agent.token_password = connection.sync_token_password;
    agent.parent.scheme = connection.parent_protocol;
    agent.parent.gateway = connection.parent_endpoint;
    agent.parent.content = p.replica->parent_login_server();
    agent.instance_id = instance_id(*p.control, seams.random);
    agent.own_login_server = options.login_server;
    agent.disabled_at_start = p.control->setting(kDisabledSetting) == "1";
    agent.remember_disabled = [&control = *p.control](bool disabled) {
      control.put_setting(kDisabledSetting, disabled ? "1" : "0");
    };
    p.agent = std::make_unique<sync::SyncAgent>(seams.executor, seams.clock, seams.random, *seams.client,
                                                seams.storage, *seams.sync_store, *p.replica, *p.children_log, agent);
  }
}

Node::~Node() = default;

bool Node::connected() const { return parts_->connected; }
http::Handler& Node::main_handler() { return *parts_->guarded; }
http::Handler& Node::data_handler() {
  if (parts_->connected) return *parts_->guarded;
  return *parts_->data_node;
}
const std::optional<std::string>& Node::generated_admin_password() const { return parts_->generated_admin_password; }
const control::ControlPlane& Node::control() const { return *parts_->control; }

sync::SyncAgent* Node::agent() { return parts_->agent.get(); }

void Node::start() {
  if (parts_->agent) parts_->agent->start();
}

void Node::stop(std::function<void()> stopped) {
  parts_->children_log->close();  // long polls answer now instead of holding a drain
  if (parts_->agent) {
    parts_->agent->stop(std::move(stopped));
  } else if (stopped) {
    parts_->seams.executor.post(std::move(stopped));
  }
}

void Node::keep_reported_statuses() {
  if (!parts_->connected) parts_->control->keep_reported_statuses();
}

void Node::render_metrics(std::string& out) const {
  if (parts_->agent) parts_->agent->render_metrics(out);
}

}  // namespace outpost::node
