#pragma once
// The control plane's private state, shared by the files that implement its operations (control_plane.cpp,
// scope_map_api.cpp, token_api.cpp, connected_registry_api.cpp). Not an interface: include only from those files.
//
// Concurrency: readers load the current snapshot (a shared_ptr copy under a lock held only for that copy:
// reference/common/published.h) and never wait for a writer. Writers hold `writer`
// for the whole read-validate-persist-publish sequence, so changes apply one at a time and each sees the last one;
// a change is persisted through the store before its snapshot is published, so an answered change is durable and a
// failed write leaves the published state as it was.
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "reference/common/published.h"
#include "reference/common/string_hash.h"
#include "reference/control/control_plane.h"

namespace outpost::control {

class ControlPlane::Impl {
 public:
  // The options stay in ControlPlane (options()); the operations read them there.
  Impl(ControlStore& store, const Clock& clock, Random& random);

  ControlStore& store;
  const Clock& clock;
  Random& random;
  std::mutex writer;

  std::shared_ptr<const Snapshot> current() const { return current_.load(); }

  // Call with `writer` held: a copy of the current snapshot to edit, then publish() it (which bumps its version and
  // the configuration versions of the connected registries the change affects).
  std::shared_ptr<Snapshot> draft() const { return std::make_shared<Snapshot>(*current()); }
  void publish(std::shared_ptr<Snapshot> next);

  // Reported status and forwarded notifications of connected registries: outside the snapshots (see
  // ControlPlane::report_status), behind their own mutex so a report never waits for a management change.
  mutable std::mutex status_mutex;
  // By name, never walked: every node's report replaces its entry every interval, and a tree of a fleet's names was a
  // dozen cold nodes to compare on each.
  // Each with when it reached the cloud (ControlPlaneOptions::status_offline_after): the monotonic clock, which a
  // jump of the wall clock does not move, and the wall clock, to say when.
  struct ReceivedStatus {
    ConnectedRegistryStatus status;
    Nanoseconds received = {};
    WallTime received_at = {};
  };
  StringMap<ReceivedStatus> statuses;
  // At start: the statuses the last process kept when it stopped (reported_statuses.cpp).
  void take_back_reported_statuses();
  Nanoseconds status_offline_after = {};  // ControlPlaneOptions::status_offline_after
  std::map<std::string, std::deque<nlohmann::json>, std::less<>> notifications;

  // A generation no token of this control plane has had, across restarts too (see Snapshot::generations).
  static uint64_t next_generation(Snapshot& next) { return ++next.generation_counter; }

  // Snapshot edits that keep scope maps, permissions, generations and retired sync tokens consistent.
  // Adds or replaces a user-defined map and recompiles its permissions. Tokens naming it keep their generation: what
  // a token may do is read from the snapshot on every request (see Snapshot::generations).
  // `added`, when given: `scope_map` is the map in `next` with just these actions added, none of them there before
  // (both lists sorted). Its compiled permissions then grow by them without the two lists being compared.
  static void set_scope_map(Snapshot& next, auth::ScopeMap scope_map, const std::vector<std::string>* added = nullptr);
  static void erase_scope_map(Snapshot& next, std::string_view name);
  // Adds or replaces a token. A new token, or one whose status or passwords changed, gets a new generation; one that
  // only changed scope map keeps its own (see Snapshot::generations).
  static void set_token(Snapshot& next, const auth::Token& token);
  // Also ends a retirement: the name is free for a new token.
  static void erase_token(Snapshot& next, std::string_view name);
  // Adds or replaces a connected registry and keeps sync_token_owners and children in step (the parent and sync token
  // never change, so replacing leaves both indexes as they are). A new CR takes over a retired sync token of its name.
  static void set_connected_registry(Snapshot& next, const ConnectedRegistry& cr);
  static void erase_connected_registry(Snapshot& next, std::string_view name);
  // SPEC 2.10: `token` was kept when its CR was deleted without cleanup.
  static void retire_sync_token(Snapshot& next, std::string_view token);
  // Writes `retired` to `store` as the kRetiredSyncTokensSetting value.
  static void save_retired_sync_tokens(ControlStore& store, const std::set<std::string, std::less<>>& retired);

  // A fresh password in `slot`: the value goes back to the caller once; only its salted hash is kept (SPEC 3.3).
  std::string new_password(auth::PasswordSlot& slot, const auth::PasswordHashCost& cost,
                           std::optional<WallTime> expiry);

 private:
  static std::shared_ptr<Snapshot> load(ControlStore& store);  // the first snapshot: what the store holds

  Published<Snapshot> current_;
  // Per CR, the digest of its last own_config(): publish() compares against it to find the configurations a change
  // touched. Guarded by `writer` (only publish() and the constructor touch it).
  std::map<std::string, std::string, std::less<>> config_digests_;
};

// Connected-registry rules that token and scope-map changes must keep (defined in connected_registry_api.cpp). Each
// throws the ApiError that refuses the change.
// SPEC 2.6: a CR's sync token is not deleted while the CR exists (409); nor is a CR's client token (409: remove it from
// the CR's clientTokens first, so that no CR silently loses a client).
void check_token_deletable(const Snapshot& snapshot, std::string_view token);
// A token's new state: a sync token keeps its scope map (409; the CR manages it), and a client token of a ReadOnly CR
// may only get a map of read actions (SPEC 4.4, 400).
void check_token_change(const Snapshot& snapshot, const auth::Token& changed);
// A user-defined map's new actions: a CR's sync scope map is edited only through the CR's operations (409), and a map
// used by client tokens of a ReadOnly CR may only hold read actions (SPEC 4.4, 400).
void check_scope_map_change(const Snapshot& snapshot, std::string_view name, const std::vector<std::string>& actions);

// The settings key of the admin user's password hash (SPEC 7.1).
inline constexpr std::string_view kAdminPasswordHashSetting = "admin.password_hash";
inline constexpr std::string_view kGenerationEpochSetting = "control.generation_epoch";
// Snapshot::retired_sync_tokens, as a JSON array of token names. A setting rather than a token field, so that the
// store's records keep their shape.
inline constexpr std::string_view kRetiredSyncTokensSetting = "control.retired_sync_tokens";
// ControlPlane::keep_reported_statuses: a JSON array of {"name", "receivedAt", "status"}; "[]" once taken back.
inline constexpr std::string_view kReportedStatusesSetting = "control.reported_statuses";

// The connected registry of that (lowercased) name, or 404 NOT_FOUND naming it.
const ConnectedRegistry& existing_registry_or_404(const Snapshot& snapshot, std::string_view name);

// Drops from `values` every one that `gone` lists (actions of a scope map, client tokens of a CR).
void remove_all(std::vector<std::string>& values, const std::vector<std::string>& gone);

}  // namespace outpost::control
