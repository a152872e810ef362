#include "reference/registry/auth/login_limiter.h"

#include <algorithm>

namespace outpost::registry {

LoginLimiter::LoginLimiter(const Clock& clock, LoginLimits limits)
    : clock_(clock), limits_(limits), buckets_(limits.capacity) {}

Nanoseconds LoginLimiter::retry_after(std::string_view name, std::string_view client) {
  std::lock_guard lock(mutex_);
  return retry_after_locked({name, client}, clock_.monotonic());
}

void LoginLimiter::record_failure(std::string_view name, std::string_view client) {
  std::lock_guard lock(mutex_);
  spend_locked(name, client, clock_.monotonic());
}

Nanoseconds LoginLimiter::reserve(std::string_view name, std::string_view client) {
  const Nanoseconds now = clock_.monotonic();
  std::lock_guard lock(mutex_);  // one lock for the check and the spend: no other login slips in between
  if (const Nanoseconds wait = retry_after_locked({name, client}, now); wait > Nanoseconds::zero()) return wait;
  spend_locked(name, client, now);
  return Nanoseconds::zero();
}

void LoginLimiter::refund(std::string_view name, std::string_view client) {
  const Nanoseconds now = clock_.monotonic();
  const std::pair<std::string_view, std::string_view> key{name, client};
  std::lock_guard lock(mutex_);
  const Nanoseconds* arrival = buckets_.find(key, now);
  if (!arrival) return;  // forgotten meanwhile (or refilled): full already
  const Nanoseconds back = *arrival - limits_.refill_every;
  if (back <= now) {
    buckets_.remove(key);  // full again
  } else {
    buckets_.put(Key{std::string(name), std::string(client)}, back, back);
  }
}

Nanoseconds LoginLimiter::retry_after_locked(std::pair<std::string_view, std::string_view> key, Nanoseconds now) {
  // Asked with views (ExpiringLru's lookups are heterogeneous): every password verification comes through here, and
  // a key of two strings cost an allocation for any name longer than a short string.
  const Nanoseconds* arrival = buckets_.find(key, now);
  if (!arrival) return Nanoseconds::zero();
  // `burst` failures in a row push the arrival time burst intervals ahead; one interval short of that still passes.
  const Nanoseconds tolerance = limits_.refill_every * (std::max(limits_.burst, 1u) - 1);
  const Nanoseconds ahead = *arrival - now;
  return ahead > tolerance ? ahead - tolerance : Nanoseconds::zero();
}

void LoginLimiter::spend_locked(std::string_view name, std::string_view client, Nanoseconds now) {
  Key key{std::string(name), std::string(client)};
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
