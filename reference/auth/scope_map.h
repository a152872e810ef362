#pragma once
// Scope maps (SPEC 3.1, 3.2): a named list of actions that tokens point to. The stored actions are the canonical
// (lowercased, de-duplicated) strings, so a map compares and replicates the same whatever spelling created it.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reference/auth/actions.h"
#include "reference/auth/limits.h"
#include "reference/auth/names.h"
#include "reference/auth/permission_set.h"

namespace outpost::auth {

enum class ScopeMapType { UserDefined, SystemDefined };
std::string_view to_string(ScopeMapType type);  // "UserDefined" | "SystemDefined" (SPEC 7.2)

struct ScopeMap {
  std::string name;
  std::string description;
  std::vector<std::string> actions;  // canonical action strings
  ScopeMapType type = ScopeMapType::UserDefined;

  // The actions compiled for matching. Actions are validated when stored, so a refused string cannot appear here;
  // if one did (a damaged record) it grants nothing rather than failing the request.
  PermissionSet permissions() const;
};

// The five system scope maps of SPEC 3.2, each on "*". They are immutable: changing or deleting one is refused
// (403 DENIED) by the control plane.
std::span<const ScopeMap> system_scope_maps();
const ScopeMap* find_system_scope_map(std::string_view name);

// Parsed, lowercased, duplicates dropped (first occurrence kept, input order otherwise). A scope map stores
// `canonical` when `errors` is empty.
struct NormalizedActions {
  std::vector<std::string> canonical;
  std::vector<std::string> errors;  // one per refused string (400 INVALID_REQUEST)
};
NormalizedActions normalize_actions(std::span<const std::string> actions);

// SPEC 3.1: at most 256 characters. The message for 400 INVALID_REQUEST, or nothing.
std::optional<std::string> scope_map_description_error(std::string_view description);
// SPEC 2.9: at most 500 (canonical) actions in a user-defined map; sync maps are exempt. The message for 409
// LIMIT_EXCEEDED, or nothing.
std::optional<std::string> scope_map_action_limit_error(size_t action_count, Maker maker);

}  // namespace outpost::auth
