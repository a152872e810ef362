#pragma once
// Every invariant of simulator/check attached to a World run (docs/simulator.md, "Invariants and the oracle"):
//   (i)   decision-matches-oracle, (ii) no-write-on-read-only, (iv) changes-enforced-in-time: every access decision
//         each node makes, through the decision observer seam (World::configure_node puts it in NodeOptions), judged
//         against the history of the World the operator's management calls built (control_mirror.h);
//   (ii)  also every answer a client got from a ReadOnly node;
//   (vii) no-blob-read-without-right: every blob a node served (its decision, then the client's 200);
//   (v)   acknowledged-push-reaches-cloud, (iii) convergence, (vi) blob-matches-digest: at the end of the settle, on
//         the hosts' stores (the cloud's content, each node's, every stored blob hashed).
//   (viii) time-moves: the loop's stall limit stopped the run (World::run_all): something scheduled work for the same
//         virtual instant again and again, and time would never have moved on.
// How far behind the cloud a node may be (the horizon of (i), the bound of (iv) and (vii)) is its depth times a
// per-level lag, stretched over the outages of its way to the cloud (outage_windows.h).
//
// Decisions are judged as they come, except while a management change is on its way: the cloud applies it in the
// event its own decision on the call is made, but the mirror learns what it was (the passwords it handed out) only
// from the answer. Decisions made meanwhile wait and are judged once the change is recorded, from the instant the
// cloud applied it. A change whose answer never came (the cloud crashed, the link reset) counts as applied when the
// cloud had allowed it.
//
// A violation names the seed, the virtual time, the node, the invariant and the last events involving that node; it
// is also written into the run's trace (kind "violation"), so a run that breaks an invariant has another hash than
// one that does not. Watching adds no event to the loop.
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/common/string_hash.h"
#include "reference/node/node.h"
#include "simulator/check/blob_integrity_invariant.h"
#include "simulator/check/blob_read_invariant.h"
#include "simulator/check/convergence_invariant.h"
#include "simulator/check/decision_invariant.h"
#include "simulator/check/enforcement_invariant.h"
#include "simulator/check/judgement_cache.h"
#include "simulator/check/push_invariant.h"
#include "simulator/check/read_only_invariant.h"
#include "simulator/check/violation.h"
#include "simulator/engine/event_loop.h"
#include "simulator/world/control_mirror.h"
#include "simulator/world/observer.h"
#include "simulator/world/outage_windows.h"
#include "simulator/world/recent_events.h"

namespace outpost::sim::world {

class World;

struct InvariantOptions {
  // How far behind its parent a node may be when nothing is broken, and how long it may take to catch up after an
  // outage, per level of depth. Defaults (0): the scenario's long poll + status interval + the agent's backoff cap;
  // recovery adds the 60 s the agent waits on a request that an outage swallowed without a word.
  Nanoseconds lag_per_level{0};
  Nanoseconds recovery_per_level{0};
  // (i)'s horizon is (iv)'s bound plus this: an answer that agrees only with versions older than that is wrong, not
  // late.
  Nanoseconds horizon_slack = std::chrono::minutes(10);
  size_t last_events = 12;  // per violation
  // Management changes within this much virtual time make one version of the World (control_mirror.h). Default
  // (negative): none (each change its own version) in worlds of up to 100 nodes, one second in larger ones.
  Nanoseconds version_window{-1};
  // Bytes hashed at the end ((vi)); past it, the remaining blobs of each store (in digest order) are skipped and
  // counted, so a run that moved terabytes of synthetic content does not hash them all.
  uint64_t blob_integrity_budget = uint64_t{1} << 30;
};

class InvariantWatch final : public WorldObserver {
 public:
  // `world` must outlive the watch; the watch must be added to its observers before build().
  InvariantWatch(World& world, InvariantOptions options = {});
  ~InvariantWatch() override;

  // For World::configure_node: installs the node's decision observer (before anyone else's tweak, so a test may wrap
  // it).
  void attach(const std::string& node, node::NodeOptions& options);

  void on_request(const RequestEvent& event) override;
  void on_fault(const FaultEvent& event) override;
  void on_push_acknowledged(const PushEvent& event) override;
  // A delete or untag acknowledged (or unanswered, so perhaps applied) takes its push back: it need no longer reach
  // the cloud.
  void on_delete(const DeleteEvent& event) override;
  void on_management(const ManagementEvent& event) override;

