#pragma once
// A connected registry's replica of what its parent told it (SPEC 5.2): its own configuration (mode, repositories,
// schedule, window, TTL, notifications, gc, log level), the tokens it accepts (its client tokens and its children's
// sync tokens, with password hashes and scope maps) as a control-plane Snapshot for its authenticator, and the
// configurations of its descendants, which it serves to its children through its own gateway (it is their
// ConfigSource). The document is persisted on every change, so a restarted node serves its clients offline with the
// last tokens it knew (SPEC 5.6).
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/auth/decision.h"
#include "reference/common/cron.h"
#include "reference/common/string_hash.h"
#include "reference/control/control_plane.h"
#include "reference/gateway/config_source.h"

namespace outpost::sync {

struct OwnSettings {
  std::string name;
  auth::RegistryMode mode = auth::RegistryMode::ReadWrite;
  // Beside the mode, which every round reads first: every round asks for it too, and at the end of the struct (past the
  // schedule) it was a line of its own, cold by then in a large fleet.
  bool gc_enabled = false;
  std::vector<std::string> repositories;
  std::string schedule = "* * * * *";
  std::optional<Nanoseconds> window;
  // `schedule` and `window` read once per document (every round asks, twice): nothing when the schedule does not
  // parse, and then the round that needs it parses it again and fails with the parser's message.
  std::optional<SyncWindow> sync_window;
  Nanoseconds message_ttl = std::chrono::hours(48);
  bool enabled = true;       // its sync token is enabled (SPEC 2.6)
  uint64_t resync = 0;       // bumped by `resync` at the cloud (SPEC 2.11)
  std::vector<std::string> notifications;
  std::string gc_schedule = "0 0 * * *";
  std::string log_level = "Information";
};

class Replica final : public gateway::ConfigSource {
 public:
  // `own_login_server`: the address this node advertises to its children (what they read content from).
  // `persist` stores the document durably (called with the writer lock released).
  Replica(std::string own_login_server, std::function<void(const std::string&)> persist);

  // At start: the document persisted by an earlier run, if any (no persist call).
  void load(const std::string& text);
  // A document read from the parent. Returns true when it differs from the one held. Throws std::invalid_argument for
  // a document that is not one (nothing changes then).
  bool apply(nlohmann::json document);

  bool configured() const;
  uint64_t version() const;
  std::shared_ptr<const OwnSettings> settings() const;
  std::shared_ptr<const control::Snapshot> snapshot() const;  // what this node's authenticator reads
  std::string parent_login_server() const;                    // where this node reads content ("" = not told)

  // Relaying (set by the sync agent).
  std::function<void(std::string cr, std::string instance, std::function<void(std::optional<ApiError>)>)> relay_activate;
  // Status reports of descendants waiting to go up with this node's own, by CR name; taken by the agent: they end
  // `body` (gateway::end_status_body), each one JSON value as it arrived, and are no longer held. Written straight from
  // where they wait, whose buffers are kept for the next ones: moving each out to a list, to be copied into the body and
  // freed, and allocating its place again when the next one came, was a good part of relaying.
  void end_status_body(std::string& body);
  // What became of the last body: gone up (the notifications in it are delivered), or not (the reports that carried
  // notifications are held again, behind any newer report of theirs, which then carries them too: they are events).
  void status_sent();
  void status_not_sent();

  // gateway::ConfigSource: this node's children and their descendants.
  std::optional<std::string> document(std::string_view cr) override;
  uint64_t version(std::string_view cr) override;
  uint64_t version(std::string_view cr, VersionHint& hint) override;  // the hint holds the configuration it read
  std::vector<std::string> repositories(std::string_view cr) override;
  Nanoseconds message_ttl(std::string_view cr) override;
  void activate(std::string_view cr, const std::string& instance_id,
                std::function<void(std::optional<ApiError>)> done) override;
  // A child's instance is known here from its last activation relayed through this node (the cloud accepted it):
  // another instance of that child is turned down; a child not activated through this node since it started, let be.
  bool is_active_instance(std::string_view cr, std::string_view instance) override;
  void report_status(std::string_view cr, std::vector<gateway::RawReport> reports) override;

