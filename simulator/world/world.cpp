#include "simulator/world/world.h"

#include <algorithm>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string_view>
#include <unordered_map>

#include "reference/common/iso_duration.h"
#include "simulator/world/fault_plan.h"
#include "simulator/world/fault_requirements.h"
#include "simulator/engine/world_random.h"
#include "simulator/world/invariant_watch.h"
#include "simulator/world/run_metrics.h"
#include "simulator/world/topology_queries.h"

namespace outpost::sim::world {

namespace {
constexpr size_t kMaxClientTokens = 20;      // SPEC 2.9
constexpr uint64_t kShutdownEvents = 10'000'000;  // unwinding takes a few events per node; this only bounds a bug
// The most events one virtual instant may take before the run is stopped as a busy loop (invariant time-moves). A
// direct network runs a whole exchange at one instant, and a world's start runs every node's first steps at once;
// the busiest instant of the scenarios shipped is far below (docs/simulator.md says how far). A loop that never lets
// time move reaches it within seconds of wall time, where the run would otherwise never end.
constexpr uint64_t kStallEvents = 2'000'000;
}  // namespace

// The world's own observer: what the result reports about requests and rounds.
class World::Totals final : public WorldObserver {
 public:
  void on_request(const RequestEvent& event) override {
    ++totals.requests;
    if (event.status == 0) ++totals.transport_failures;
    totals.bytes_up += event.request_bytes;
    totals.bytes_down += event.response_bytes;
  }
  void on_round_done(const RoundEvent&) override { ++totals.rounds; }
  RequestTotals totals;
};

World::World(Scenario scenario, uint64_t seed, NetworkFactory make_network)
    : scenario_(std::move(scenario)),
      seed_(seed),
      network_(make_network                          ? make_network(loop_)
               : scenario_.network == "simulated" ? make_simulated_network(loop_, sim::derive_seed(seed, "network"))
                                                  : make_direct_network(loop_)),
      totals_(std::make_unique<Totals>()),
      stop_(loop_),
      clients_{loop_, observers_,
               [this](std::string_view authority) -> const uint64_t* {
                 const auto host = host_index_.find(authority.substr(0, authority.find(':')));
                 return host == host_index_.end() ? nullptr : &host->second->incarnation_counter();
               }},
      workload_random_(sim::derive_seed(seed, "workload")),
      nemesis_random_(sim::derive_seed(seed, "nemesis")) {
  loop_.set_stall_limit(kStallEvents);
  if (scenario_.storage == "disk") data_root_ = std::make_unique<DataRoot>();
  observers_.add(trace_recorder_);
  observers_.add(*totals_);
  invariants_ = std::make_unique<InvariantWatch>(*this);
  metrics_ = std::make_unique<RunMetrics>(*this);
  observers_.add(*invariants_);
  observers_.add(*metrics_);
}

World::~World() {
  // An observer added from outside may be gone already (declared after the world), and nothing reads what the
  // unwinding below does: it is told nothing more.
  observers_.clear();
  try {
    shutdown();
  } catch (...) {  // a destructor must not throw; whatever did not unwind is dropped with the loop
  }
}

WorldClient& World::clients_at(const std::string& node) {
  const std::string from = node == "operator" ? node : "client." + node;
  auto& slot = outside_clients_[from];
  if (!slot) slot = std::make_unique<WorldClient>(from, network_->client(from), clients_);
  return *slot;
}

HostConfig World::host_config(const std::string& name, const std::string& connection_string) const {
  HostConfig config;
  config.name = name;
  config.connection_string = connection_string;
  if (connection_string.empty()) config.admin_password = kAdminPassword;
  config.password_hash_iterations = scenario_.password_hash_iterations;
  const cli::Topology& cluster = scenario_.topology.cluster;
  config.status_interval = parse_human_duration(cluster.sync_status_interval).value_or(config.status_interval);
  config.long_poll = parse_human_duration(cluster.sync_long_poll).value_or(config.long_poll);
  if (connection_string.empty())  // the cloud's, as `outpost cluster up` sets it
    config.status_offline_after = cli::cloud_status_offline_after(cluster);
  config.seed = sim::derive_seed(seed_, "node/" + name);  // WorldRandom::node's stream
  if (data_root_) config.data_directory = data_root_->host(name);
  config.tweak = [this, configure = configure_node, name](node::NodeOptions& options) {
    invariants_->attach(name, options);
    if (configure) configure(name, options);
  };
  return config;
}

void World::add_host(const std::string& name, std::unique_ptr<Host> host) {
  host_index_.insert_or_assign(name, host.get());
  hosts_.insert_or_assign(name, std::move(host));
}

Host& World::host(std::string_view name) {
  const auto found = host_index_.find(name);
  if (found == host_index_.end()) throw std::out_of_range("no host " + std::string(name));
  return *found->second;
}

void World::start_cloud() {
  auto cloud = std::make_unique<Host>(loop_, kWorldStart, *network_, clients_, host_config("cloud", ""));
  Host& started = *cloud;
  add_host("cloud", std::move(cloud));
  started.start();
}

void World::build() {
  if (built_) return;
  built_ = true;
  const auto wall_start = std::chrono::steady_clock::now();
  const uint64_t events_before = loop_.events_dispatched();
  // Each client token's node, the first one that names it (looked up once per node: a scan of every node's tokens
  // for each node was quadratic, 71 million comparisons in the wide fleet).
  std::unordered_map<std::string_view, const cli::NodeSpec*> token_owners;
  for (const cli::NodeSpec& other : scenario_.topology.cluster.nodes)
    for (const cli::ClientTokenSpec& token : other.client_tokens) token_owners.emplace(token.name, &other);
  for (const cli::NodeSpec& node : scenario_.topology.cluster.nodes) {
    const std::string reader = reader_token(node.name);
    if (node.client_tokens.size() >= kMaxClientTokens)
      throw ScenarioError("node " + node.name + " has " + std::to_string(node.client_tokens.size()) +
                          " client tokens; the simulator needs one more (" + reader + ") to read its content, and " +
                          "SPEC 2.9 allows 20");
    if (const auto owner = token_owners.find(reader); owner != token_owners.end())
      throw ScenarioError("token name " + reader + " of node " + owner->second->name +
                          " is the simulator's reader token of " + node.name + "; rename it");
  }
  check_faults_fit_network(scenario_, network_->sim_network() != nullptr);  // toxics need links: refused, not skipped
  start_cloud();
  operator_ = std::make_unique<Operator>(clients_at("operator"), stop_, "cloud:5000",
                                         Credentials{"admin", kAdminPassword});
  operator_->on_call = [this](http::Method method, const std::string& path, const nlohmann::json& request,
                              const http::ClientResult& result, const nlohmann::json& answer) {
    ManagementEvent event{loop_.now(), method, path, request, nullptr, 0, result.transport_error};
    if (result.ok()) {
      event.status = result.response->status;
      event.answer = answer;
    }
    observers_.on_management(event);
  };
  workload_ = std::make_unique<Workload>(
      WorkloadContext{loop_, stop_, workload_random_, *operator_, observers_, scenario_.topology,
                      [this](const std::string& node) -> http::HttpClient& { return clients_at(node); }},
      scenario_.workload);
  faults_ = std::make_unique<FaultInjector>(scenario_.topology, *network_, hosts_, observers_, loop_);

  run_to_completion(loop_, create_resources());
  for (const cli::NodeSpec& node : scenario_.topology.cluster.nodes)
    network_->configure_link(node.name, node.parent.value_or("cloud"), scenario_.topology.link_of(node.name));
  for (const auto& [name, nic] : scenario_.topology.nics) network_->set_nic(name, nic);

  const Nanoseconds begin = loop_.now();
  ready_ = run_until([this] { return all_ready(); }, scenario_.warm_up);
  warm_up_ = loop_.now() - begin;
  build_events_ = loop_.events_dispatched() - events_before;
  build_wall_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
}

Task<void> World::create_resources() {
  // As `outpost cluster up` does (docs/connected-registries.md): each node's client tokens, then the connected
  // registry, parents first; each node starts as soon as it exists, as an operator would start it.
  const auto start = [this](const std::string& name, const std::string& connection) {
    auto host = std::make_unique<Host>(loop_, kWorldStart, *network_, clients_, host_config(name, connection));
    Host& started = *host;
    add_host(name, std::move(host));
    started.start();
  };
  std::vector<std::pair<std::string, std::string>> waiting;  // (node, connection string): "startNodes": "together"
  for (const cli::NodeSpec& node : scenario_.topology.cluster.nodes) {
    std::vector<std::string> tokens;
    for (const cli::ClientTokenSpec& token : node.client_tokens) {
      co_await operator_->create_client_token(token, "client of " + node.name + " (simulated)");
      tokens.push_back(token.name);
    }
    co_await operator_->create_reader_token(reader_token(node.name));
    tokens.push_back(reader_token(node.name));
    const std::string parent_login_server = node.parent.value_or("cloud") + ":5000";
    const std::string connection = co_await operator_->create_connected_registry(node, tokens, parent_login_server);
    if (scenario_.start_nodes_together) {
      waiting.emplace_back(node.name, connection);
    } else {
      start(node.name, connection);
    }
  }
  for (const auto& [name, connection] : waiting) start(name, connection);  // parents first
}

bool World::all_ready() {
  for (auto& [name, host] : hosts_) {
    if (host->is_cloud()) continue;
    node::Node* node = host->node();
    if (host->state() != Host::State::Running || !node || !node->agent() || !node->agent()->ready()) return false;
  }
  return true;
}

bool World::run_until(const std::function<bool()>& done, Nanoseconds limit) {
  const Nanoseconds deadline = loop_.now() + limit;
  while (!done()) {
    if (loop_.now() >= deadline) return false;
    if (!loop_.run_one()) return done();
  }
  return true;
}

void World::run(Nanoseconds duration) {
  if (!built_) build();
  duration_ = duration;
  invariants_->run_started();
  const Nanoseconds start = loop_.now();
  plan_ = plan_faults(scenario_, duration, nemesis_random_);
  for (size_t i = 0; i < plan_.size(); ++i)
    if (plan_[i].at < duration)
      loop_.schedule_after(start + plan_[i].at - loop_.now(), [this, i] { faults_->apply(plan_[i]); });
  workload_->schedule(start, duration);
  loop_.run_until(start + duration);
}

void World::settle() {
  FaultStep heal;
  heal.at = duration_;
  heal.action = FaultAction::Heal;
  heal.origin = "end of run";
  faults_->apply_closing_heal(heal);
  faults_->heal_all();
  invariants_->healed();
  const Nanoseconds begin = loop_.now();
  const Nanoseconds deadline = begin + scenario_.settle;
  uint64_t checks = 0;
  for (;;) {
    // Judge only once the workload's last operations have ended: a push still in flight is neither lost nor there.
    run_until([this] { return workload_->running() == 0; }, std::max(deadline - loop_.now(), Nanoseconds(0)));
    convergence_ = check_convergence();
    convergence_.checks = ++checks;
    if (convergence_.converged) {
      convergence_.converged_after = loop_.now() - begin;
      break;
    }
    if (loop_.now() >= deadline) break;
    loop_.run_until(std::min(deadline, loop_.now() + scenario_.check_interval));
  }
  settle_ = loop_.now() - begin;
  invariants_->settled();
}

RunResult World::run_all(std::optional<Nanoseconds> duration, AtEnd at_end) {
  const auto wall_start = std::chrono::steady_clock::now();
  if (duration && !built_) metrics_->plan_run(*duration);  // windows for the run it will be, not the file's
  std::optional<std::chrono::steady_clock::time_point> built_at;  // unset: the building itself stopped the run
  try {
    build();
    built_at = std::chrono::steady_clock::now();
    run(duration.value_or(scenario_.duration));
    settle();
  } catch (const TimeStoodStill& stall) {
    invariants_->time_stood_still(stall);  // judged as it stands: a run that would never have ended
  }
  const auto wall_end = std::chrono::steady_clock::now();
  wall_seconds_ = std::chrono::duration<double>(wall_end - wall_start).count();
  after_build_wall_seconds_ = built_at ? std::chrono::duration<double>(wall_end - *built_at).count() : 0.0;
  // Judged before the nodes stop, so a run that leaves them running has the same result (and trace hash) as one
  // that stops them: a seed replays to one hash in the CLI's child and in a test's or a script's own process.
  RunResult judged = result();
  if (at_end == AtEnd::ShutDown) {
    observers_.clear();  // the run is over: its observers agree with its result, as the destructor's shutdown does
    shutdown();
  }
  return judged;
}

void World::shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  loop_.set_stall_limit(0);  // bounded below, busy loop or not
  stop_.raise();
  for (auto& [name, host] : hosts_) host->stop();
  const auto settled = [this] {
    if (workload_ && workload_->running() > 0) return false;
    return std::all_of(hosts_.begin(), hosts_.end(),
                       [](const auto& entry) { return entry.second->state() == Host::State::Down; });
  };
  for (uint64_t i = 0; i < kShutdownEvents && !settled(); ++i)
    if (!loop_.run_one()) break;
}

