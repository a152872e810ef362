#pragma once
// The simulator as the Python module `outpost` sees it: one World (simulator/world/world.h) behind a small surface of
// plain values (strings, numbers, JSON text), so the pybind11 layer (module.cpp) stays a thin list of bindings and the
// Python vocabulary (bindings/outpost/) is shared with the live world, which speaks HTTP the same way.
//
// Everything a test does goes through here: HTTP requests as a client next to a node would send them (the OCI API;
// the management API through the world's operator), run loops in virtual time, and faults as fault steps through the
// world's FaultInjector (so the trace, the metrics and the invariant checks see them exactly as a scenario's own).
// Nothing here is called from inside an event: each call runs the loop itself, between events, and returns when its
// work is done.
//
// Not thread-safe by design (one world, one loop): the Python layer releases the GIL while a call runs, so a second
// thread calling in meanwhile is refused with SessionBusy instead of racing.
//
// The header names nothing of the world (the engine's types stay in sim_session.cpp), so the pybind11 translation unit
// that includes it compiles pybind11 alone.
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace outpost {
class SeededRandom;
}
namespace outpost::sim::world {
class World;
struct ConvergenceReport;
struct FaultStep;
}  // namespace outpost::sim::world

namespace outpost::bindings {

// The world failed (an exception escaped an event, a setup step did not finish): the run cannot go on, and the
// message says why. Python sees outpost.SimulationError.
class WorldFailed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Another thread called while a call was running. Python: RuntimeError.
class SessionBusy : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// One HTTP answer, or why there was none.
struct HttpAnswer {
  int status = 0;  // 0: no answer (transport_error says why)
  Headers headers;
  std::string body;
  std::string transport_error;
};

struct SessionOptions {
  uint64_t seed = 1;
  std::string network;              // "direct" | "simulated"; empty: the scenario's
  std::string trace_keep = "last";  // "none" | "last" | "all"
  size_t trace_last = 100'000;      // with "last": how many records the ring keeps
};

// A scenario's `topology` value (JSON text: inline nodes, {"file"}, {"tree"} or a file name relative to `base`)
// expanded: the cluster format (every node, every default) plus "defaultLink", "links" and "nics" in the scenario's
// units. Both worlds start from this document. Throws ScenarioError naming the field.
std::string expand_topology_json(const std::string& topology_json, const std::string& base);
// tree(depth, fanout, modes, repositories) expanded the same way.
std::string tree_json(unsigned depth, unsigned fanout, const std::vector<std::string>& modes,
                      const std::vector<std::string>& repositories);
// Parses a whole scenario (JSON text) and returns its name; throws ScenarioError naming the field.
std::string check_scenario_json(const std::string& scenario_json, const std::string& base);
// "1h", "90s", "PT1H", "-5m" -> nanoseconds; throws std::invalid_argument.
int64_t parse_duration_ns(const std::string& text);
// The nodes' logs from now on, process-wide ("debug" ... "off"); throws std::invalid_argument.
void set_log_level(const std::string& level);
// Which of the Python package's exception classes (bindings/outpost/errors.py) a failure is: "ScenarioError",
// "SimulationError", or "" for the standard ones pybind11 translates itself
// (std::invalid_argument -> ValueError, ...).
std::string python_error_class(const std::exception_ptr& failure);

class SimSession {
 public:
  SimSession(const std::string& scenario_json, const std::string& base, SessionOptions options);
  ~SimSession();
  SimSession(const SimSession&) = delete;
  SimSession& operator=(const SimSession&) = delete;

  // --- identity ---
  uint64_t seed() const { return options_.seed; }
  std::string network_kind() const;
  std::string scenario_name() const;
  std::string scenario_file() const;
  std::string topology_json() const;
  // Every node, the cloud first, parents before children.
  std::vector<std::string> node_names() const;

