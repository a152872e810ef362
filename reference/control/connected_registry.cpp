#include "reference/control/connected_registry.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <stdexcept>

#include "reference/auth/actions.h"
#include "reference/common/ascii.h"
#include "reference/common/host_port.h"
#include "reference/common/iso_duration.h"
#include "reference/common/json_scan.h"
#include "reference/common/shortened.h"
#include "reference/common/time_format.h"
#include "reference/control/control_errors.h"
#include "reference/oci/digest.h"
#include "reference/oci/name.h"

namespace outpost::control {

namespace {
// A reported value in a refusal, cut at 64 bytes on a UTF-8 boundary: a child sends what it likes, and the message
// goes into the cloud's log (a 1 MB connectionState made a 1 MB warn line).
std::string reported(std::string_view value) { return in_quotes(shortened(value, 64)); }

// A child's reported loginServer becomes its children's ParentGatewayEndpoint in their connection strings (SPEC 7.3).
std::string login_server_checked(std::string value) {
  if (!is_host_port(value))
    throw std::invalid_argument("status field 'loginServer' is not HOST or HOST:PORT (a port from 1 to 65535); got " +
                                reported(value));
  return value;
}


constexpr std::array<std::string_view, 4> kConnectionStates = {"Online", "Offline", "Syncing", "Unhealthy"};
constexpr std::array<std::string_view, 5> kLogLevels = {"Debug", "Information", "Warning", "Error", "None"};
constexpr std::array<std::string_view, 5> kRepositoryVerbs = {"content/read", "content/write", "content/delete",
                                                              "metadata/read", "metadata/write"};
constexpr std::array<std::string_view, 4> kGatewayVerbs = {"config/read", "config/write", "message/read",
                                                           "message/write"};
constexpr std::string_view kRepositoriesPrefix = "repositories/";

// The same length bound auth::parse_action applies: some repository must fit under "prefix/".
constexpr size_t kMaxPrefixLength = oci::kMaxRepositoryNameLength - 2;

nlohmann::json time_or_null(const std::optional<WallTime>& time) {
  return time ? nlohmann::json(format_rfc3339(*time)) : nlohmann::json(nullptr);
}

std::optional<WallTime> time_field(const nlohmann::json& object, std::string_view field) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_string())
    throw std::invalid_argument("status field '" + std::string(field) + "' must be an RFC 3339 time");
  auto parsed = parse_rfc3339(it->get<std::string>());
  if (!parsed)
    throw std::invalid_argument("status field '" + std::string(field) + "' must be an RFC 3339 time; got " +
                                reported(it->get<std::string>()));
  return parsed;
}

std::string string_field(const nlohmann::json& object, std::string_view field) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return "";
  if (!it->is_string()) throw std::invalid_argument("status field '" + std::string(field) + "' must be a string");
  return it->get<std::string>();
}

bool absent_or_null(std::string_view token) { return token.empty() || token == "null"; }

std::invalid_argument not_a_count(std::string_view field) {
  return std::invalid_argument("status field '" + std::string(field) + "' must be a whole number from 0");
}

std::optional<uint64_t> count_field(const nlohmann::json& object, std::string_view field) {
  const auto it = object.find(field);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_unsigned()) throw not_a_count(field);
  return it->get<uint64_t>();
}

// As count_field reads it: digits only (a sign, a fraction or an exponent is no count), within 64 bits.
std::optional<uint64_t> count_token(std::string_view token, std::string_view field) {
  if (absent_or_null(token)) return std::nullopt;
  uint64_t value = 0;
  const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (error != std::errc() || end != token.data() + token.size() || token.front() == '-') throw not_a_count(field);
  return value;
}

// string_field and time_field for a value as written (empty: absent), read as a tree's string would be.
std::string string_token(std::string_view token, std::string_view field) {
  if (absent_or_null(token)) return "";
  if (token.front() != '"') throw std::invalid_argument("status field '" + std::string(field) + "' must be a string");
  return json_string_value(token);
}

