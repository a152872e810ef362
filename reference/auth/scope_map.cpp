#include "reference/auth/scope_map.h"

#include <array>
#include <unordered_set>

namespace outpost::auth {

namespace {
std::vector<std::string> on_every_repository(std::initializer_list<std::string_view> verbs) {
  std::vector<std::string> actions;
  for (std::string_view verb : verbs) actions.push_back("repositories/*/" + std::string(verb));
  return actions;
}

// Descriptions follow ACR's for the three it documents; the other two say the same in its words.
const std::array<ScopeMap, 5>& system_maps() {
  static const std::array<ScopeMap, 5> maps{{
      {"_repositories_pull", "Can pull any repository of the registry", on_every_repository({"content/read"}),
       ScopeMapType::SystemDefined},
      {"_repositories_pull_metadata_read", "Can pull and read the metadata of any repository of the registry",
       on_every_repository({"content/read", "metadata/read"}), ScopeMapType::SystemDefined},
      {"_repositories_push", "Can push to any repository of the registry",
       on_every_repository({"content/read", "content/write"}), ScopeMapType::SystemDefined},
      {"_repositories_push_metadata_write", "Can push to and write the metadata of any repository of the registry",
       on_every_repository({"content/read", "content/write", "metadata/read", "metadata/write"}),
       ScopeMapType::SystemDefined},
      {"_repositories_admin", "Can perform all read, write and delete operations on the registry",
       on_every_repository({"content/read", "content/write", "content/delete", "metadata/read", "metadata/write"}),
       ScopeMapType::SystemDefined},
  }};
  return maps;
}
}  // namespace

std::string_view to_string(ScopeMapType type) {
  return type == ScopeMapType::SystemDefined ? "SystemDefined" : "UserDefined";
}

PermissionSet ScopeMap::permissions() const { return PermissionSet(parse_actions(actions).rules); }

std::span<const ScopeMap> system_scope_maps() { return system_maps(); }

const ScopeMap* find_system_scope_map(std::string_view name) {
  for (const ScopeMap& map : system_maps())
    if (map.name == name) return &map;
  return nullptr;
}

NormalizedActions normalize_actions(std::span<const std::string> actions) {
  NormalizedActions normalized;
  std::unordered_set<std::string> seen;
  for (const std::string& action : actions) {
    ActionParse parsed = parse_action(action);
    if (!parsed) {
      normalized.errors.push_back(std::move(parsed.error));
      continue;
    }
    std::string canonical = parsed.rule->to_string();
    if (seen.insert(canonical).second) normalized.canonical.push_back(std::move(canonical));
  }
  return normalized;
}

std::optional<std::string> scope_map_description_error(std::string_view description) {
  // Characters, not bytes: a description in any language gets the same room. UTF-8 continuation bytes are 10xxxxxx.
  size_t characters = 0;
  for (char c : description)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++characters;
  if (characters <= kMaxScopeMapDescriptionLength) return std::nullopt;
  return "scope map descriptions are at most " + std::to_string(kMaxScopeMapDescriptionLength) +
         " characters; this one has " + std::to_string(characters);
}

std::optional<std::string> scope_map_action_limit_error(size_t action_count, Maker maker) {
  if (maker == Maker::ConnectedRegistry || action_count <= kMaxActionsPerScopeMap) return std::nullopt;
  return "limit exceeded: a scope map holds at most " + std::to_string(kMaxActionsPerScopeMap) + " actions; this one "
         "has " + std::to_string(action_count);
}

}  // namespace outpost::auth
