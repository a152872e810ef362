#pragma once
// A simulated world: a scenario's hierarchy of real nodes (reference/node) on one event loop in virtual time, driven
// black-box through HTTP by an operator (the management API) and by clients (the workload), with faults applied to
// its hosts and links, and judged at the end (convergence, acknowledged pushes). One seed, one run: every random draw
// comes from a stream derived from it by name (simulator/engine/world_random.h: "workload", "nemesis",
// "node/<name>"), and everything that happens goes into the run's trace, so a seed replays exactly and its trace hash
// says so.
//
// Phases: build() (the cloud, the resources, the connected registries, until every node is ready), run() (the
// workload and the faults for the duration), settle() (heal everything, wait for convergence within the scenario's
// bound); run_all() does the three and returns the result.
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "reference/common/random.h"
#include "reference/common/string_hash.h"
#include "reference/common/task.h"
#include "simulator/engine/event_loop.h"
#include "simulator/engine/trace.h"
#include "simulator/world/convergence.h"
#include "simulator/world/faults.h"
#include "simulator/world/data_root.h"
#include "simulator/world/host.h"
#include "simulator/world/observer.h"
#include "simulator/world/operator.h"
#include "simulator/world/run_result.h"
#include "simulator/world/scenario.h"
#include "simulator/world/trace_recorder.h"
#include "simulator/world/workload.h"
#include "simulator/world/world_client.h"
#include "simulator/world/world_network.h"

namespace outpost::sim::world {

// The world's fixed start date: every run begins at the same wall time, so cron windows and TTLs replay.
inline const WallTime kWorldStart = WallTime(std::chrono::seconds(1798761600));  // 2027-01-01T00:00:00Z

using NetworkFactory = std::function<std::unique_ptr<WorldNetwork>(EventLoop&)>;

class InvariantWatch;
class RunMetrics;

class World {
 public:
  static constexpr const char* kAdminPassword = "sim-admin-password";

  // `make_network` null: the network the scenario names.
  World(Scenario scenario, uint64_t seed, NetworkFactory make_network = nullptr);
  ~World();
  World(const World&) = delete;
  World& operator=(const World&) = delete;

  // The run's trace: its hash identifies the run; it keeps no records unless told (trace().keep(...)) before build().
  Trace& trace() { return trace_; }
  // Observers added before build() see everything.
  void add_observer(WorldObserver& observer) { observers_.add(observer); }
  // Set before build(): applied to the options of every node process (its name, its options), e.g. to attach an
  // access-decision observer. The invariant checks have installed theirs already, so this may wrap it.
  std::function<void(const std::string& node, node::NodeOptions& options)> configure_node;
  // Every invariant of simulator/check, watching the run (invariant_watch.h), and the run's metrics (run_metrics.h).
  InvariantWatch& invariants() { return *invariants_; }
  RunMetrics& metrics() { return *metrics_; }

  void build();
  void run(Nanoseconds duration);
  void settle();
  // What run_all() does once the run is judged. A process about to exit (the CLI's forked child) leaves the nodes as
  // they are: stopping 8,421 nodes and unwinding their calls only to free memory the exit frees cost a tenth of a
  // kraken run. The result is the same either way: it is taken before the shutdown.
  enum class AtEnd { ShutDown, LeaveRunning };
  RunResult run_all(std::optional<Nanoseconds> duration = std::nullopt, AtEnd at_end = AtEnd::ShutDown);
  // Stops every node and lets everything unwind (the destructor does it when it was not done).
  void shutdown();

  // The result so far (the judgement included).
  RunResult result() const;

  // Pieces, for tests and tools.
  EventLoop& loop() { return loop_; }
  WorldNetwork& network() { return *network_; }
  Host& host(std::string_view name);  // throws std::out_of_range for a name that is no host
  Operator& op() { return *operator_; }
  Workload& workload() { return *workload_; }
  FaultInjector& faults() { return *faults_; }
  const Scenario& scenario() const { return scenario_; }
  uint64_t seed() const { return seed_; }
  // The HTTP client of the clients next to `node` ("client.<node>").
  WorldClient& clients_at(const std::string& node);

  // Run the loop (never call them from inside an event).
  // Until `done()` holds or `limit` of virtual time passed; true if it held.
  bool run_until(const std::function<bool()>& done, Nanoseconds limit);
  // A node's content through the OCI API (the admin user at the cloud, the simulator's reader token elsewhere).
  ContentRead read_node(const std::string& name);
  // One convergence check now: every node against the cloud, and every acknowledged push at the cloud.
  ConvergenceReport check_convergence();
  // A push of a one-layer image now (as the workload would, counted with it), run to its end: the push when it was
  // acknowledged.
  std::optional<AcknowledgedPush> push_now(const std::string& node, const std::string& repository,
                                           const std::string& tag);

  // The token the simulator reads a connected registry with (SPEC 4.2: one of its client tokens).
  static std::string reader_token(const std::string& node) { return node + "-sim"; }

 private:
  class Totals;
  Task<void> create_resources();
  void start_cloud();
  void add_host(const std::string& name, std::unique_ptr<Host> host);
  HostConfig host_config(const std::string& name, const std::string& connection_string) const;
  OciEndpoint endpoint_for(const std::string& node);
  Task<void> check_all(ConvergenceReport* report);
  bool all_ready();

  Scenario scenario_;
  uint64_t seed_;
  EventLoop loop_;
  std::unique_ptr<WorldNetwork> network_;
  Trace trace_;
  TraceRecorder trace_recorder_{trace_};
  ObserverList observers_;
  std::unique_ptr<Totals> totals_;
  std::unique_ptr<InvariantWatch> invariants_;
  std::unique_ptr<RunMetrics> metrics_;
  StopSignal stop_;
  ClientContext clients_;
  SeededRandom workload_random_;
  SeededRandom nemesis_random_;
  // On disk storage, where the hosts' data directories are; declared before the hosts, so removed after them.
  std::unique_ptr<DataRoot> data_root_;
  std::map<std::string, std::unique_ptr<Host>> hosts_;
  // The same hosts by name, hashed: each exchange looks its server up (twice), and the ordered map's comparisons of
  // long, alike names were a tenth of a big world's steady state. hosts_ keeps the order iterations need.
  StringMap<Host*> host_index_;
  std::map<std::string, std::unique_ptr<WorldClient>> outside_clients_;  // "operator", "client.<node>"
  std::unique_ptr<Operator> operator_;
  std::unique_ptr<Workload> workload_;
  std::unique_ptr<FaultInjector> faults_;

  std::vector<FaultStep> plan_;
  bool built_ = false, shut_down_ = false;
  bool ready_ = false;
  Nanoseconds warm_up_{0}, duration_{0}, settle_{0};
  ConvergenceReport convergence_;
  double wall_seconds_ = 0;
  // The building's share (build(): resources, nodes started, the warm-up until every node is ready), and the wall
  // time of run_all() after it: a large fleet's building is a sixth of its quiet day, and whoever measures how fast
  // the fleet runs wants the rate without it.
  double build_wall_seconds_ = 0, after_build_wall_seconds_ = 0;
  uint64_t build_events_ = 0;
};

}  // namespace outpost::sim::world