OciEndpoint World::endpoint_for(const std::string& node) {
  if (node == cli::kCloudNodeName) return {&clients_at("operator"), &stop_, "cloud:5000", operator_->admin()};
  return {&clients_at(node), &stop_, node + ":5000", operator_->credentials(reader_token(node))};
}

ContentRead World::read_node(const std::string& name) {
  ContentRead read;
  auto task = [](OciEndpoint endpoint, ContentRead* out) -> Task<void> { *out = co_await read_content(endpoint); };
  run_to_completion(loop_, task(endpoint_for(name), &read));
  return read;
}

Task<void> World::check_all(ConvergenceReport* report) {
  const ContentRead cloud = co_await read_content(endpoint_for("cloud"));
  if (!cloud.ok) {
    NodeDifference unreadable;
    unreadable.node = "cloud";
    unreadable.unreadable = cloud.error;
    report->differences.push_back(std::move(unreadable));
    co_return;
  }
  for (const cli::NodeSpec& node : scenario_.topology.cluster.nodes) {
    const ContentRead read = co_await read_content(endpoint_for(node.name));
    NodeDifference difference;
    if (read.ok) {
      difference = judge_node(node.name, cloud.content, read.content, scenario_.topology,
                              invariants_->mirror().history());
    } else {
      difference.node = node.name;
      difference.unreadable = read.error;
    }
    if (!difference.empty()) report->differences.push_back(std::move(difference));
  }
  // Every acknowledged push at the cloud with its digest: most are tagged there already; the others are asked for
  // by digest (a conflict may have moved their tag, SPEC 5.7, and they stay reachable by digest).
  std::set<std::string> tagged;
  for (const auto& [repository, tags] : cloud.content)
    for (const auto& [tag, digest] : tags) tagged.insert(repository + "@" + digest);
  for (const AcknowledgedPush& push : workload_->acknowledged()) {
    ++report->pushes_acknowledged;
    bool there = tagged.contains(push.repository + "@" + push.digest);
    if (!there) {
      const auto digest = co_await manifest_digest(endpoint_for("cloud"), push.repository, push.digest);
      there = digest && *digest == push.digest;
    }
    if (there) {
      ++report->pushes_at_cloud;
    } else {
      report->lost_pushes.push_back(push.node + " " + push.repository + ":" + push.tag + "@" + push.digest);
    }
  }
}

