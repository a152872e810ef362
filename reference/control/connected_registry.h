#pragma once
// Connected-registry resources (SPEC 2): what the cloud's control plane keeps about each connected registry (CR), the
// status its node reports, the rules for each field's value, and their JSON (the management API's, SPEC 2.1 and 7.2,
// and the stored one).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/auth/decision.h"
#include "reference/common/clock.h"

namespace outpost::control {

// SPEC 2.2 defaults and SPEC 2.1 bounds.
inline constexpr std::string_view kDefaultSyncSchedule = "* * * * *";  // with no window: continuous sync
inline constexpr Nanoseconds kDefaultMessageTtl = std::chrono::hours(48);
inline constexpr Nanoseconds kMinSyncWindow = std::chrono::hours(1);
inline constexpr Nanoseconds kMaxSyncWindow = std::chrono::hours(24 * 7);
inline constexpr Nanoseconds kMinMessageTtl = std::chrono::hours(24);
inline constexpr Nanoseconds kMaxMessageTtl = std::chrono::hours(24 * 90);
inline constexpr std::string_view kDefaultLogLevel = "Information";
// ACR documents `{"enabled": true, "schedule": "0 5 * * *"}` as its example; the SPEC leaves the default open.
inline constexpr bool kDefaultGcEnabled = true;
inline constexpr std::string_view kDefaultGcSchedule = "0 5 * * *";

struct SyncSettings {
  std::string token;  // the sync token's name: "<cr>-sync-token", made with the CR (SPEC 2.4), immutable
  std::string schedule = std::string(kDefaultSyncSchedule);  // 5-field cron, UTC
  std::optional<Nanoseconds> window;                         // absent: no window
  Nanoseconds message_ttl = kDefaultMessageTtl;
  friend bool operator==(const SyncSettings&, const SyncSettings&) = default;
};

struct GcSettings {
  bool enabled = kDefaultGcEnabled;
  std::string schedule = std::string(kDefaultGcSchedule);
  friend bool operator==(const GcSettings&, const GcSettings&) = default;
};

struct ConnectedRegistry {
  std::string name;  // lowercase
  auth::RegistryMode mode = auth::RegistryMode::ReadWrite;
  std::optional<std::string> parent;  // absent: the cloud
  // The repositories (names or "prefix/*") its sync scope map grants, sorted. Kept equal to that map's repository
  // actions by every operation that edits the map, so it also lists what its descendants brought up (SPEC 2.4, 2.5).
  std::vector<std::string> repositories;
  std::vector<std::string> client_tokens;  // token names, at most 20
  SyncSettings sync;
  std::vector<std::string> notifications;  // canonical patterns
  std::string log_level = std::string(kDefaultLogLevel);
  GcSettings gc;

  // Control fields, not settings of the node: the instance that activated it ("" = inactive, SPEC 2.7), and a counter
  // `resync` bumps (SPEC 2.11) so that the node sees a new configuration asking it to resync.
  std::string instance_id;
  uint64_t resync_generation = 0;

