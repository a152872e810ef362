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
#include <map>
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

  // What a login whose password is not cached does, around its password check. begin() admits it (zero) or says
  // how long until it may try (for Retry-After); end() says how it went. A check in flight holds a place from
  // begin() to end(), so guesses sent together are bounded by the burst as guesses sent one after another are: the
  // limit was checked before the hash and charged after it, and a burst of 40 parallel guesses had 16 checked. Checks
  // of the same password share one place (they will have one outcome), so many clients of one token logging in at
  // once, a cold cache after a restart, are not refused for failures nobody made. `password_key` identifies the
  // password presented (a hash of it, never the password).
  Nanoseconds begin(std::string_view name, std::string_view client, std::string_view password_key);
  void end(std::string_view name, std::string_view client, std::string_view password_key, bool failed);

 private:
  Nanoseconds retry_after_locked(std::pair<std::string_view, std::string_view> key, Nanoseconds now,
                                 size_t in_flight = 0);
  void spend_locked(std::string_view name, std::string_view client, Nanoseconds now);

  using Key = std::pair<std::string, std::string>;
  const Clock& clock_;
  const LoginLimits limits_;
  std::mutex mutex_;
  auth::detail::ExpiringLru<Key, Nanoseconds> buckets_;  // value: the theoretical arrival time (monotonic)
  // Checks in flight: per (name, address), how many of each password. Entries go when their last check ends, so it
  // holds at most what the server's threads are checking at once.
  std::map<Key, std::map<std::string, unsigned>> in_flight_;
};

// The address part of "ip:port", "[v6]:port" or a bare address: a client's port changes with every connection, so
// limits are per address.
std::string_view client_address(std::string_view remote_address);

}  // namespace outpost::registry