ConvergenceReport World::check_convergence() {
  ConvergenceReport report;
  auto task = [](World* world, ConvergenceReport* out) -> Task<void> { co_await world->check_all(out); };
  run_to_completion(loop_, task(this, &report));
  report.converged = report.differences.empty() && report.lost_pushes.empty();
  return report;
}

std::optional<AcknowledgedPush> World::push_now(const std::string& node, const std::string& repository,
                                                const std::string& tag) {
  WorkloadItem item;
  item.where = "push_now";
  PushAction push;
  push.node = node;
  push.repositories = {repository};
  push.tag = tag;
  if (node == cli::kCloudNodeName) {
    push.token = "admin";
  } else {
    const auto tokens = push_tokens(scenario_.topology, node);
    if (tokens.empty()) throw ScenarioError("node " + node + " has no client token that may push");
    push.token = tokens.front();
  }
  push.layers = {1, 1};
  push.layer_size.kind = SizeDistribution::Kind::Fixed;
  push.layer_size.value = 2048;
  item.action = push;
  const size_t before = workload_->acknowledged().size();
  workload_->fire(item);
  run_until([this] { return workload_->running() == 0; }, std::chrono::minutes(10));
  if (workload_->acknowledged().size() == before) return std::nullopt;
  return workload_->acknowledged().back();
}

