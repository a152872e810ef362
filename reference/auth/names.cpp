#include "reference/auth/names.h"

namespace outpost::auth {

namespace {
constexpr std::string_view kSyncScopeMapSuffix = "-sync-scope-map";
constexpr std::string_view kSyncTokenSuffix = "-sync-token";
constexpr size_t kMinNameLength = 5;
constexpr size_t kMaxConnectedRegistryNameLength = 40;

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// The name of a connected registry that `name` was made for, if it is "<valid cr><suffix>".
bool is_sync_name(std::string_view name, std::string_view suffix) {
  return name.ends_with(suffix) && valid_connected_registry_name(name.substr(0, name.size() - suffix.size()));
}

std::optional<std::string> user_name_error(std::string_view kind, std::string_view name, bool underscore_allowed) {
  const std::string allowed = underscore_allowed ? "letters, digits, '_' and '-'" : "letters, digits and '-'";
  const std::string rule = std::string(kind) + " names are 5-50 characters of " + allowed;
  if (name.size() < kMinNameLength || name.size() > kMaxScopeMapOrTokenNameLength)
    return rule + "; '" + std::string(name) + "' has " + std::to_string(name.size());
  for (char c : name)
    if (!(is_letter(c) || is_digit(c) || c == '-' || (underscore_allowed && c == '_')))
      return rule + "; '" + std::string(name) + "' contains '" + std::string(1, c) + "'";
  return std::nullopt;
}
}  // namespace

bool valid_connected_registry_name(std::string_view name) {
  if (name.size() < kMinNameLength || name.size() > kMaxConnectedRegistryNameLength) return false;
  if (!is_letter(name.front())) return false;
  for (char c : name)
    if (!is_letter(c) && !is_digit(c)) return false;
  return true;
}

std::string sync_scope_map_name(std::string_view cr) { return std::string(cr) + std::string(kSyncScopeMapSuffix); }
std::string sync_token_name(std::string_view cr) { return std::string(cr) + std::string(kSyncTokenSuffix); }

std::optional<std::string> scope_map_name_error(std::string_view name, Maker maker) {
  if (maker == Maker::ConnectedRegistry) {
    if (is_sync_name(name, kSyncScopeMapSuffix)) return std::nullopt;
    return "a sync scope map is named '<connected registry>-sync-scope-map'; '" + std::string(name) + "' is not";
  }
  return user_name_error("scope map", name, true);
}

std::optional<std::string> token_name_error(std::string_view name, Maker maker) {
  if (maker == Maker::ConnectedRegistry) {
    if (is_sync_name(name, kSyncTokenSuffix)) return std::nullopt;
    return "a sync token is named '<connected registry>-sync-token'; '" + std::string(name) + "' is not";
  }
  return user_name_error("token", name, false);
}

}  // namespace outpost::auth
