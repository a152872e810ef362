#pragma once
// Password expiry from `--expiration-in-days N` or `--expiration TIME` (SPEC 3.3: RFC 3339 UTC; absent = never), as
// `az acr token create` computes it: N whole days after now, in UTC.
#include <optional>
#include <string>

#include "reference/common/clock.h"

namespace outpost::cli {

inline constexpr int kMaxExpirationDays = 36500;  // a hundred years: enough for "never" with a date on it

struct ExpirationFlags {
  std::optional<int> in_days;      // --expiration-in-days
  std::optional<std::string> at;   // --expiration
};

// The "expiry" value to send, or nullopt when neither flag was given. `now` plus N days is floored to whole seconds
// and written as RFC 3339 UTC; an --expiration value is checked and sent as typed (the node keeps offsets' meaning).
// Throws UsageError for both flags at once, N outside 1..kMaxExpirationDays, or a TIME that is not RFC 3339.
std::optional<std::string> expiry_from_flags(const ExpirationFlags& flags, WallTime now);

}  // namespace outpost::cli
