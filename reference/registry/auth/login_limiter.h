#pragma once
// Failed Basic logins are rate-limited per (token name, client address) (SPEC 4.5): a token bucket per pair, kept as
// its "theoretical arrival time" (GCRA), so an entry is one time point and a full bucket is simply no entry.
//
// Only failures spend from the bucket, and every failure counts the same whether the name exists, the password is
// wrong, the token is disabled or its password expired: the limiter's state, like the 401 body, says nothing about a
// token. A client whose bucket is empty is refused before any password is hashed, which is also what keeps a
// guessing client from spending the node's CPU.
//
// Thread-safe. Memory is bounded: beyond `capacity` pairs the least recently used is forgotten (it starts full again).
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "reference/auth/credential_cache.h"  // detail::ExpiringLru
#include "reference/common/clock.h"

namespace outpost::registry {

struct LoginLimits {
  unsigned burst = 10;                                    // failures in a row before the first refusal
  Nanoseconds refill_every = std::chrono::seconds(6);     // one more attempt per interval: 10 a minute sustained
  size_t capacity = 100'000;                              // (name, address) pairs remembered
};

class LoginLimiter {
 public:
  LoginLimiter(const Clock& clock, LoginLimits limits = {});

  // Zero when `name` may be tried from `client` now; otherwise how long until it may (for Retry-After).
  Nanoseconds retry_after(std::string_view name, std::string_view client);
  void record_failure(std::string_view name, std::string_view client);

  // What a login does: spends one attempt before its password is checked, as a failure would (zero), or spends
  // nothing and says how long until it may try (for Retry-After). Checking first and charging after the hash let
  // every guess in flight at once through: a burst of 48 parallel guesses had 24 checked. A login that turns out
  // not to be a failure gives its attempt back (refund).
  Nanoseconds reserve(std::string_view name, std::string_view client);
  void refund(std::string_view name, std::string_view client);

 private:
  Nanoseconds retry_after_locked(std::pair<std::string_view, std::string_view> key, Nanoseconds now);
  void spend_locked(std::string_view name, std::string_view client, Nanoseconds now);

  using Key = std::pair<std::string, std::string>;
  const Clock& clock_;
  const LoginLimits limits_;
  std::mutex mutex_;
  auth::detail::ExpiringLru<Key, Nanoseconds> buckets_;  // value: the theoretical arrival time (monotonic)
};

// The address part of "ip:port", "[v6]:port" or a bare address: a client's port changes with every connection, so
// limits are per address.
std::string_view client_address(std::string_view remote_address);

}  // namespace outpost::registry
