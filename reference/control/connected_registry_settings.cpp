#include "reference/common/ascii.h"
#include "reference/control/connected_registry_settings.h"

#include <algorithm>
#include <stdexcept>

#include "reference/auth/limits.h"
#include "reference/auth/names.h"
#include "reference/common/cron.h"
#include "reference/common/iso_duration.h"
#include "reference/control/body_fields.h"
#include "reference/control/control_errors.h"

namespace outpost::control {

namespace {

// The status members of a GET answer and the extras of a create answer: accepted and ignored, so that what was read
// can be sent back.
constexpr std::string_view kReadOnlyMembers[] = {"connectionState",  "activation", "lastSyncTime",
                                                 "lastActivityTime", "version",    "loginServer",
                                                 "statusDetails",    "syncToken",  "connectionString",
                                                 "pendingPushes"};

// A nested object ("sync", "logging", "gc"): null when absent; BodyFields refuses anything but an object.
const nlohmann::json& nested(const nlohmann::json& body, std::string_view field) {
  static const nlohmann::json absent;
  if (!body.is_object()) return absent;
  const auto it = body.find(field);
  return it == body.end() ? absent : *it;
}

std::vector<std::string> without_duplicates(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const std::string& value : values)
    if (std::find(out.begin(), out.end(), value) == out.end()) out.push_back(value);
  return out;
}

std::string cron_field(const BodyFields& fields, std::string_view field, std::string_view path) {
  std::string text = *fields.string(field);
  try {
    CronSchedule::parse(text);
  } catch (const std::invalid_argument& error) {
    throw invalid_request("field " + in_quotes(path) + " must be a 5-field cron expression (UTC): " + error.what(),
                          {{"field", path}});
  }
  return text;
}

Nanoseconds duration_field(const std::string& text, std::string_view path, Nanoseconds min, Nanoseconds max) {
  const std::string bounds = format_iso_duration(min) + " to " + format_iso_duration(max);
  const auto duration = parse_iso_duration(text);
  if (!duration)
    throw invalid_request("field " + in_quotes(path) + " must be an ISO-8601 duration from " + bounds +
                              " (such as PT3H or P2D); got " + in_quotes(text),
                          {{"field", path}});
  if (*duration < min || *duration > max)
    throw invalid_request("field " + in_quotes(path) + " must be from " + bounds + "; got " + in_quotes(text),
                          {{"field", path}});
  return *duration;
}

std::vector<std::string> client_token_list(const std::vector<std::string>& names, std::string_view field) {
  for (const std::string& name : names)
    if (name.empty())
      throw invalid_request("field " + in_quotes(field) + " holds an empty token name", {{"field", field}});
  return without_duplicates(names);
}

std::vector<std::string> notification_list(const std::vector<std::string>& patterns, std::string_view field) {
  std::vector<std::string> canonical;
  for (const std::string& text : patterns) {
    NotificationPattern pattern = parse_notification_pattern(text);
    if (!pattern) throw invalid_request("field " + in_quotes(field) + ": " + pattern.error, {{"field", field}});
    canonical.push_back(std::move(pattern.canonical));
  }
  return without_duplicates(canonical);
}
}  // namespace

void check_client_token_count(size_t count) {
  if (count > auth::kMaxClientTokensPerConnectedRegistry)
    throw limit_exceeded(
        "limit exceeded: a connected registry accepts at most " +
            std::to_string(auth::kMaxClientTokensPerConnectedRegistry) +
            " client tokens; this one "
            "would have " +
            std::to_string(count),
        {{"limit", "client tokens per connected registry"}, {"max", auth::kMaxClientTokensPerConnectedRegistry}});
}

