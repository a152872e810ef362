#pragma once
// Repository names and tags, by the OCI distribution-spec v1.1 grammars. Hand-written matchers: they run on every
// request, and std::regex is slow and allocates.
#include <cstddef>
#include <string_view>

namespace outpost::oci {

inline constexpr size_t kMaxRepositoryNameLength = 255;
inline constexpr size_t kMaxTagLength = 128;

// [a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(\/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)* and at most 255 characters.
bool valid_repository_name(std::string_view name);

// [a-zA-Z0-9_][a-zA-Z0-9._-]{0,127}
bool valid_tag(std::string_view tag);

}  // namespace outpost::oci
