#pragma once
// The child side of synchronization (SPEC 5; docs/design.md "A sync round"): what makes an `outpost serve
// --connection-string ...` node a connected registry. Two coroutines on the node's Executor:
//  - the pull loop: activate (SPEC 2.7), read the configuration (versioned: 304 when unchanged) and apply it (tokens,
//    settings, descendants' configurations), full resync when needed (first round, cursor expired, `resync`,
//    de-scoped repositories), then long-poll messages and apply them, report status; within sync windows only
//    (SPEC 5.4), retrying with capped exponential backoff and jitter, never exiting (SPEC 5.6);
//  - the push loop (ReadWrite): pushes the durable journal of local changes to the parent, oldest first, woken by each
//    local change.
// Everything it does to its parent goes through the HttpClient seam and everything it waits for through the Executor
// and Clock seams, so the simulator runs this very code.
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/common/clock.h"
#include "reference/common/executor.h"
#include "reference/common/random.h"
#include "reference/common/task.h"
#include "reference/gateway/message_log.h"
#include "reference/storage/storage.h"
#include "reference/sync/attempt_progress.h"
#include "reference/sync/backoff.h"
#include "reference/sync/content_sync.h"
#include "reference/sync/parent_link.h"
#include "reference/sync/replica.h"
#include "reference/sync/sync_store.h"

namespace outpost {
class SyncWindow;  // reference/common/cron.h
}  // namespace outpost

namespace outpost::sync {

struct AgentOptions {
  std::string cr_name;
  std::string token_name;
  std::string token_password;
  ParentAddress parent;           // from the connection string; the content address comes with the configuration
  std::string instance_id;        // kept in the data directory (SPEC 2.7)
  std::string own_login_server;   // reported in status (SPEC 5.3), and what this node's children read from
  int protocol_version = 0;       // 0 = this build's (gateway::kProtocolVersion); tests set others (SPEC 5.9)
  Nanoseconds long_poll = std::chrono::seconds(30);        // continuous mode: how long one message read may wait
  Nanoseconds status_interval = std::chrono::seconds(60);  // status is also sent on every state change
  Nanoseconds config_check_interval = std::chrono::seconds(60);  // outside windows (docs/protocol.md)
  Nanoseconds backoff_initial = std::chrono::milliseconds(200);
  Nanoseconds backoff_cap = std::chrono::seconds(30);
  std::string software_version = "outpost 0.1.0";
  // SPEC 2.6: a node whose sync token was disabled serves no client until it sees the token enabled again, a restart
  // included. `disabled_at_start` is what `remember_disabled` (called on every change, on the agent's executor) last
  // kept; the node keeps it in its data directory.
  bool disabled_at_start = false;
  std::function<void(bool disabled)> remember_disabled;
};

enum class ConnectionState { Offline, Online, Syncing, Unhealthy };
std::string_view to_string(ConnectionState state);

class SyncAgent {
 public:
  // Every reference must outlive the agent. `children_log` is this node's own message log (its gateway's): what the
  // agent applies from above is appended there for this node's children.
  SyncAgent(Executor& executor, const Clock& clock, Random& random, http::HttpClient& client,
            storage::Storage& storage, SyncStore& store, Replica& replica, gateway::MessageLog& children_log,
            AgentOptions options);
  ~SyncAgent();

  void start();  // posts the loops to the executor
  // Raises the stop signal; `stopped` runs (on the executor) once both loops have unwound.
  void stop(std::function<void()> stopped);

  // A client changed content here (any thread): journalled durably on a ReadWrite node before the client hears back,
  // offered to this node's children, matched against the notification patterns (SPEC 2.1, 5.3).
  void on_local_change(const oci::ContentChange& change);

