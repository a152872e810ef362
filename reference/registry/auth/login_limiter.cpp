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

Nanoseconds LoginLimiter::begin(std::string_view name, std::string_view client, std::string_view password_key) {
  const Nanoseconds now = clock_.monotonic();
  Key key{std::string(name), std::string(client)};
  std::lock_guard lock(mutex_);  // one lock for the check and the admission: no other login slips in between
  auto& passwords = in_flight_[key];
  // Other passwords in flight each hold a place; this one's, if already in flight, is shared.
  const size_t others = passwords.size() - (passwords.contains(std::string(password_key)) ? 1 : 0);
  if (const Nanoseconds wait = retry_after_locked({name, client}, now, others); wait > Nanoseconds::zero()) {
    if (passwords.empty()) in_flight_.erase(key);
    return wait;
  }
  ++passwords[std::string(password_key)];
  return Nanoseconds::zero();
}

void LoginLimiter::end(std::string_view name, std::string_view client, std::string_view password_key, bool failed) {
  const Nanoseconds now = clock_.monotonic();
  Key key{std::string(name), std::string(client)};
  std::lock_guard lock(mutex_);
  if (const auto entry = in_flight_.find(key); entry != in_flight_.end()) {
    if (const auto password = entry->second.find(std::string(password_key));
        password != entry->second.end() && --password->second == 0)
      entry->second.erase(password);
    if (entry->second.empty()) in_flight_.erase(entry);
  }
  if (failed) spend_locked(name, client, now);
}

Nanoseconds LoginLimiter::retry_after_locked(std::pair<std::string_view, std::string_view> key, Nanoseconds now,
                                             size_t in_flight) {
  // Asked with views (ExpiringLru's lookups are heterogeneous): every password verification comes through here, and
  // a key of two strings cost an allocation for any name longer than a short string.
  const Nanoseconds* arrival = buckets_.find(key, now);
  if (!arrival && in_flight == 0) return Nanoseconds::zero();
  // `burst` failures in a row push the arrival time burst intervals ahead; one interval short of that still passes.
  // Checks in flight count as the failures they may turn out to be.
  const Nanoseconds tolerance = limits_.refill_every * (std::max(limits_.burst, 1u) - 1);
  const Nanoseconds ahead = std::max(arrival ? *arrival : now, now) - now +
                            limits_.refill_every * static_cast<int64_t>(in_flight);
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
