#pragma once
// Names the auth model validates: connected registries (they appear in gateway actions), scope maps and tokens, and
// the system-made sync names of SPEC 2.4. Each check returns the message the management API shows (400
// INVALID_REQUEST), or nothing when the name is valid.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace outpost::auth {

// SPEC 2.1: 5-40 characters, a letter first, then letters and digits. Either case: the caller lowercases.
bool valid_connected_registry_name(std::string_view name);
inline constexpr std::string_view kConnectedRegistryNameRule =
    "5-40 characters, starting with a letter, letters and digits only";

// Who made a scope map or token. The sync scope map and token that creating a connected registry makes (SPEC 2.4) are
// exempt from the 50-character name limit and the 500-action limit (SPEC 2.9); a user cannot claim that exemption by
// picking a look-alike name, because only the control plane passes Maker::ConnectedRegistry.
enum class Maker { User, ConnectedRegistry };

// SPEC 2.4 names for connected registry `cr` (lowercased).
std::string sync_scope_map_name(std::string_view cr);  // "<cr>-sync-scope-map"
std::string sync_token_name(std::string_view cr);      // "<cr>-sync-token"

inline constexpr size_t kMaxScopeMapOrTokenNameLength = 50;  // SPEC 3.1, 3.3

// SPEC 3.1: 5-50 characters of [A-Za-z0-9_-]. Maker::ConnectedRegistry: exactly "<valid cr>-sync-scope-map".
std::optional<std::string> scope_map_name_error(std::string_view name, Maker maker = Maker::User);
// SPEC 3.3: 5-50 characters of [A-Za-z0-9-]. Maker::ConnectedRegistry: exactly "<valid cr>-sync-token".
std::optional<std::string> token_name_error(std::string_view name, Maker maker = Maker::User);

}  // namespace outpost::auth