  // Thread-safe views.
  bool ready() const { return ready_.load(); }        // /readyz: activated and synced once (SPEC 1.4)
  // Why it is not ready yet, for /readyz's body and `cluster up`'s error ("" once ready): not activated, waiting
  // for its sync window (naming when it opens), or not synced once yet.
  std::string not_ready_reason() const;
  bool disabled() const { return disabled_.load(); }  // its sync token is disabled: clients get 503 (SPEC 2.6)
  // Turned down while active (SPEC 2.7): it no longer syncs, so it serves no one (a push would never go up).
  bool superseded() const { return superseded_.load(); }
  ConnectionState state() const { return state_.load(); }
  uint64_t rounds() const { return rounds_.load(); }  // sync rounds completed (outpost_sync_rounds_total)
  // When the last completed round began, on the agent's monotonic clock: with rounds(), a round as an interval (the
  // simulator draws each node's rounds as bars on a timeline). Set before rounds() moves. Each is atomic, but the pair
  // is consistent only when read on the agent's executor (as the simulator reads it, between events): from another
  // thread, a round may end between the two reads.
  Nanoseconds last_round_began() const { return Nanoseconds(last_round_began_.load()); }
  // Rounds that failed (the parent unreachable, refused, or an answer that could not be applied), and when the last of
  // them began: the simulator draws them as bars of their own, so an outage shows the attempts, not only a gap.
  uint64_t failed_rounds() const { return failed_rounds_.load(); }
  Nanoseconds last_failed_round_began() const { return Nanoseconds(last_failed_round_began_.load()); }
  nlohmann::json status() const;  // the report it sends up (SPEC 5.3)
  // The same report with these notifications, as the text it goes up in: exactly status() with "notifications"
  // added, dumped, but written without building the tree (every node writes one every interval).
  std::string status_text(const std::vector<nlohmann::json>& notifications) const;
  void render_metrics(std::string& out) const;
  // status_text() written at the end of `out`.
  void append_status_text(std::string& out, const std::vector<nlohmann::json>& notifications) const;

 private:
  Task<void> pull_loop();
  Task<void> push_loop();
  Task<void> round();
  Task<void> activate();
  Task<void> refresh_config();
  Task<void> resync();
  // `timeout` bounds the exchange: an Offline node's attempt waits less, so a black-holed parent does not hold its
  // next sync attempt (the one that notices the parent is back) for a whole minute.
  Task<void> report_status(Nanoseconds timeout = std::chrono::seconds(60));
  Task<void> wait_for_window();
  // Until `until` (a schedule's next occurrence), checking the configuration every --sync-config-check as outside a
  // window; returns early once it changed, for the next round to read it.
  Task<void> sleep_checking_config(const SyncWindow& window, WallTime until);
  // Whether `settings` name a sync window that is closed now: wait_for_window()'s first check, which callers holding
  // fresh settings make themselves (nearly always open: no coroutine needed).
  bool window_closed(const OwnSettings* settings) const;
  Task<void> relay_activation(std::string cr, std::string instance, std::function<void(std::optional<ApiError>)> done);
  // `settings` are the round's (read once per round: every read of them is a cold lock and copy).
  Task<void> run_gc_if_due(const OwnSettings& settings);

  void set_state(ConnectionState state);
  void set_cursor(std::string cursor);
  void record_failure(const SyncFailure& failure);
  // Sets disabled_, keeping the change (AgentOptions::remember_disabled).
  void set_disabled(bool disabled);
  void round_failed();  // the round under way (round_began_) ended in a failure
  // Work done so far by each loop (objects stored or sent, journal entries settled) and its exchanges the parent
  // answered: a failure that comes after some progress restarts its loop's backoff (see attempt_progress.h).
  AttemptProgress::Counts pull_counts();
  AttemptProgress::Counts push_counts() const;
  void loop_ended();

  Executor& executor_;
  const Clock& clock_;
  Random& random_;
  storage::Storage& storage_;
  SyncStore& store_;
  Replica& replica_;
  gateway::MessageLog& children_log_;
  AgentOptions options_;

  StopSignal stop_;
  ParentLink link_;
  ContentSync content_;
  Trigger push_wakeup_;
  Backoff pull_backoff_;
  Backoff push_backoff_;
  AttemptProgress pull_attempts_;
  AttemptProgress push_attempts_;

