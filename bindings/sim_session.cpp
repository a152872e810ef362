#include "bindings/sim_session.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <limits>
#include <memory>
#include <mutex>
#include <set>

#include "reference/common/error.h"
#include "reference/common/iso_duration.h"
#include "reference/common/json_depth.h"
#include "reference/common/json_error.h"
#include "reference/common/log.h"
#include "reference/control/control_plane.h"
#include "simulator/world/fault_details.h"
#include "simulator/world/invariant_watch.h"
#include "simulator/net/sim_network.h"
#include "simulator/report/chrome_trace.h"
#include "simulator/engine/world_random.h"
#include "simulator/world/partition_shapes.h"
#include "simulator/world/quantities.h"
#include "simulator/world/topology_queries.h"
#include "simulator/world/world.h"

namespace outpost::bindings {

using nlohmann::json;
using sim::world::FaultAction;
using sim::world::Host;
using sim::world::ScenarioError;

namespace {

constexpr Nanoseconds kReadLimit = std::chrono::minutes(10);  // one convergence check; a hang fails instead

json link_json(const sim::world::LinkSpec& spec) {
  return {{"latency", sim::world::format_duration(spec.latency)},
          {"jitter", sim::world::format_duration(spec.jitter)},
          {"bandwidth", spec.bandwidth}};
}

std::string_view state_name(Host::State state) {
  switch (state) {
    case Host::State::Running: return "running";
    case Host::State::Crashing: return "crashing";
    case Host::State::Down: return "down";
  }
  return "down";
}

// Runs the loop until `done` holds or virtual time reaches `deadline`; true if it held. Never jumps past the deadline:
// a world always has timers pending (sync loops), so "run until idle" is not a stopping rule here.
bool drive(sim::EventLoop& loop, const std::function<bool()>& done, Nanoseconds deadline) {
  while (!done()) {
    const auto next = loop.next_time();
    if (!next || *next > deadline) {
      if (loop.now() < deadline) loop.run_until(deadline);
      return done();
    }
    loop.run_one();
  }
  return true;
}

// Spawns a world task and drives the loop until it ends or `limit` of virtual time passed; rethrows what it threw.
void finish_within(sim::EventLoop& loop, Task<void> task, Nanoseconds limit, const std::string& what) {
  struct Outcome {
    bool done = false;
    std::exception_ptr error;
  };
  auto outcome = std::make_shared<Outcome>();  // a task given up on may still end later
  spawn(std::move(task), [outcome](std::exception_ptr failure) {
    outcome->done = true;
    outcome->error = failure;
  });
  if (!drive(loop, [&outcome] { return outcome->done; }, loop.now() + limit))
    throw WorldFailed(what + " did not finish within " + sim::world::format_duration(limit) + " of virtual time");
  if (outcome->error) std::rethrow_exception(outcome->error);
}

// Runs `work` on the world: an exception escaping it leaves the world in an unknown state, so the session refuses to
// run on afterwards and says why (ScenarioError and argument errors are the caller's, and leave the world as it was).
template <class F>
decltype(auto) in_world(std::string& failure, uint64_t seed, F&& work) {
  try {
    return work();
  } catch (const ScenarioError&) {
    throw;
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const sim::Interrupted&) {
    throw;  // between two events: the world is whole
  } catch (const WorldFailed& error) {
    failure = error.what();
    throw;
  } catch (const std::exception& error) {
    failure = error.what();
    throw WorldFailed(std::string(error.what()) + " (seed " + std::to_string(seed) + ")");
  }
}

sim::world::Scenario parse_scenario_text(const std::string& scenario_json, const std::string& base) {
  json document;
  try {
    document = parse_json_within_depth(scenario_json, kMaxJsonFileDepth);
  } catch (const std::exception& error) {
    throw ScenarioError(std::string("scenario: not valid JSON: ") + json_error_message(error));
  }
  return sim::world::parse_scenario(document, base);
}

std::string topology_json_of(const sim::world::SimTopology& topology) {
  nlohmann::ordered_json out = cli::topology_json(topology.cluster);
  out["defaultLink"] = link_json(topology.default_link);
  json links = json::object(), nics = json::object();
  for (const auto& [child, spec] : topology.links) links[child] = link_json(spec);
  for (const auto& [host, spec] : topology.nics) nics[host] = {{"bandwidth", spec.bandwidth}};
  out["links"] = links;
  out["nics"] = nics;
  return out.dump();
}

}  // namespace

// Hears the operator's management calls as the world's observers do, so management() can hand Python the answer
// of the call it made (Operator::call gives the body only for a success).
class SimSession::ManagementCapture final : public sim::world::WorldObserver {
 public:
  void on_management(const sim::world::ManagementEvent& event) override { last = event; }
  std::optional<sim::world::ManagementEvent> last;
};

// One call at a time: a second thread (the GIL is released while the engine runs) is refused, not raced. Also
// counts the wall time spent in the engine. The call holds the `calling_` mark, not the mutex: a reader that holds the
// mutex for a moment makes a starting call wait that moment instead of refusing it (a thread that watched `now` while
// another started run_for() once made the run_for() fail at random).
class SimSession::Guard {
 public:
  explicit Guard(SimSession& session) : session_(session) {
    {
      std::lock_guard<std::mutex> lock(session_.mutex_);
      if (session_.calling_)
        throw SessionBusy("the simulation is running a call from another thread; one world runs one call at a time");
      session_.calling_ = true;
    }
    start_ = std::chrono::steady_clock::now();
  }
  ~Guard() {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::lock_guard<std::mutex> lock(session_.mutex_);
    session_.engine_seconds_ += seconds;
    session_.calling_ = false;
  }
  Guard(const Guard&) = delete;
  Guard& operator=(const Guard&) = delete;

