#include "reference/cli/expiration.h"

#include "reference/cli/command_errors.h"
#include "reference/common/time_format.h"

namespace outpost::cli {

std::optional<std::string> expiry_from_flags(const ExpirationFlags& flags, WallTime now) {
  if (flags.in_days && flags.at) throw UsageError("give --expiration-in-days or --expiration, not both");
  if (flags.in_days) {
    const int days = *flags.in_days;
    if (days < 1 || days > kMaxExpirationDays)
      throw UsageError("--expiration-in-days must be between 1 and " + std::to_string(kMaxExpirationDays) + ", not " +
                       std::to_string(days));
    const auto whole_seconds = std::chrono::floor<std::chrono::seconds>(now);
    return format_rfc3339(whole_seconds + std::chrono::days(days));
  }
  if (flags.at) {
    if (!parse_rfc3339(*flags.at))
      throw UsageError("--expiration '" + *flags.at + "' is not an RFC 3339 time such as 2030-01-31T12:00:00Z, from " +
                       std::to_string(kFirstRfc3339Year) + " to " + std::to_string(kLastRfc3339Year) +
                       " (a day the month has)");
    return *flags.at;
  }
  return std::nullopt;
}

}  // namespace outpost::cli