  // Agent-thread state.
  bool need_resync_ = true;  // the first round compares everything (SPEC 5.5)
  bool verify_next_resync_ = false;
  // A full resync began and no message read has gone through since. A 410 then (on the resync's own read, or on the
  // first read from the cursor it gave) says another resync at once would buy nothing: the parent's message log moves
  // past this node faster than it can follow, or the parent is broken; the next resync waits for the backoff.
  bool cursor_unread_ = false;
  bool read_only_ = false;  // the mode of the last round's settings: a ReadOnly node's push loop is never woken
  uint64_t seen_resync_ = 0;
  std::vector<std::string> seen_repositories_;
  std::string cursor_;
  std::string cursor_encoded_;  // cursor_ as it goes in a query, written when it changes (set_cursor)
  uint64_t message_config_version_ = 0;
  Nanoseconds round_began_{0};  // the round under way (monotonic): past a closed window's wait
  Nanoseconds last_status_sent_{-1};
  Nanoseconds last_status_attempt_{-1};  // an Offline node's last try at a report (pull loop only)
  std::optional<WallTime> next_gc_;
  int loops_running_ = 0;
  std::function<void()> stopped_;
  uint64_t acknowledged_ = 0;  // journal entries the parent holds (push_counts)

  // Shared with other threads.
  std::atomic<bool> activated_{false};
  // Turned down while active (SPEC 2.7: another instance activated, or deactivate freed the activation): this
  // instance syncs no more until it is restarted, rather than take the activation back at its next round.
  std::atomic<bool> superseded_{false};
  std::atomic<uint64_t> rounds_{0};
  // Attempts that failed (outpost_sync_failures_total): counted on the agent's thread, read by a /metrics scrape on
  // a server thread. (A plain counter written outside status_mutex_ raced with the scrape that read it under it.)
  std::atomic<uint64_t> failures_{0};
  std::atomic<int64_t> last_round_began_{0};
  std::atomic<uint64_t> failed_rounds_{0};
  std::atomic<int64_t> last_failed_round_began_{0};
  std::atomic<bool> ready_{false};
  std::atomic<bool> disabled_{false};
  std::atomic<ConnectionState> state_{ConnectionState::Offline};
  mutable std::mutex status_mutex_;
  std::optional<WallTime> last_sync_time_;
  std::optional<WallTime> last_activity_time_;
  std::vector<nlohmann::json> status_details_;
  // The repositories whose changes are held (the parent refuses them, 403, or one cannot go up as it is), each with the
  // detail of its hold: shown with status_details_ until their changes go up, not cleared by a pull round as those
  // are (this node still holds them).
  std::map<std::string, nlohmann::json, std::less<>> push_refusals_;
  // Changes dropped because they can never go up (ContentSync::DroppedPush), each with its detail, oldest first, at
  // most kMaxDetails: shown while what they left here is still here and not above (the index is stored here and no
  // later push of it went up). Before, a dropped change was only logged: the cloud never heard of it.
  struct DroppedDetail {
    std::string repository;
    oci::Digest digest;
    nlohmann::json detail;
  };
  std::vector<DroppedDetail> push_drops_;
  // When each held repository is tried again (monotonic; the agent thread's own, no lock, as the two below): after the
  // backoff cap, or, when it waits for content damaged or missing here, at once after a client's push into it.
  std::map<std::string, Nanoseconds, std::less<>> refused_until_;
  std::set<std::string, std::less<>> awaiting_repair_;  // held for content damaged or missing here
  std::set<std::string, std::less<>> pushed_into_;      // a client pushed into it here since its last attempt
  std::vector<nlohmann::json> notifications_;  // waiting to go up
  LinkCounters reported_link_;                 // copies for render_metrics()
  ContentCounters reported_content_;
  // The members of status_text() that come from the options, as written (empty until the first report): the text from
  // each member to the next that changes, instanceId first, then loginServer to the notifications' key, then version.
  struct FixedStatus {
    std::string text;
    size_t login_server = 0;  // where loginServer begins
    size_t version = 0;       // where version begins
  };
  mutable FixedStatus fixed_status_;

  // With status_mutex_ held: status_details_ and the details of held and dropped push-ups, as statusDetails lists them.
  std::vector<nlohmann::json> all_status_details() const;
  // The push loop's bookkeeping of dropped changes, after a push that went through (agent thread).
  void note_pushed(const JournalEntry& entry, std::optional<ContentSync::DroppedPush> dropped);
  void forget_drops_no_longer_here();
};

// SPEC 2.1: does a change match a notification pattern `repo[:tag][@digest]:push|delete|*` (`*` wildcards)?
bool notification_matches(std::string_view pattern, const oci::ContentChange& change);

}  // namespace outpost::sync