std::vector<std::string> normalized_repositories(const std::vector<std::string>& repositories, std::string_view field) {
  std::vector<std::string> out;
  for (const std::string& repository : repositories) {
    std::string lower = ascii_lowercase(repository);
    if (auto error = repository_pattern_error(lower))
      throw invalid_request("field " + in_quotes(field) + ": " + *error,
                            {{"field", field}, {"repository", repository}});
    out.push_back(std::move(lower));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

ConnectedRegistrySettings read_connected_registry_settings(const nlohmann::json& body, SettingsBody kind,
                                                           const std::string& name) {
  const bool patch = kind == SettingsBody::Patch;
  const std::string operation = patch ? "a connected registry PATCH body" : "a connected registry PUT body";
  std::vector<std::string_view> allowed = {"name",          "mode",    "parent", "repositories", "clientTokens", "sync",
                                           "notifications", "logging", "gc"};
  allowed.insert(allowed.end(), std::begin(kReadOnlyMembers), std::end(kReadOnlyMembers));
  if (patch)
    allowed.insert(allowed.end(), {"addClientTokens", "removeClientTokens", "addNotifications", "removeNotifications"});
  // BodyFields takes an initializer list; check unknown members here with the same message shape.
  if (body.is_object())
    for (const auto& [key, value] : body.items())
      if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
        std::string list;
        for (std::string_view field : allowed) list += (list.empty() ? "" : ", ") + in_quotes(field);
        throw invalid_request("unknown field " + in_quotes(key) + " in " + operation + "; allowed fields are " + list,
                              {{"field", key}});
      }
  // Members are read through a BodyFields that allows them all: the check above already refused what this kind of
  // body does not take, and BodyFields checks the types (and that the body is an object).
  const BodyFields top(body, operation,
                       {"name",
                        "mode",
                        "parent",
                        "repositories",
                        "clientTokens",
                        "sync",
                        "notifications",
                        "logging",
                        "gc",
                        "connectionState",
                        "activation",
                        "lastSyncTime",
                        "lastActivityTime",
                        "version",
                        "loginServer",
                        "statusDetails",
                        "pendingPushes",
                        "syncToken",
                        "connectionString",
                        "addClientTokens",
                        "removeClientTokens",
                        "addNotifications",
                        "removeNotifications"});
  if (const auto given = top.string("name"); given && ascii_lowercase(*given) != name)
    throw invalid_request("the body names " + in_quotes(*given) + " but the request is for " + in_quotes(name) +
                          "; a connected registry cannot be renamed");

  ConnectedRegistrySettings settings;
  if (const auto mode = top.string("mode")) {
    settings.mode = parse_registry_mode(*mode);
    if (!settings.mode)
      throw invalid_request(
          "field 'mode' is ReadWrite or ReadOnly (legacy aliases: Registry, Mirror); got " + in_quotes(*mode),
          {{"field", "mode"}});
  }
  settings.parent_given = body.is_object() && body.contains("parent");
  if (const auto parent = top.string("parent")) {
    if (!auth::valid_connected_registry_name(*parent))
      throw invalid_request("field 'parent' names a connected registry (" +
                                std::string(auth::kConnectedRegistryNameRule) + ", or null for the cloud); got " +
                                in_quotes(*parent),
                            {{"field", "parent"}});
    settings.parent = ascii_lowercase(*parent);
  }
  if (const auto repositories = top.strings("repositories"))
    settings.repositories = normalized_repositories(*repositories, "repositories");
  if (const auto tokens = top.strings("clientTokens")) {
    settings.client_tokens = client_token_list(*tokens, "clientTokens");
    check_client_token_count(settings.client_tokens->size());
  }
  if (const auto notifications = top.strings("notifications"))
    settings.notifications = notification_list(*notifications, "notifications");
  if (patch) {
    if (const auto add = top.strings("addClientTokens"))
      settings.add_client_tokens = client_token_list(*add, "addClientTokens");
    if (const auto remove = top.strings("removeClientTokens"))
      settings.remove_client_tokens = client_token_list(*remove, "removeClientTokens");
    if (const auto add = top.strings("addNotifications"))
      settings.add_notifications = notification_list(*add, "addNotifications");
    if (const auto remove = top.strings("removeNotifications"))
      settings.remove_notifications = notification_list(*remove, "removeNotifications");
  }

  const nlohmann::json& sync_body = nested(body, "sync");
  const BodyFields sync(sync_body, "the 'sync' object", {"token", "schedule", "window", "messageTtl"});
  settings.sync_token = sync.string("token");
  if (sync.has("schedule")) settings.schedule = cron_field(sync, "schedule", "sync.schedule");
  settings.window_given = sync_body.is_object() && sync_body.contains("window");
  if (const auto window = sync.string("window"))
    settings.window = duration_field(*window, "sync.window", kMinSyncWindow, kMaxSyncWindow);
  if (const auto ttl = sync.string("messageTtl"))
    settings.message_ttl = duration_field(*ttl, "sync.messageTtl", kMinMessageTtl, kMaxMessageTtl);

  const BodyFields logging(nested(body, "logging"), "the 'logging' object", {"level"});
  if (const auto level = logging.string("level")) {
    settings.log_level = canonical_log_level(*level);
    if (!settings.log_level)
      throw invalid_request(
          "field 'logging.level' is Debug, Information, Warning, Error or None; got " + in_quotes(*level),
          {{"field", "logging.level"}});
  }

  const BodyFields gc(nested(body, "gc"), "the 'gc' object", {"enabled", "schedule"});
  settings.gc_enabled = gc.boolean("enabled");
  if (gc.has("schedule")) settings.gc_schedule = cron_field(gc, "schedule", "gc.schedule");
  return settings;
}

}  // namespace outpost::control