 private:
  SimSession& session_;
  std::chrono::steady_clock::time_point start_;
};

// A reader's hold on the session for the moment of its read: refused while a call runs on another thread, and not
// counted as engine time.
class SimSession::ReadGuard {
 public:
  explicit ReadGuard(const SimSession& session) : lock_(session.mutex_) {
    if (session.calling_)
      throw SessionBusy("the simulation is running a call from another thread; read it once that call returned");
  }

 private:
  std::unique_lock<std::mutex> lock_;
};

std::string tree_json(unsigned depth, unsigned fanout, const std::vector<std::string>& modes,
                      const std::vector<std::string>& repositories) {
  return topology_json_of(sim::world::tree(depth, fanout, modes, repositories));
}

std::string expand_topology_json(const std::string& topology_json, const std::string& base) {
  return topology_json_of(parse_scenario_text("{\"topology\": " + topology_json + "}", base).topology);
}

std::string check_scenario_json(const std::string& scenario_json, const std::string& base) {
  return parse_scenario_text(scenario_json, base).name;
}

void set_log_level(const std::string& level) {
  try {
    log::set_level(log::parse_level(level));
  } catch (const std::exception&) {
    throw std::invalid_argument("log level '" + level + "': debug, info, warn, error or off");
  }
}

std::string python_error_class(const std::exception_ptr& failure) {
  try {
    if (failure) std::rethrow_exception(failure);
  } catch (const ScenarioError&) {
    return "ScenarioError";
  } catch (const cli::TopologyError&) {
    return "ScenarioError";
  } catch (const WorldFailed&) {
    return "SimulationError";
  } catch (const sim::world::OperatorError&) {
    return "SimulationError";
  } catch (...) {
  }
  return "";
}

int64_t parse_duration_ns(const std::string& text) {
  const bool negative = !text.empty() && text.front() == '-';
  const auto parsed = parse_human_duration(negative ? std::string_view(text).substr(1) : std::string_view(text));
  if (!parsed)
    throw std::invalid_argument("'" + text + "' is not a duration (250ms, 90s, 10m, 1h, 2d, 1h30m or ISO-8601 PT1H)");
  return negative ? -parsed->count() : parsed->count();
}

SimSession::SimSession(const std::string& scenario_json, const std::string& base, SessionOptions options)
    : options_(std::move(options)), base_(base) {
  sim::world::Scenario scenario = parse_scenario_text(scenario_json, base);
  if (!options_.network.empty()) {
    if (options_.network != "direct" && options_.network != "simulated")
      throw std::invalid_argument("network '" + options_.network + "': direct or simulated");
    scenario.network = options_.network;
  }
  options_.network = scenario.network;
  step_random_ = std::make_unique<SeededRandom>(sim::derive_seed(options_.seed, "python-faults"));
  management_capture_ = std::make_unique<ManagementCapture>();
  world_ = std::make_unique<sim::world::World>(std::move(scenario), options_.seed);
  world_->add_observer(*management_capture_);
  if (options_.trace_keep == "all") {
    world_->trace().keep(sim::Trace::Keep::All);
  } else if (options_.trace_keep == "last") {
    world_->trace().keep(sim::Trace::Keep::Last, std::max<size_t>(options_.trace_last, 1));
  } else if (options_.trace_keep != "none") {
    throw std::invalid_argument("trace '" + options_.trace_keep + "': none, last or all");
  }
}

// The World's destructor stops every node: not to be interrupted.
SimSession::~SimSession() { world_->loop().set_interrupt({}, 0); }

// Often enough to answer Ctrl-C within a fraction of a second at any pace the engine runs, rarely enough to cost
// nothing (the check takes the GIL).
constexpr uint64_t kEventsBetweenInterruptChecks = 20'000;

void SimSession::set_interrupt_check(std::function<bool()> interrupted) {
  Guard guard(*this);
  if (shut_down_) return;
  world_->loop().set_interrupt(std::move(interrupted), kEventsBetweenInterruptChecks);
}

void SimSession::check_usable() const {
  if (!failure_.empty())
    throw WorldFailed("the world failed earlier and cannot run on (" + failure_ + "); replay with seed " +
                      std::to_string(options_.seed));
  if (shut_down_) throw WorldFailed("the simulation was shut down");
}

std::string SimSession::scenario_name() const { return world_->scenario().name; }
std::string SimSession::scenario_file() const { return world_->scenario().file.string(); }
std::string SimSession::topology_json() const { return topology_json_of(world_->scenario().topology); }
std::string SimSession::admin_password() const { return sim::world::World::kAdminPassword; }

std::string SimSession::network_kind() const { return world_->scenario().network; }

std::vector<std::string> SimSession::node_names() const { return sim::world::node_names(world_->scenario().topology); }

void SimSession::require_built(const char* what) {
  if (!built_) throw std::logic_error(std::string(what) + ": build() the simulation first");
}

void SimSession::require_node(const std::string& node) const {
  const auto names = node_names();
  if (std::find(names.begin(), names.end(), node) == names.end())
    throw std::invalid_argument("no node named '" + node + "' (nodes: cloud and the topology's)");
}

bool SimSession::build() {
  Guard guard(*this);
  check_usable();
  if (!built_) {
    try {
      in_world(failure_, options_.seed, [this] { world_->build(); });
    } catch (const sim::Interrupted& interrupted) {
      failure_ = std::string("build() was ") + interrupted.what() + ", and the world is half built";
      throw;
    }
    built_ = true;
    ready_ = world_->result().ready;
  }
  return ready_;
}

void SimSession::run_scenario(std::optional<int64_t> duration_ns) {
  const Nanoseconds duration = duration_ns ? Nanoseconds(*duration_ns) : world_->scenario().duration;
  if (duration <= Nanoseconds(0)) throw std::invalid_argument("run_scenario(): the duration must be positive");
  if (ran_scenario_) throw std::invalid_argument("run_scenario(): the scenario's run phase runs once per simulation");
  // An item that would fire too often at this duration is named now, as `sim run --duration` names it.
  sim::world::check_occurrences(world_->scenario(), duration);
  if (!built_) build();
  Guard guard(*this);
  check_usable();
  ran_scenario_ = true;
  in_world(failure_, options_.seed, [&] { world_->run(duration); });
}

void SimSession::settle() {
  if (!built_) build();
  Guard guard(*this);
  check_usable();
  ++link_heals_;  // settle heals everything first: an end a step's `for` scheduled before it would end a later fault
  ++node_heals_;
  in_world(failure_, options_.seed, [this] { world_->settle(); });
  judge_ = Judge::Settle;
}

void SimSession::shutdown() {
  Guard guard(*this);
  if (shut_down_) return;
  if (built_) {
    closed_result_ = result_json_held();
    closed_hash_ = trace_hash_held();
    closed_records_ = trace_records_held();
  }
  closed_now_ns_ = world_->loop().now().count();
  closed_events_ = world_->loop().events_dispatched();
  shut_down_ = true;
  world_->loop().set_interrupt({}, 0);  // stopping the nodes runs to its end
  if (failure_.empty()) in_world(failure_, options_.seed, [this] { world_->shutdown(); });
}

// After shutdown(), time and events read as they stood when it began (stopping the nodes is not part of the run).
int64_t SimSession::now_ns() const {
  ReadGuard guard(*this);
  return shut_down_ ? closed_now_ns_ : world_->loop().now().count();
}
uint64_t SimSession::events() const {
  ReadGuard guard(*this);
  return shut_down_ ? closed_events_ : world_->loop().events_dispatched();
}

namespace {
// `duration_ns` after the loop's now, refused when that instant is past the last one a run can count: the sum
// wrapped negative, and run_for("106751d") after a day ran nothing and said nothing.
Nanoseconds instant_after(const sim::EventLoop& loop, int64_t duration_ns, const char* call) {
  if (duration_ns > std::numeric_limits<int64_t>::max() - loop.now().count())
    throw std::invalid_argument(std::string(call) +
                                ": the run would pass the last instant the simulator counts (about 292 years after "
                                "its start)");
  return loop.now() + Nanoseconds(duration_ns);
}
}  // namespace

void SimSession::run_for(int64_t duration_ns) {
  if (duration_ns < 0) throw std::invalid_argument("run_for(): the duration must not be negative");
  if (!built_) build();
  Guard guard(*this);
  check_usable();
  const Nanoseconds until = instant_after(world_->loop(), duration_ns, "run_for()");
  in_world(failure_, options_.seed, [&] { world_->loop().run_until(until); });
}

std::string SimSession::differences_with_states(const sim::world::ConvergenceReport& report) {
  json out = report.to_json();
  json states = json::object();
  for (const std::string& name : node_names()) {
    Host& host = world_->host(name);
    states[name] = {{"state", state_name(host.state())},
                    {"paused", host.paused()},
                    {"diskFull", host.disk_full()},
                    {"uplink", world_->faults().uplink_faults(name)}};
  }
  out["states"] = states;
  return out.dump();
}

namespace {

// The world's own check (World::check_convergence) asks every node in turn and would wait for ever on a paused one
// (the direct network has no timeouts); here a node that cannot answer is reported as such instead, which is also the
// reason a caller wants to hear.
std::string cannot_answer(sim::world::World& world, const std::string& name) {
  Host& host = world.host(name);
  if (host.state() != Host::State::Running) return "its process is " + std::string(state_name(host.state()));
  if (host.paused()) return "its process is paused";
  return "";
}

sim::world::OciEndpoint endpoint_for(sim::world::World& world, StopSignal& stop, const std::string& name) {
  if (name == cli::kCloudNodeName) return {&world.clients_at("operator"), &stop, "cloud:5000", world.op().admin()};
  return {&world.clients_at(name), &stop, name + ":5000",
          world.op().credentials(sim::world::World::reader_token(name))};
}

// What one check reads into. Shared with the coroutine: if the check were given up on, a late resume would still
// find it alive.
struct CheckState {
  explicit CheckState(sim::EventLoop& loop) : stop(loop) {}
  StopSignal stop;
  sim::world::ConvergenceReport report;
};

Task<void> read_all(sim::world::World* world, std::shared_ptr<CheckState> state) {
  using namespace sim::world;
  ConvergenceReport& report = state->report;
  if (const std::string why = cannot_answer(*world, "cloud"); !why.empty()) {
    report.differences.push_back(NodeDifference{.node = "cloud", .unreadable = why});
    co_return;
  }
  const ContentRead cloud = co_await read_content(endpoint_for(*world, state->stop, "cloud"));
  if (!cloud.ok) {
    report.differences.push_back(NodeDifference{.node = "cloud", .unreadable = cloud.error});
    co_return;
  }
  const SimTopology& topology = world->scenario().topology;
  for (const cli::NodeSpec& node : topology.cluster.nodes) {
    NodeDifference difference;
    if (const std::string why = cannot_answer(*world, node.name); !why.empty()) {
      difference.node = node.name;
      difference.unreadable = why;
    } else if (const ContentRead read = co_await read_content(endpoint_for(*world, state->stop, node.name));
               read.ok) {
      difference =
          judge_node(node.name, cloud.content, read.content, topology, world->invariants().mirror().history());
    } else {
      difference.node = node.name;
      difference.unreadable = read.error;
    }
    if (!difference.empty()) report.differences.push_back(std::move(difference));
  }
  // The workload's acknowledged pushes (a scenario's), at the cloud with their digest (by digest when a conflict
  // moved the tag, SPEC 5.7). Pushes made from Python are checked by the Python layer, which knows them.
  for (const AcknowledgedPush& push : world->workload().acknowledged()) {
    ++report.pushes_acknowledged;
    const auto tags = cloud.content.find(push.repository);
    bool there = tags != cloud.content.end() &&
                 std::any_of(tags->second.begin(), tags->second.end(),
                             [&push](const auto& tag) { return tag.second == push.digest; });
    if (!there) {
      const auto digest =
          co_await manifest_digest(endpoint_for(*world, state->stop, "cloud"), push.repository, push.digest);
      there = digest && *digest == push.digest;
    }
    if (there) {
      ++report.pushes_at_cloud;
    } else {
      report.lost_pushes.push_back(push.node + " " + push.repository + ":" + push.tag + "@" + push.digest);
    }
  }
}

sim::world::ConvergenceReport check_once(sim::world::World& world) {
  auto state = std::make_shared<CheckState>(world.loop());
  finish_within(world.loop(), read_all(&world, state), kReadLimit, "the convergence check");
  state->report.converged = state->report.differences.empty() && state->report.lost_pushes.empty();
  return state->report;
}

}  // namespace

std::string SimSession::check_convergence() {
  if (!built_) build();
  Guard guard(*this);
  check_usable();
  return in_world(failure_, options_.seed, [this] { return differences_with_states(check_once(*world_)); });
}

std::string SimSession::converge(int64_t deadline_ns, int64_t check_every_ns) {
  if (deadline_ns < 0) throw std::invalid_argument("converge(): the deadline must not be negative");
  if (check_every_ns < std::chrono::nanoseconds(std::chrono::milliseconds(1)).count())
    throw std::invalid_argument("converge(): check at most every millisecond of virtual time");
  if (!built_) build();
  Guard guard(*this);
  check_usable();
  const Nanoseconds deadline = instant_after(world_->loop(), deadline_ns, "converge()");
  return in_world(failure_, options_.seed, [&] {
    sim::EventLoop& loop = world_->loop();
    const Nanoseconds begin = loop.now();
    sim::world::ConvergenceReport report;
    uint64_t checks = 0;
    for (;;) {
      report = check_once(*world_);
      report.checks = ++checks;
      if (report.converged) {
        report.converged_after = loop.now() - begin;
        break;
      }
      if (loop.now() >= deadline) break;
      loop.run_until(loop.now() + std::min(deadline - loop.now(), Nanoseconds(check_every_ns)));
    }
    converged_ = std::make_unique<sim::world::ConvergenceReport>(report);
    converge_took_ns_ = (loop.now() - begin).count();
    judge_ = Judge::Converge;
    return differences_with_states(report);
  });
}

std::string SimSession::result_json() const {
  ReadGuard guard(*this);
  return result_json_held();
}

std::string SimSession::result_json_held() const {
  if (closed_result_) return *closed_result_;
  sim::world::RunResult result = world_->result();
  result.wall_seconds = engine_seconds_;
  // The engine's time once the world was built (build() is timed within the engine's seconds too).
  result.after_build_wall_seconds = std::max(0.0, engine_seconds_ - result.build_wall_seconds);
  if (judge_ == Judge::Converge && converged_) {
    result.convergence = *converged_;
    result.settle = Nanoseconds(converge_took_ns_);
  }
  if (judge_ == Judge::None) result.convergence.converged = true;  // not judged: no violation for it, and null below
  sim::world::judge(result);
  json out = result.to_json();
  if (judge_ == Judge::None) out["convergence"] = nullptr;
  json applied = json::array();
  for (const sim::world::FaultStep& step : applied_) applied.push_back(step.to_json());
  out["faults"]["python"] = applied;
  out["engineSeconds"] = engine_seconds_;
  return out.dump();
}

std::string SimSession::trace_hash() const {
  ReadGuard guard(*this);
  return trace_hash_held();
}
std::string SimSession::trace_hash_held() const {
  return closed_hash_ ? *closed_hash_ : sim::world::hash_text(world_->trace().hash());
}
uint64_t SimSession::trace_records() const {
  ReadGuard guard(*this);
  return trace_records_held();
}
uint64_t SimSession::trace_records_held() const { return closed_hash_ ? closed_records_ : world_->trace().count(); }

void SimSession::export_trace(const std::string& path) const {
  ReadGuard guard(*this);
  std::ofstream out(path, std::ios::binary);
  if (!out) throw std::invalid_argument("cannot write the trace to " + path);
  const std::vector<sim::TraceRecord> records = world_->trace().records();
  sim::report::write_chrome_trace(out, records);
  if (!out) throw std::runtime_error("writing the trace to " + path + " failed");
}

std::string SimSession::trace_json() const {
  ReadGuard guard(*this);
  const std::vector<sim::TraceRecord> records = world_->trace().records();
  return sim::report::chrome_trace_json(records);
}

HttpAnswer SimSession::request(const std::string& node, const std::string& method, const std::string& authority,
                               const std::string& target, const Headers& headers, std::string body,
                               int64_t timeout_ns) {
  if (node != "operator") require_node(node);
  if (timeout_ns <= 0) throw std::invalid_argument("request(): the timeout must be positive");
  if (target.empty() || target.front() != '/') throw std::invalid_argument("request(): the target starts with /");
  const http::Method verb = http::parse_method(method);
  if (verb == http::Method::Other) throw std::invalid_argument("request(): unknown method " + method);
  if (!built_) build();
  Guard guard(*this);
  check_usable();
  return in_world(failure_, options_.seed, [&] {
    http::ClientRequest request;
    request.method = verb;
    request.authority = authority;
    request.target = target;
    for (const auto& [name, value] : headers) request.headers.add(name, value);
    if (!body.empty() || verb == http::Method::Put || verb == http::Method::Post || verb == http::Method::Patch)
      request.body = std::make_unique<http::StringBody>(std::move(body));
    request.idle_timeout = Nanoseconds(timeout_ns);
    auto answer = std::make_shared<std::optional<http::ClientResult>>();  // an answer after the timeout lands here
    world_->clients_at(node).send(std::move(request), nullptr,
                                  [answer](http::ClientResult result) { *answer = std::move(result); });
    sim::EventLoop& loop = world_->loop();
    HttpAnswer out;
    if (!drive(loop, [&answer] { return answer->has_value(); }, loop.now() + Nanoseconds(timeout_ns))) {
      out.transport_error = "no answer within " + sim::world::format_duration(Nanoseconds(timeout_ns)) +
                            " of virtual time";
      return out;
    }
    http::ClientResult& result = **answer;
    if (!result.ok()) {
      out.transport_error = result.transport_error.empty() ? "transport failure" : result.transport_error;
      return out;
    }
    out.status = result.response->status;
    out.headers = result.response->headers.entries();
    out.body = std::move(result.response->body);
    return out;
  });
}

HttpAnswer SimSession::management(const std::string& method, const std::string& path, const std::string& body_json,
                                  int64_t timeout_ns) {
  const http::Method verb = http::parse_method(method);
  if (verb == http::Method::Other) throw std::invalid_argument("management(): unknown method " + method);
  if (timeout_ns <= 0) throw std::invalid_argument("management(): the timeout must be positive");
  json body;
  if (!body_json.empty()) {
    body = json::parse(body_json, nullptr, false);
    if (body.is_discarded()) throw std::invalid_argument("management(): the body is not JSON");
  }
  if (!built_) build();
  Guard guard(*this);
  check_usable();
  return in_world(failure_, options_.seed, [&] {
    management_capture_->last.reset();
    struct Outcome {
      bool done = false;
      std::exception_ptr error;
    };
    auto outcome = std::make_shared<Outcome>();  // a call given up on may still end later
    auto call = [](sim::world::Operator& op, http::Method method, std::string path, json body) -> Task<void> {
      try {
        co_await op.call(method, std::move(path), std::move(body));
      } catch (const sim::world::OperatorError&) {  // a refusal or no answer: the capture holds what came back
      }
    };
    spawn(call(world_->op(), verb, path, std::move(body)), [outcome](std::exception_ptr failure) {
      outcome->done = true;
      outcome->error = failure;
    });
    sim::EventLoop& loop = world_->loop();
    HttpAnswer out;
    if (!drive(loop, [&outcome] { return outcome->done; }, loop.now() + Nanoseconds(timeout_ns))) {
      out.transport_error = "no answer within " + sim::world::format_duration(Nanoseconds(timeout_ns)) +
                            " of virtual time";
      return out;
    }
    if (outcome->error) std::rethrow_exception(outcome->error);
    if (!management_capture_->last) throw WorldFailed("management " + path + ": the world did not report the call");
    const sim::world::ManagementEvent& event = *management_capture_->last;
    out.status = event.status;
    out.transport_error = event.transport_error;
    if (!event.answer.is_null()) {
      out.body = event.answer.dump();
      out.headers.emplace_back("Content-Type", "application/json");
    }
    return out;
  });
}

std::string SimSession::login_server(const std::string& node) const {
  require_node(node);
  return node + ":5000";
}

std::optional<std::string> SimSession::token_password(const std::string& token) const {
  ReadGuard guard(*this);  // the workload changes credentials while a call runs
  if (!built_ || !world_->op().knows(token)) return std::nullopt;
  return world_->op().credentials(token).password;
}

std::string SimSession::node_tokens_json(const std::string& node) const {
  require_node(node);
  const auto& topology = world_->scenario().topology;
  if (node == cli::kCloudNodeName) return json{{"push", json::array()}, {"client", json::array()}}.dump();
  return json{{"push", sim::world::push_tokens(topology, node)},
              {"client", sim::world::client_tokens(topology, node)},
              {"reader", sim::world::World::reader_token(node)}}
      .dump();
}

std::string SimSession::node_status_json(const std::string& node) {
  require_node(node);
  require_built("status()");
  Guard guard(*this);
  Host& host = world_->host(node);
  json out = {{"name", node},
              {"role", host.is_cloud() ? "cloud" : "connected-registry"},
              {"state", state_name(host.state())},
              {"paused", host.paused()},
              {"diskFull", host.disk_full()},
              {"incarnation", host.incarnation()},
              {"crashes", host.crashes()},
              {"clockOffsetNs", host.clock().offset().count()},
              {"loginServer", host.login_server()},
              {"uplink", world_->faults().uplink_faults(node)}};
  if (host.is_cloud()) out["dataEndpoint"] = host.data_endpoint();
  node::Node* process = host.node();
  sync::SyncAgent* agent = process ? process->agent() : nullptr;
  if (agent) {
    out["ready"] = agent->ready();
    out["disabled"] = agent->disabled();
    out["connectionState"] = std::string(sync::to_string(agent->state()));
    out["agent"] = agent->status();
  } else {
    out["ready"] = host.is_cloud() && process != nullptr && host.state() == Host::State::Running;
  }
  // What the cloud shows for a connected registry (SPEC 2.1, 5.3), as GET /mgmt/v1/connectedRegistries/<name> would
  // answer now: read from the cloud's control plane rather than asked over the network, so looking does not move
  // the world's time. Absent while the cloud is down.
  Host& cloud = world_->host(cli::kCloudNodeName);
  if (!host.is_cloud() && cloud.state() == Host::State::Running && !cloud.paused() && cloud.node()) {
    try {
      out["cloud"] = cloud.node()->control().get_connected_registry(node).body;
    } catch (const ApiError&) {  // deleted since: the cloud shows nothing
    }
  }
  return out.dump();
}

std::string SimSession::node_metrics_text(const std::string& node) {
  require_node(node);
  require_built("metrics()");
  Guard guard(*this);
  std::string text;
  if (node::Node* process = world_->host(node).node(); process && world_->host(node).state() == Host::State::Running)
    process->render_metrics(text);
  return text;
}

void SimSession::apply_fault(const std::string& action, const std::vector<std::string>& targets, int64_t skew_ns) {
  // The actions whose step is complete with targets (and a skew); the others carry details only a step states.
  static const std::set<std::string> kPlain = {"link-down", "link-up", "partition", "heal",       "crash",    "restart",
                                               "pause",     "resume",  "clock-skew", "disk-full", "disk-freed"};
  const auto parsed = sim::world::parse_fault_action(action);
  if (!parsed) throw std::invalid_argument("'" + action + "' is not a fault action");
  if (!kPlain.contains(action))
    throw std::invalid_argument(action + " takes details: apply it as a fault step (apply_step)");
  for (const std::string& target : targets) {
    require_node(target);
    const bool uplink = *parsed == FaultAction::LinkDown || *parsed == FaultAction::LinkUp ||
                        *parsed == FaultAction::Partition || *parsed == FaultAction::Heal;
    if (uplink && target == cli::kCloudNodeName)
      throw std::invalid_argument(action + ": the cloud has no uplink; name connected registries");
  }
  if (targets.empty() && *parsed != FaultAction::Heal) throw std::invalid_argument(action + ": name its targets");
  // As a scenario's clock-skew step is checked (its wall clock would pass the end of 64-bit nanoseconds).
  if (Nanoseconds(skew_ns) > sim::world::kMaxClockSkew || Nanoseconds(skew_ns) < -sim::world::kMaxClockSkew)
    throw std::invalid_argument(action + ": the skew must be within 36500 days either way");
  if (!built_) build();
  Guard guard(*this);
  check_usable();
  sim::world::FaultStep step;
  step.at = world_->loop().now();
  step.action = *parsed;
  step.targets = targets;
  step.skew = Nanoseconds(skew_ns);
  step.origin = "python";
  in_world(failure_, options_.seed, [&] {
    world_->faults().apply(step);
    settle_instant(step);
  });
  applied_.push_back(std::move(step));
}

void SimSession::settle_instant(const sim::world::FaultStep& applied) {
  // A crash ends in events posted at this instant (the dying process unwinds): run them, so the node is down when
  // the call returns, as a killed process is. A restart() right after it found the node still crashing and took
  // effect only once time moved, and status() said "crashing" and ready together.
  if (applied.action == FaultAction::Crash) world_->loop().run_until(world_->loop().now());
}

void SimSession::apply_step(const std::string& step_json) {
  json step;
  try {
    step = parse_json_within_depth(step_json, kMaxJsonFileDepth);
  } catch (const std::exception& error) {
    throw ScenarioError(std::string("step: not valid JSON: ") + json_error_message(error));
  }
  if (!step.is_object()) throw ScenarioError("step: must be an object {\"action\", \"target\", ...}");
  if (!step.contains("at")) step["at"] = "0s";
  const json document = {{"topology", json::parse(topology_json())}, {"faults", {{"timeline", json::array({step})}}}};
  std::vector<sim::world::FaultStep> steps;
  try {
    steps = sim::world::parse_scenario(document, base_).timeline;
  } catch (const ScenarioError& error) {
    // The parser names the place inside the scenario it was given; the caller wrote a step.
    std::string message = error.what();
    for (const std::string prefix : {"scenario.faults.timeline[0]", "scenario.faults.timeline"})
      if (message.starts_with(prefix)) {
        message = "step" + message.substr(prefix.size());
        break;
      }
    throw ScenarioError(message);
  }
  if (steps.empty()) return;
  sim::world::expand_partitions(steps, world_->scenario().topology, *step_random_);  // a shape's sides, drawn now
  if (!built_) build();
  Guard guard(*this);
  check_usable();
  sim::EventLoop& loop = world_->loop();
  const Nanoseconds now = loop.now();
  // How many heals there had been when the step began: its end (a `for`) is dropped when one came after that, since
  // what it would end is over (and it would end a later fault of that kind). Counted when the step begins, not now:
  // a heal before a step scheduled for later ends nothing of it.
  // The heals that end this step's kind of fault: a node's (crash, pause, skew, a full disk) or a link's.
  const FaultAction kind = steps.front().action;
  const bool node_fault = kind == FaultAction::Crash || kind == FaultAction::Restart || kind == FaultAction::Pause ||
                          kind == FaultAction::Resume || kind == FaultAction::ClockSkew ||
                          kind == FaultAction::DiskFull || kind == FaultAction::DiskFreed;
  const uint64_t* heals = node_fault ? &node_heals_ : &link_heals_;
  const auto heals_at_start = std::make_shared<uint64_t>(*heals);
  in_world(failure_, options_.seed, [&] {
    for (sim::world::FaultStep& planned : steps) {
      const bool undoes = planned.origin.ends_with(sim::world::kEndOfStep);  // the end of a step with `for`
      planned.origin = "python";
      // The world's own plan counts from the start of its run; a step from Python counts from now.
      auto apply = [this, planned, now, undoes, heals, heals_at_start]() mutable {
        if (undoes && *heals_at_start != *heals) return;  // healed meanwhile: what it would end is over
        if (!undoes) *heals_at_start = *heals;
        planned.at = now + planned.at;
        world_->faults().apply(planned);
        // A heal step for every link (no side named) ends every link fault, as heal_all() does for links.
        if (!undoes && planned.action == FaultAction::Heal && planned.targets.empty()) ++link_heals_;
        applied_.push_back(planned);
      };
      if (planned.at <= Nanoseconds(0)) {
        apply();
        settle_instant(planned);
      } else {
        loop.schedule_after(planned.at, std::move(apply));
      }
    }
  });
}

void SimSession::heal_all() {
  if (!built_) build();
  Guard guard(*this);
  check_usable();
  in_world(failure_, options_.seed, [this] {
    sim::world::FaultStep heal;
    heal.at = world_->loop().now();
    heal.action = FaultAction::Heal;
    heal.origin = "python";
    world_->faults().apply(heal);  // every partition, link-down and link fault (toxics, stop, slow, jam, ...)
    world_->faults().heal_all();   // and every host: restarted, resumed, on true time, its disk freed
    ++link_heals_;
    ++node_heals_;
    applied_.push_back(std::move(heal));
  });
}

std::string SimSession::toxics_json(const std::string& client, const std::string& server) const {
  ReadGuard guard(*this);  // fault steps change the toxics while a call runs
  const sim::SimNetwork* network = world_->network().sim_network();
  json out = json::array();
  if (network)
    for (const sim::Toxic& toxic : network->toxics(client, server))
      out.push_back({{"name", toxic.name},
                     {"type", sim::toxic_type_name(toxic.type)},
                     {"stream", sim::stream_name(toxic.stream)},
                     {"toxicity", toxic.toxicity}});
  // `down` toxics are cuts the world's fault injector keeps, whichever network: added and removed by fault steps, by
  // their `for`, or by a heal, all of which it sees.
  if (built_)  // the fault injector comes with the world's build
    for (const std::string& name : world_->faults().down_toxics(client))
      out.push_back({{"name", name}, {"type", "down"}, {"stream", "both"}, {"toxicity", 1.0}});
  return out.dump();
}

}  // namespace outpost::bindings