std::optional<WallTime> time_token(std::string_view token, std::string_view field) {
  if (absent_or_null(token)) return std::nullopt;
  if (token.front() != '"')
    throw std::invalid_argument("status field '" + std::string(field) + "' must be an RFC 3339 time");
  // Without an escape, the string's value is its bytes between the quotes: read in place, not copied.
  if (const auto bytes = json_string_bytes(token)) {
    if (auto parsed = parse_rfc3339(*bytes)) return parsed;
  }
  const std::string text = json_string_value(token);
  auto parsed = parse_rfc3339(text);
  if (!parsed)
    throw std::invalid_argument("status field '" + std::string(field) + "' must be an RFC 3339 time; got " +
                                reported(text));
  return parsed;
}

ConnectionState connection_state_of(const std::string& state) {
  const auto parsed = parse_connection_state(state);
  if (!parsed)
    throw std::invalid_argument("status field 'connectionState' is Online, Offline, Syncing or Unhealthy; got " +
                                reported(state));
  return *parsed;
}

// The entries of a "statusDetails" array.
std::vector<StatusDetail> status_details_of(const nlohmann::json& array) {
  std::vector<StatusDetail> details;
  for (const auto& entry : array) {
    if (!entry.is_object()) throw std::invalid_argument("each of 'statusDetails' must be an object");
    details.push_back({string_field(entry, "type"), string_field(entry, "code"), string_field(entry, "description"),
                       time_field(entry, "timestamp"), string_field(entry, "correlationId")});
  }
  return details;
}

// Whether an array or object as written holds nothing (brackets with only JSON whitespace between them).
bool empty_container(std::string_view token) {
  return token.substr(1, token.size() - 2).find_first_not_of(" \t\n\r") == std::string_view::npos;
}

// Glob match where '*' matches any run of characters ('/' included); iterative, with one backtrack point.
bool glob_matches(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p, ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

// The sections of a notification pattern, split as parse_notification_pattern does.
struct PatternParts {
  std::string_view repository, tag, digest, action;
  bool has_tag = false, has_digest = false;
};

std::optional<PatternParts> split_pattern(std::string_view text) {
  // The action follows the last ':'; a digest ("sha256:...") holds a ':' of its own, so split from the right.
  const size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return std::nullopt;
  PatternParts parts;
  parts.action = text.substr(colon + 1);
  std::string_view artifact = text.substr(0, colon);
  if (const size_t at = artifact.find('@'); at != std::string_view::npos) {
    parts.has_digest = true;
    parts.digest = artifact.substr(at + 1);
    artifact = artifact.substr(0, at);
  }
  if (const size_t tag = artifact.find(':'); tag != std::string_view::npos) {
    parts.has_tag = true;
    parts.tag = artifact.substr(tag + 1);
    artifact = artifact.substr(0, tag);
  }
  parts.repository = artifact;
  return parts;
}

// Wildcards stand for characters the grammar allows, so "path/*" and "hello-*" check as "path/a" and "hello-a".
std::string without_wildcards(std::string_view text) {
  std::string out(text);
  std::replace(out.begin(), out.end(), '*', 'a');
  return out;
}
}  // namespace

// ---- Status ----

std::string_view to_string(ConnectionState state) { return kConnectionStates[static_cast<size_t>(state)]; }

std::optional<ConnectionState> parse_connection_state(std::string_view text) {
  for (size_t i = 0; i < kConnectionStates.size(); ++i)
    if (ascii_iequals(text, kConnectionStates[i])) return static_cast<ConnectionState>(i);
  return std::nullopt;
}

nlohmann::json status_json(const ConnectedRegistryStatus& status) {
  nlohmann::json details = nlohmann::json::array();
  for (const StatusDetail& detail : status.status_details)
    details.push_back({{"type", detail.type},
                       {"code", detail.code},
                       {"description", detail.description},
                       {"timestamp", time_or_null(detail.timestamp)},
                       {"correlationId", detail.correlation_id}});
  return {{"connectionState", std::string(to_string(status.connection_state))},
          {"lastSyncTime", time_or_null(status.last_sync_time)},
          {"lastActivityTime", time_or_null(status.last_activity_time)},
          {"version", status.version},
          {"loginServer", status.login_server},
          {"statusDetails", std::move(details)},
          {"pendingPushes", status.pending_pushes ? nlohmann::json(*status.pending_pushes) : nlohmann::json(nullptr)}};
}

