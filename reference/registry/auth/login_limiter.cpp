#include "reference/registry/auth/login_limiter.h"

#include <algorithm>

namespace outpost::registry {

LoginLimiter::LoginLimiter(const Clock& clock, LoginLimits limits)
    : clock_(clock), limits_(limits), buckets_(limits.capacity) {}

Nanoseconds LoginLimiter::retry_after(std::string_view name, std::string_view client) {
  const Nanoseconds now = clock_.monotonic();
  // Asked with views (ExpiringLru's lookups are heterogeneous): every password verification comes through here, and
  // a key of two strings cost an allocation for any name longer than a short string.
  const std::pair<std::string_view, std::string_view> key{name, client};
  std::lock_guard lock(mutex_);
  const Nanoseconds* arrival = buckets_.find(key, now);
  if (!arrival) return Nanoseconds::zero();
  // `burst` failures in a row push the arrival time burst intervals ahead; one interval short of that still passes.
  const Nanoseconds tolerance = limits_.refill_every * (std::max(limits_.burst, 1u) - 1);
  const Nanoseconds ahead = *arrival - now;
  return ahead > tolerance ? ahead - tolerance : Nanoseconds::zero();
}

void LoginLimiter::record_failure(std::string_view name, std::string_view client) {
  const Nanoseconds now = clock_.monotonic();
  Key key{std::string(name), std::string(client)};
  std::lock_guard lock(mutex_);
  const Nanoseconds* arrival = buckets_.find(key, now);
  const Nanoseconds next = std::max(arrival ? *arrival : now, now) + limits_.refill_every;
  // Once the clock reaches `next` the bucket is full again, which is what no entry means: the entry expires then.
  buckets_.put(std::move(key), next, next);
}

std::string_view client_address(std::string_view remote_address) {
  if (remote_address.starts_with('[')) {
    const size_t close = remote_address.find(']');
    return close == std::string_view::npos ? remote_address : remote_address.substr(1, close - 1);
  }
  const size_t colon = remote_address.find(':');
  // Exactly one ':' is "ipv4:port" (or "name:port"); more is a bare IPv6 address.
  if (colon == std::string_view::npos || remote_address.find(':', colon + 1) != std::string_view::npos)
    return remote_address;
  return remote_address.substr(0, colon);
}

}  // namespace outpost::registry