  // The run begins (the world is built and ready): changes from now on are the workload's, whose enforcement delays
  // the report lists.
  void run_started();
  // Every fault healed (the settle phase begins).
  void healed();
  // The settle ended: the checks of content, on the hosts' stores.
  void settled();
  // The loop stopped the run at a busy loop (EventLoop::set_stall_limit): a violation of time-moves, at the node that
  // sent the most exchanges at that instant ("world" when none did).
  void time_stood_still(const TimeStoodStill& stall);

  const check::ViolationLog& log() const { return log_; }
  bool held() const { return log_.empty(); }
  // One text per violation: "seed 3, virtual time 25m3.12s, line1:5000, decision-matches-oracle: ...", then the last
  // events involving the node, one per line.
  std::vector<std::string> violation_texts() const;
  // {"held", "checks": [{"name", "checked", "violations"}...], "enforcement": {...}, "violations": [...], ...}
  nlohmann::json to_json() const;

  const ControlMirror& mirror() const { return mirror_; }

 private:
  // A management call the cloud allowed (and so applied, at `applied`), until its answer says what it was.
  struct PendingChange {
    http::Method method;
    std::string path;  // below /mgmt/v1/, without the query
    WallTime applied;
    std::optional<ManagementEvent> answered;
  };
  // A blob read a node allowed, until its client hears the answer.
  struct BlobCandidate {
    std::string authorization;
    WallTime decided;
  };
  void observe_decision(const registry::DecisionRecord& record);
  // The allowed decision of the request `event` answers (at `target`: its path, and its query for a mount), taken
  // off the queue; none (reported: served without a decision) when no decision made after it was sent allowed it.
  std::optional<BlobCandidate> take_candidate(const RequestEvent& event, const std::string& target, WallTime done);
  void judge(const check::ObservedDecision& decision);
  void judge_read(const check::BlobRead& read);
  // Judgements wait while a management change is on its way or being gathered into a version.
  bool must_wait() const;
  // What waits: a decision, or a blob read, judged in the order they came. Held as they are (no closure per decision:
  // building a World of thousands of nodes defers tens of thousands).
  using Waiting = std::variant<check::ObservedDecision, check::BlobRead>;
  void wait(Waiting waiting);
  void record_changes();
  // At every event: a version the mirror gathered is recorded once its window passed, and what waited for it judged.
  void tick();
  void judge_waiting();
  Nanoseconds lag(int depth) const;
  WallTime wall_now() const;
  bool holds(std::string_view address, std::string_view repository, std::string_view digest) const;
  void on_violation(const check::Violation& violation);

  World& world_;
  InvariantOptions options_;
  ControlMirror mirror_;
  OutageWindows outages_;
  RecentEvents recent_;
  check::ViolationLog log_;
  std::vector<std::vector<std::string>> last_events_;  // per violation, in the log's order
  // The node and virtual time of what is being judged: the lag bounds read them (the checks ask by depth only).
  std::string context_node_;
  Nanoseconds context_time_{0};

  // The decision being observed, refilled for each: its strings keep their buffers (a decision copied into new
  // strings cost allocations for every decision of a run).
  check::ObservedDecision decision_;
  check::JudgementCache judgements_;  // alike decisions prepared and answered once
  check::DecisionInvariant decisions_;
  check::EnforcementInvariant enforcement_;
  check::ReadOnlyInvariant read_only_;
  check::BlobReadInvariant blob_reads_;
  check::BlobIntegrityInvariant integrity_;
  std::optional<check::ConvergenceInvariant> convergence_;  // made at the end: its deadline is the settle there was
  check::PushInvariant pushes_;

  std::deque<PendingChange> changes_;            // allowed by the cloud, in the order it applied them
  // Calls the operator gave up on (no answer) while the cloud was paused, before it decided them, oldest first: a
  // paused cloud still decides a call it held when it resumes, and applies it then. (A call that failed while the
  // cloud ran or was down never reached it.) Gone with a crash of the cloud, which loses what it held.
  std::deque<ManagementEvent> given_up_;
  std::deque<Waiting> deferred_;                 // judgements waiting for those changes
  // Allowed blob reads, until the client hears: by node, client, method and path (long and alike; never iterated).
  StringMap<std::deque<BlobCandidate>> blob_candidates_;
  std::map<std::string, std::set<std::string>> uploaded_to_;          // blob digest -> repositories clients put it in

  std::optional<Nanoseconds> healed_at_;
  size_t run_version_ = 0;  // the first version the run's workload made
  size_t enforcement_checked_ = 0, read_only_checked_ = 0, reads_checked_ = 0, nodes_checked_ = 0;
  size_t pushes_checked_ = 0, blobs_skipped_ = 0;
  uint64_t decisions_seen_ = 0, decisions_deferred_ = 0;
};

}  // namespace outpost::sim::world