ConnectedRegistryStatus parse_status_json(const nlohmann::json& document) {
  if (!document.is_object()) throw std::invalid_argument("a status report must be a JSON object");
  ConnectedRegistryStatus status;
  if (const std::string state = string_field(document, "connectionState"); !state.empty())
    status.connection_state = connection_state_of(state);
  status.last_sync_time = time_field(document, "lastSyncTime");
  status.last_activity_time = time_field(document, "lastActivityTime");
  status.version = string_field(document, "version");
  if (std::string login_server = string_field(document, "loginServer"); !login_server.empty())
    status.login_server = login_server_checked(std::move(login_server));
  if (const auto it = document.find("statusDetails"); it != document.end() && !it->is_null()) {
    if (!it->is_array()) throw std::invalid_argument("status field 'statusDetails' must be an array");
    status.status_details = status_details_of(*it);
  }
  status.pending_pushes = count_field(document, "pendingPushes");
  return status;
}

// In parse_status_json's order, so that a report wrong in two fields is refused for the same one.
ConnectedRegistryStatus parse_status_members(const StatusMembers& members) {
  ConnectedRegistryStatus status;
  if (const std::string state = string_token(members.connection_state, "connectionState"); !state.empty())
    status.connection_state = connection_state_of(state);
  status.last_sync_time = time_token(members.last_sync_time, "lastSyncTime");
  // A node that synced last is active at that same instant, written the same: read once.
  status.last_activity_time = members.last_activity_time == members.last_sync_time
                                  ? status.last_sync_time
                                  : time_token(members.last_activity_time, "lastActivityTime");
  status.version = string_token(members.version, "version");
  if (std::string login_server = string_token(members.login_server, "loginServer"); !login_server.empty())
    status.login_server = login_server_checked(std::move(login_server));
  if (const std::string_view details = members.status_details; !absent_or_null(details)) {
    if (details.front() != '[') throw std::invalid_argument("status field 'statusDetails' must be an array");
    if (!empty_container(details)) status.status_details = status_details_of(nlohmann::json::parse(details));
  }
  status.pending_pushes = count_token(members.pending_pushes, "pendingPushes");
  return status;
}

// ---- Field rules ----

std::string_view to_string(auth::RegistryMode mode) {
  return mode == auth::RegistryMode::ReadOnly ? "ReadOnly" : "ReadWrite";
}

std::optional<auth::RegistryMode> parse_registry_mode(std::string_view text) {
  if (ascii_iequals(text, "ReadWrite") || ascii_iequals(text, "Registry"))
    return auth::RegistryMode::ReadWrite;
  if (ascii_iequals(text, "ReadOnly") || ascii_iequals(text, "Mirror"))
    return auth::RegistryMode::ReadOnly;
  return std::nullopt;
}

std::optional<std::string> canonical_log_level(std::string_view text) {
  for (std::string_view level : kLogLevels)
    if (ascii_iequals(text, level)) return std::string(level);
  return std::nullopt;
}

std::optional<std::string> repository_pattern_error(std::string_view repository) {
  const std::string rule =
      "a connected registry's repositories are repository names (lowercase letters and digits separated by '.', "
      "'_', '__', '-' or '/') or 'prefix/*' for every repository under a prefix";
  if (repository == "*")
    return rule + "; '*' alone is not accepted: list the repositories or prefixes the connected registry syncs";
  if (repository.ends_with("/*")) {
    const std::string_view prefix = repository.substr(0, repository.size() - 2);
    if (prefix.find('*') == std::string_view::npos && oci::valid_repository_name(prefix)) {
      if (prefix.size() > kMaxPrefixLength)
        return "repository prefix " + in_quotes(prefix) +
               " is too long: no repository (at most 255 characters) fits under it";
      return std::nullopt;
    }
  }
  if (repository.find('*') != std::string_view::npos)
    return rule + "; " + in_quotes(repository) + " puts a wildcard elsewhere than one final '/*'";
  if (!oci::valid_repository_name(repository)) return rule + "; " + in_quotes(repository) + " is neither";
  return std::nullopt;
}

