#pragma once
// Reading a connected registry's PUT or PATCH body (SPEC 2.1, 7.2): every member checked for its type and its value's
// rules, each refusal a 400 INVALID_REQUEST naming the field (409 LIMIT_EXCEEDED for more than 20 client tokens).
// Only what can be checked without the control plane's state is checked here; whether a parent or a client token
// exists, and the rules between nodes, are the operations' part (connected_registry_api.cpp).
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/control/connected_registry.h"

namespace outpost::control {

// The members a body gave, normalized (names and repositories lowercased, lists without duplicates, durations
// parsed, the log level in its canonical spelling). Absent members stay empty.
struct ConnectedRegistrySettings {
  std::optional<auth::RegistryMode> mode;
  std::optional<std::string> parent;
  bool parent_given = false;  // "parent" named, possibly as null (the cloud): what a change of it is checked by
  std::optional<std::vector<std::string>> repositories;  // sorted
  std::optional<std::vector<std::string>> client_tokens;
  std::optional<std::string> sync_token;
  std::optional<std::string> schedule;
  bool window_given = false;  // "sync.window" named, possibly as null (PATCH: null clears the window)
  std::optional<Nanoseconds> window;
  std::optional<Nanoseconds> message_ttl;
  std::optional<std::vector<std::string>> notifications;
  std::optional<std::string> log_level;
  std::optional<bool> gc_enabled;
  std::optional<std::string> gc_schedule;
  // PATCH only.
  std::optional<std::vector<std::string>> add_client_tokens, remove_client_tokens;
  std::optional<std::vector<std::string>> add_notifications, remove_notifications;
};

enum class SettingsBody { Put, Patch };

// `name` is the (lowercased) name the request is for: a body naming another is refused.
ConnectedRegistrySettings read_connected_registry_settings(const nlohmann::json& body, SettingsBody kind,
                                                           const std::string& name);

// A list of repositories as "repositories", "add" and "remove" take them: lowercased, each checked, sorted, without
// duplicates. `field` names the list in messages.
std::vector<std::string> normalized_repositories(const std::vector<std::string>& repositories, std::string_view field);

// 409 LIMIT_EXCEEDED beyond auth::kMaxClientTokensPerConnectedRegistry.
void check_client_token_count(size_t count);

}  // namespace outpost::control