  // Called once every few thousand events while the engine runs (with the GIL released: the function takes it
  // itself); when it returns true the run stops between two events and the call throws sim::Interrupted. The session
  // stays usable at the instant reached, except after an interrupted build(), whose world is half made. Python's
  // Ctrl-C comes this way. Never asked while the session shuts down.
  void set_interrupt_check(std::function<bool()> interrupted);

  // --- phases ---
  // Starts the cloud, creates every resource, starts every connected registry and waits (at most the scenario's
  // warmUp) until each is ready; true when all were. Later calls do nothing.
  bool build();
  bool built() const { return built_; }
  // The scenario's own run phase (its workload and fault plan for `duration`, default the scenario's), as
  // `outpost sim run` does it: build + run_scenario + settle + shutdown replays that command's run exactly (the same
  // trace hash). Once per session.
  void run_scenario(std::optional<int64_t> duration_ns);
  // The scenario's settle phase: heal everything, wait for convergence within `settle`; judges the run.
  void settle();
  void shutdown();

  // --- time ---
  int64_t now_ns() const;
  uint64_t events() const;
  // Runs every event due within `duration` of virtual time.
  void run_for(int64_t duration_ns);
  // Wall seconds spent inside the engine by this session's calls (the rest of a script's wall time is Python's).
  double engine_seconds() const { return engine_seconds_; }

  // --- judgement ---
  // One convergence check now, as JSON (ConvergenceReport, plus each differing node's state).
  std::string check_convergence();
  // Checks every `check_every` until converged or `deadline` of virtual time has passed; the last report as JSON
  // (with "convergedAfter"). The result() then judges convergence by it.
  std::string converge(int64_t deadline_ns, int64_t check_every_ns);
  // The run's result (RunResult as JSON, docs/simulator.md "The result"); convergence is judged by the latest of
  // settle() and converge(), and is null when neither ran.
  std::string result_json() const;
  std::string trace_hash() const;
  uint64_t trace_records() const;
  // The kept trace records in the Chrome trace format (Perfetto); to a file, or as text.
  void export_trace(const std::string& path) const;
  std::string trace_json() const;

  // --- clients ---
  // One HTTP exchange sent by the client host next to `node` ("client.<node>"; "operator" for the operator's host),
  // run until it is answered or `timeout` of virtual time has passed (then status 0 and a transport error).
  HttpAnswer request(const std::string& node, const std::string& method, const std::string& authority,
                     const std::string& target, const Headers& headers, std::string body, int64_t timeout_ns);
  // One management call (SPEC 7.2, `path` below /mgmt/v1/, a query allowed; `body_json` empty for none) made by the
  // world's operator like its own, so the world's invariant checks mirror what it changes (control_mirror.h).
  // The answer as request() gives it; a refusal is an answer, not an error.
  HttpAnswer management(const std::string& method, const std::string& path, const std::string& body_json,
                        int64_t timeout_ns);
  // The login server of a node ("line1:5000").
  std::string login_server(const std::string& node) const;
  // The password the world's operator holds for a token it created (password1, or the latest regenerated); none for
  // a token it does not know.
  std::optional<std::string> token_password(const std::string& token) const;
  std::string admin_password() const;
  // {"push": [...], "client": [...], "reader": "<node>-sim"}: the tokens a node's clients use, in topology order.
  std::string node_tokens_json(const std::string& node) const;

  // --- nodes ---
  // {"name", "role", "state" (running|crashing|down), "paused", "incarnation", "crashes", "clockOffsetNs", "ready",
  //  "connectionState", "disabled", "agent": the status report it sends up (SPEC 5.3), "uplink": the faults in force
  //  on its uplink (FaultInjector::uplink_faults)}.
  std::string node_status_json(const std::string& node);
  // The node's Prometheus text (empty while its process is down).
  std::string node_metrics_text(const std::string& node);