NotificationPattern parse_notification_pattern(std::string_view text) {
  const std::string rule =
      "notification patterns are repo[:tag][@digest]:push|delete|* where '*' is a wildcard in any section, e.g. "
      "'hello-world:*', 'samples/*:1.0:push' or '*@*:delete'";
  const auto refuse = [&](std::string why) {
    return NotificationPattern{"", rule + "; " + in_quotes(text) + " " + why};
  };
  const auto parts = split_pattern(text);
  if (!parts) return refuse("has no ':<action>'");
  if (parts->action != "push" && parts->action != "delete" && parts->action != "*")
    return refuse("ends with action " + in_quotes(parts->action) + ", not push, delete or *");
  const std::string repository = ascii_lowercase(parts->repository);
  if (repository.empty()) return refuse("has no repository");
  if (repository != "*" && !oci::valid_repository_name(without_wildcards(repository)))
    return refuse("names repository " + in_quotes(repository) + ", which no repository name matches");
  if (parts->has_tag && parts->tag != "*" && !oci::valid_tag(without_wildcards(parts->tag)))
    return refuse("names tag " + in_quotes(parts->tag) + ", which is not a valid tag");
  if (parts->has_digest && parts->digest != "*" && !oci::Digest::well_formed(parts->digest))
    return refuse("names digest " + in_quotes(parts->digest) + ", which is not algorithm:encoded");
  std::string canonical = repository;
  if (parts->has_tag) canonical += ":" + std::string(parts->tag);
  if (parts->has_digest) canonical += "@" + std::string(parts->digest);
  canonical += ":" + std::string(parts->action);
  return {std::move(canonical), ""};
}

bool notification_matches(std::string_view pattern, const NotificationEvent& event) {
  const auto parts = split_pattern(pattern);
  if (!parts) return false;
  if (parts->action != "*" && parts->action != event.action) return false;
  if (!glob_matches(parts->repository, event.repository)) return false;
  if (parts->has_tag && (event.tag.empty() || !glob_matches(parts->tag, event.tag))) return false;
  if (parts->has_digest && !glob_matches(parts->digest, event.digest)) return false;
  return true;
}

std::vector<std::string> sync_repository_actions(auth::RegistryMode mode, std::string_view repository) {
  const std::string prefix = std::string(kRepositoriesPrefix) + std::string(repository) + "/";
  if (mode == auth::RegistryMode::ReadOnly) return {prefix + "content/read", prefix + "metadata/read"};
  return all_repository_actions(repository);
}

std::vector<std::string> sync_gateway_actions(std::string_view cr) {
  std::vector<std::string> actions;
  for (std::string_view verb : kGatewayVerbs) actions.push_back("gateway/" + std::string(cr) + "/" + std::string(verb));
  return actions;
}

std::vector<std::string> all_repository_actions(std::string_view repository) {
  std::vector<std::string> actions;
  for (std::string_view verb : kRepositoryVerbs)
    actions.push_back(std::string(kRepositoriesPrefix) + std::string(repository) + "/" + std::string(verb));
  return actions;
}

std::vector<std::string> repositories_of(const std::vector<std::string>& actions) {
  std::vector<std::string> repositories;
  for (const std::string& action : actions) {
    if (!action.starts_with(kRepositoriesPrefix)) continue;
    // Canonical repository actions end with two segments (content/read): the repository is what comes before.
    const size_t last = action.rfind('/');
    if (last == std::string::npos || last == 0) continue;
    const size_t before_last = action.rfind('/', last - 1);
    if (before_last == std::string::npos || before_last < kRepositoriesPrefix.size()) continue;
    repositories.push_back(action.substr(kRepositoriesPrefix.size(), before_last - kRepositoriesPrefix.size()));
  }
  std::sort(repositories.begin(), repositories.end());
  repositories.erase(std::unique(repositories.begin(), repositories.end()), repositories.end());
  return repositories;
}