  // Called (without locks held) after a document with a new version was applied: wakes the children's long polls.
  std::function<void()> on_change;

 private:
  // What the gateway asks about a descendant at every call of that child (its version on each long poll, its
  // repositories and message TTL on each messages call), read out of its configuration once, when the document is
  // parsed. A TTL that does not read (a field of the wrong type) stays unset, so the call that needs it fails as it
  // always did, rather than the whole document.
  // Its configuration stays where it is, in the State's text (which outlives it): a copy here held every
  // descendant's configuration twice, a third of a large fleet's memory, and copying it was a tenth of building one.
  struct Descendant {
    uint64_t version = 0;
    size_t slot = 0;      // its place in State::names, where its status report waits to go up
    size_t position = 0;  // its place in the document's "descendants", whose order a child's document keeps
    std::string_view config;  // its JSON text, within State::text
    std::vector<std::string> repositories;
    std::optional<Nanoseconds> message_ttl;
  };
  // Everything is read out of the document when it arrives, and the document itself is kept as text only: as a tree it
  // was the largest thing a node held (6.8 kB a configuration against 1.8 kB of text, a quarter of a large fleet's
  // heap), and nothing but a child's fetch of its own document, rare, ever reads it again.
  struct State {
    std::string text;  // the document as the gateway writes JSON: compared with a new one, persisted, read for children
    uint64_t version = 0;  // the document's (a document whose version is not a whole number is refused)
    std::optional<nlohmann::json> login_server;  // as found (a value of the wrong type fails the call that reads it)
    std::shared_ptr<const OwnSettings> settings;
    std::shared_ptr<const control::Snapshot> snapshot;
    StringMap<Descendant> descendants;  // by name; looked up at every call of a child, never walked
    // Parent -> its children among `descendants`: a child's document is its subtree, found without reading every
    // descendant's configuration (a parent of 520 leaves answered each leaf's first fetch by scanning all 520).
    std::map<std::string, std::vector<std::string>, std::less<>> children;
    // The descendants' names in name order (the order their reports go up in), a copy kept side by side: a body lists
    // a subtree's reports in this order, so each is mostly found by comparing with the name after the previous one.
    std::vector<std::string> names;
    // By slot: the slot of its parent, or kNoSlot when its parent is this node (or not among the descendants). What
    // tells whether a report a child relays is about that child's subtree, without a lookup by name.
    std::vector<size_t> parent_slots;
    static constexpr size_t kNoSlot = static_cast<size_t>(-1);
  };
  // Status reports of descendants waiting for this node's own (end_status_body), the last one of each name. Kept in a
  // slot per descendant of the current State rather than in a tree by name: a parent stores every report of its
  // subtree every interval, and inserting each in a tree of names (cold by the next interval) was most of what
  // relaying cost.
  struct HeldReports {
    std::vector<std::string> by_slot;  // by slot of state_: a report's bytes, empty for none (a JSON value never is)
    // Reports held for names that stopped being descendants when the document changed: they still go up, as before.
    // Never a name of state_'s descendants.
    std::map<std::string, std::string> others;
    std::vector<const std::string*> taken;  // end_status_body's list of what it writes, kept for the next time
    // Reports with notifications in the last body, by name, until it is known to have gone up (status_sent).
    std::vector<std::pair<std::string, std::string>> in_flight;
  };
  // Moves the held reports from the slots of `before` (null: none held) to those of `after`; with mutex_ held, as the
  // document changes.
  void rebase_reports(const State* before, const State& after);
  static std::shared_ptr<const State> parse(const nlohmann::json& document);
  std::shared_ptr<const State> state() const;

  const std::string own_login_server_;
  std::function<void(const std::string&)> persist_;
  mutable std::mutex mutex_;
  std::shared_ptr<const State> state_;
  HeldReports reports_;  // guarded by mutex_
  // Child -> instance; guarded by mutex_. Hashed: every gateway call of a child asks it (SPEC 2.7), and a tree of a
  // region's descendants was a walk of cold nodes and name comparisons per call.
  StringMap<std::string> activated_children_;
};

OwnSettings parse_own_settings(const nlohmann::json& config);

}  // namespace outpost::sync