  // --- faults ---
  // One fault step that needs no details, by its scenario name ("link-down", "link-up", "partition" of one side,
  // "heal", "crash", "restart", "pause", "resume", "clock-skew" with `skew_ns`, "disk-full", "disk-freed"), applied
  // now through the world's FaultInjector exactly as a timeline step. Throws std::invalid_argument for an unknown
  // action or target, or one that takes details (toxics, stop, slow, ...: apply_step).
  void apply_fault(const std::string& action, const std::vector<std::string>& targets, int64_t skew_ns);
  // One step in the scenario format's timeline vocabulary (docs/simulator.md, "faults": {"action", "target",
  // "attributes", "for", "at"}), parsed by the scenario parser itself, so every action it knows (today's and those
  // added later) works here with the same checks. "at" (default 0) counts from now; "for" schedules the undo. Throws
  // ScenarioError naming the field ("step.target: ..."). Random partition shapes draw from the stream "python-faults".
  void apply_step(const std::string& step_json);
  // Every fault healed: links, partitions, link faults, hosts (restarted, resumed, true clocks, disks freed).
  void heal_all();
  // The toxics in force from host `client` to host `server` ([{"name", "type", "stream", "toxicity"}] as JSON; none
  // on the direct network). Toxics come and go as fault steps (apply_step: "toxic", "remove-toxic").
  std::string toxics_json(const std::string& client, const std::string& server) const;

 private:
  // After a step applied now (not from a loop event): runs what it posted at this instant (sim_session.cpp).
  void settle_instant(const sim::world::FaultStep& applied);
  class Guard;
  class ReadGuard;
  // What the public readers return, for callers that hold the session already (shutdown()).
  std::string result_json_held() const;
  std::string trace_hash_held() const;
  uint64_t trace_records_held() const;
  void require_built(const char* what);
  void require_node(const std::string& node) const;
  void check_usable() const;
  std::string differences_with_states(const sim::world::ConvergenceReport& report);

  class ManagementCapture;
  SessionOptions options_;
  std::string base_;  // where file names in the scenario are relative to
  std::unique_ptr<ManagementCapture> management_capture_;  // declared first: the World holds a reference to it
  std::unique_ptr<sim::world::World> world_;
  bool built_ = false, ready_ = false, ran_scenario_ = false, shut_down_ = false;
  // The run as it stood when shutdown() began: stopping the nodes is not part of it, so a closed simulation reads
  // the result and trace hash `outpost sim run` reports for the seed (World::run_all judges before stopping too).
  std::optional<std::string> closed_result_, closed_hash_;
  uint64_t closed_records_ = 0;
  int64_t closed_now_ns_ = 0;
  uint64_t closed_events_ = 0;
  std::string failure_;  // set once the world failed: later calls refuse to run it
  double engine_seconds_ = 0;
  // `calling_` is set while a call runs (Guard); the mutex guards it and is held by a reader (ReadGuard) for its
  // read. A second thread reading the world while a call runs it would race the engine, so it is refused as a second
  // call is; a call starting during a read waits for the read to end.
  mutable std::mutex mutex_;
  bool calling_ = false;
  std::vector<sim::world::FaultStep> applied_;  // the faults applied from Python, in order
  // Counts heals: the undo a step's `for` scheduled is dropped when a heal came between, since the fault it would end
  // is over (left to run, it ended a later fault of the same kind: a new down(), a new crash). Links and nodes apart:
  // a `heal` step (or a link heal) ends link faults only, so it drops the end of a link step, not a crash's restart.
  // heal_all() and settle() count as both.
  uint64_t link_heals_ = 0;
  uint64_t node_heals_ = 0;
  // Draws of the steps applied from Python (random partition shapes): a stream of the world's seed by name, so the
  // same calls draw the same sides.
  std::unique_ptr<SeededRandom> step_random_;
  // The latest judgement: settle()'s (the world's own) or converge()'s (ours), whichever ran last.
  enum class Judge { None, Settle, Converge } judge_ = Judge::None;
  std::unique_ptr<sim::world::ConvergenceReport> converged_;
  int64_t converge_took_ns_ = 0;
};

}  // namespace outpost::bindings
