#pragma once
// SPEC 2.9: the registry's limits. Going past one is refused with 409 LIMIT_EXCEEDED naming the limit; the control
// plane counts, these constants are the numbers it counts against.
#include <cstddef>

namespace outpost::auth {

inline constexpr size_t kMaxTokensPerRegistry = 20'000;
inline constexpr size_t kMaxScopeMapsPerRegistry = 20'000;
// User-defined scope maps only: the sync scope maps of SPEC 2.4 are exempt so that wide trees work.
inline constexpr size_t kMaxActionsPerScopeMap = 500;
inline constexpr size_t kMaxClientTokensPerConnectedRegistry = 20;

inline constexpr size_t kMaxScopeMapDescriptionLength = 256;  // SPEC 3.1

}  // namespace outpost::auth