  bool active() const { return !instance_id.empty(); }
  friend bool operator==(const ConnectedRegistry&, const ConnectedRegistry&) = default;
};

// ---- Status (reported by the node, SPEC 2.1, 5.3) ----

enum class ConnectionState { Online, Offline, Syncing, Unhealthy };
std::string_view to_string(ConnectionState state);
std::optional<ConnectionState> parse_connection_state(std::string_view text);  // case-insensitive

struct StatusDetail {
  std::string type;  // e.g. "Disk"
  std::string code;  // e.g. "DiskError"
  std::string description;
  std::optional<WallTime> timestamp;
  std::string correlation_id;
  friend bool operator==(const StatusDetail&, const StatusDetail&) = default;
};

struct ConnectedRegistryStatus {
  ConnectionState connection_state = ConnectionState::Offline;  // a CR that never reported is Offline
  std::optional<WallTime> last_sync_time;
  std::optional<WallTime> last_activity_time;
  std::string version;       // the node's software version
  std::string login_server;  // host[:port] the node serves its clients on
  std::vector<StatusDetail> status_details;
  std::optional<uint64_t> pending_pushes;  // journal entries waiting to go up (ReadWrite nodes), as last reported
  friend bool operator==(const ConnectedRegistryStatus&, const ConnectedRegistryStatus&) = default;
};

// {"connectionState", "lastSyncTime", "lastActivityTime", "version", "loginServer", "statusDetails": [{"type", "code",
// "description", "timestamp", "correlationId"}], "pendingPushes"}; times RFC 3339, absent ones (and an absent
// pendingPushes) null.
nlohmann::json status_json(const ConnectedRegistryStatus& status);
// The reverse, for what a node reports. Unknown members are ignored (a newer node may report more); a wrong type or
// an unknown connection state throws std::invalid_argument naming the field.
ConnectedRegistryStatus parse_status_json(const nlohmann::json& document);
// The same for a report outlined rather than parsed (the cloud reads every node's report each interval, and building
// a tree for each was a fair share of its time): each member's value as written (a JSON value, the last of its name
// in the report), empty when the report has none. The result, and the exception and its message, are
// parse_status_json's on that report.
struct StatusMembers {
  std::string_view connection_state, last_sync_time, last_activity_time, version, login_server, status_details,
      pending_pushes;
};
ConnectedRegistryStatus parse_status_members(const StatusMembers& members);

// ---- Field rules ----

std::string_view to_string(auth::RegistryMode mode);  // "ReadWrite" | "ReadOnly"
// "ReadWrite" | "ReadOnly", or the legacy aliases "Registry" | "Mirror" (SPEC 2.1); case-insensitive.
std::optional<auth::RegistryMode> parse_registry_mode(std::string_view text);

// "Debug" | "Information" | "Warning" | "Error" | "None", from any case.
std::optional<std::string> canonical_log_level(std::string_view text);

// A repository entry of a CR: a repository name or "prefix/*" (SPEC 2.1), already lowercased. The message for 400, or
// nothing.
std::optional<std::string> repository_pattern_error(std::string_view repository);

// A notification pattern `repo[:tag][@digest]:push|delete|*` where `*` is a wildcard in any section (SPEC 2.1). The
// canonical form (repository part lowercased), or the message for 400 in `error`.
struct NotificationPattern {
  std::string canonical;
  std::string error;
  explicit operator bool() const { return error.empty(); }
};
NotificationPattern parse_notification_pattern(std::string_view text);

// Does an event (a push or delete of `digest`, by tag or not) match a canonical pattern? `*` matches any run of
// characters; a pattern without a tag matches tagged and untagged events, one with a tag only events with a tag.
struct NotificationEvent {
  std::string repository;
  std::string tag;  // empty: by digest
  std::string digest;
  std::string action;  // "push" | "delete"
};
bool notification_matches(std::string_view pattern, const NotificationEvent& event);

// The repository actions a CR of `mode` gets on `repository` in a sync scope map (SPEC 2.4): content/read and
// metadata/read when ReadOnly, all five when ReadWrite. Canonical action strings.
std::vector<std::string> sync_repository_actions(auth::RegistryMode mode, std::string_view repository);
// gateway/<cr>/config/read|config/write|message/read|message/write.
std::vector<std::string> sync_gateway_actions(std::string_view cr);
// All five repository actions on `repository`: what `permissions remove` takes away.
std::vector<std::string> all_repository_actions(std::string_view repository);
// The repositories (the <repo> part) of a list of canonical actions, sorted, without duplicates.
std::vector<std::string> repositories_of(const std::vector<std::string>& actions);
// SPEC 4.4: an action a client token of a ReadOnly CR may hold (content/read, metadata/read, config/read,
// message/read). Takes a canonical action string.
bool read_only_action(std::string_view action);

// ---- JSON ----

// The API's resource (SPEC 2.1, 7.2), the status fields merged in ("activation" from the instance id; a CR without a
// reported status shows the defaults of ConnectedRegistryStatus).
nlohmann::json connected_registry_json(const ConnectedRegistry& cr, const ConnectedRegistryStatus* status);

// What the control store keeps: every field, control fields included, durations in nanoseconds.
nlohmann::json encode(const ConnectedRegistry& cr);
ConnectedRegistry decode_connected_registry(const nlohmann::json& document);

}  // namespace outpost::control