RunResult World::result() const {
  RunResult result;
  result.scenario = scenario_.name;
  result.seed = seed_;
  result.network = network_->kind();
  result.storage = scenario_.storage;
  result.password_hash_iterations = scenario_.password_hash_iterations;
  result.nodes = hosts_.size();
  result.ready = ready_;
  result.stalled = invariants_->log().count(check::invariant::kTimeMoves) > 0;
  result.warm_up = warm_up_;
  result.duration = duration_;
  result.settle = settle_;
  result.virtual_end = loop_.now();
  result.wall_seconds = wall_seconds_;
  result.events = loop_.events_dispatched();
  result.build_wall_seconds = build_wall_seconds_;
  result.build_events = build_events_;
  result.after_build_wall_seconds = after_build_wall_seconds_;
  result.trace_hash = hash_text(trace_.hash());
  result.trace_records = trace_.count();
  result.requests = totals_->totals;
  if (workload_) result.workload = workload_->stats();
  result.faults = plan_;
  result.faults_applied = faults_ ? faults_->applied() : 0;
  result.convergence = convergence_;
  result.invariants = invariants_->to_json();
  result.invariant_violations = invariants_->violation_texts();
  result.metrics = metrics_->to_json();
  judge(result);
  return result;
}

}  // namespace outpost::sim::world