bool read_only_action(std::string_view action) {
  return action.ends_with("/content/read") || action.ends_with("/metadata/read") || action.ends_with("/config/read") ||
         action.ends_with("/message/read");
}

// ---- JSON ----

nlohmann::json connected_registry_json(const ConnectedRegistry& cr, const ConnectedRegistryStatus* status) {
  nlohmann::json sync = {
      {"token", cr.sync.token},
      {"schedule", cr.sync.schedule},
      {"window", cr.sync.window ? nlohmann::json(format_iso_duration(*cr.sync.window)) : nlohmann::json(nullptr)},
      {"messageTtl", format_iso_duration(cr.sync.message_ttl)}};
  nlohmann::json resource = {{"name", cr.name},
                             {"mode", std::string(to_string(cr.mode))},
                             {"parent", cr.parent ? nlohmann::json(*cr.parent) : nlohmann::json(nullptr)},
                             {"repositories", cr.repositories},
                             {"clientTokens", cr.client_tokens},
                             {"sync", std::move(sync)},
                             {"notifications", cr.notifications},
                             {"logging", {{"level", cr.log_level}}},
                             {"gc", {{"enabled", cr.gc.enabled}, {"schedule", cr.gc.schedule}}},
                             {"activation", cr.active() ? "Active" : "Inactive"}};
  nlohmann::json reported = status_json(status ? *status : ConnectedRegistryStatus{});
  for (auto& [key, value] : reported.items()) resource[key] = std::move(value);
  return resource;
}

nlohmann::json encode(const ConnectedRegistry& cr) {
  nlohmann::json sync = {
      {"token", cr.sync.token}, {"schedule", cr.sync.schedule}, {"messageTtlNs", cr.sync.message_ttl.count()}};
  if (cr.sync.window) sync["windowNs"] = cr.sync.window->count();
  nlohmann::json document = {{"name", cr.name},
                             {"mode", std::string(to_string(cr.mode))},
                             {"repositories", cr.repositories},
                             {"clientTokens", cr.client_tokens},
                             {"sync", std::move(sync)},
                             {"notifications", cr.notifications},
                             {"logLevel", cr.log_level},
                             {"gc", {{"enabled", cr.gc.enabled}, {"schedule", cr.gc.schedule}}},
                             {"instanceId", cr.instance_id},
                             {"resyncGeneration", cr.resync_generation}};
  if (cr.parent) document["parent"] = *cr.parent;
  return document;
}

ConnectedRegistry decode_connected_registry(const nlohmann::json& document) {
  ConnectedRegistry cr;
  cr.name = document.at("name").get<std::string>();
  cr.mode = parse_registry_mode(document.at("mode").get<std::string>()).value_or(auth::RegistryMode::ReadOnly);
  if (document.contains("parent")) cr.parent = document["parent"].get<std::string>();
  cr.repositories = document.at("repositories").get<std::vector<std::string>>();
  cr.client_tokens = document.at("clientTokens").get<std::vector<std::string>>();
  const auto& sync = document.at("sync");
  cr.sync.token = sync.at("token").get<std::string>();
  cr.sync.schedule = sync.at("schedule").get<std::string>();
  cr.sync.message_ttl = Nanoseconds(sync.at("messageTtlNs").get<int64_t>());
  if (sync.contains("windowNs")) cr.sync.window = Nanoseconds(sync["windowNs"].get<int64_t>());
  cr.notifications = document.at("notifications").get<std::vector<std::string>>();
  cr.log_level = document.at("logLevel").get<std::string>();
  cr.gc.enabled = document.at("gc").at("enabled").get<bool>();
  cr.gc.schedule = document.at("gc").at("schedule").get<std::string>();
  cr.instance_id = document.value("instanceId", "");
  cr.resync_generation = document.value("resyncGeneration", uint64_t{0});
  return cr;
}

}  // namespace outpost::control
