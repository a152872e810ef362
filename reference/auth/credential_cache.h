#pragma once
// Caches that keep slow checks off the request path (issue 3: verifying a password on every request must not dominate
// request cost):
//  - CredentialCache remembers that (token name, password) verified, for the token's current "generation";
//  - JwtCache remembers the claims of access tokens whose signature verified.
//
// Safety rules, which are why these caches may sit in front of PBKDF2 and ECDSA:
//  - No secret is stored: keys hold the SHA-256 of the presented password or token, never the bytes themselves.
//  - Any change to a token's credentials drops its entries at once: the caller keeps a generation number per token and
//    bumps it on every such change (disable, delete, password regenerated, expiry edited); an entry remembered under
//    another generation is a miss. forget(name) also releases the memory eagerly. Only "this password verified" is
//    remembered, never what the token may do: callers read permissions from their current state on every request, so
//    a scope-map change needs no new generation to apply at once.
//  - Entries live at most `ttl` (monotonic time, from remember(), not refreshed by hits) and never past the expiry of
//    the password that matched (wall time), so a password expiring by the clock stops working on time.
//  - Bounded: beyond `capacity` entries the least recently used one is evicted.
// Both are thread-safe (one mutex each; the hashing happens outside it).
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "reference/auth/jwt.h"
#include "reference/auth/sha256.h"
#include "reference/common/clock.h"

namespace outpost::auth {

namespace detail {
// What the credential cache is keyed by: the digest of the presented password and the token's name. Held by value,
// so the digest sits in the table's node and a lookup, asked with a view, builds no key.
struct CredentialKey {
  Sha256Digest digest;
  std::string name;
};
struct CredentialKeyView {
  const Sha256Digest& digest;
  std::string_view name;
};

// Hashes the keys the caches use. A digest is already a uniform hash of the secret: its first bytes are the table's
// hash, with nothing more to compute. (Tokens with one password would share a bucket, where their names still tell
// them apart; passwords are generated, so only chance could do that.)
struct CacheKeyHash {
  using is_transparent = void;
  size_t operator()(const Sha256Digest& key) const {
    size_t hash;
    std::memcpy(&hash, key.data(), sizeof hash);
    return hash;
  }
  size_t operator()(const CredentialKey& key) const { return (*this)(key.digest); }
  size_t operator()(const CredentialKeyView& key) const { return (*this)(key.digest); }
  size_t operator()(const std::pair<std::string, std::string>& key) const {
    return (*this)(std::pair<std::string_view, std::string_view>(key.first, key.second));
  }
  // The same hash for a view of such a pair (the standard makes std::hash of a string and of its view agree), so a
  // lookup builds no strings.
  size_t operator()(const std::pair<std::string_view, std::string_view>& key) const {
    const size_t first = std::hash<std::string_view>{}(key.first);
    return first ^ (std::hash<std::string_view>{}(key.second) + 0x9e3779b97f4a7c15ULL + (first << 6) + (first >> 2));
  }
};

// Compares a credential key or a pair of strings with another or with a view of one; every other key with itself.
struct CacheKeyEqual {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    if constexpr (requires { a.digest; b.digest; }) {
      return a.digest == b.digest && a.name == b.name;
    } else if constexpr (requires { a.first; b.first; }) {  // pairs of strings or of their views, in any mix
      return a.first == b.first && a.second == b.second;
    } else {
      return a == b;
    }
  }
};

// A bounded map with least-recently-used eviction and a per-entry deadline. Not thread-safe; the caches lock around it.
// Hashed, because it is asked on every authenticated request and an ordered map's steps each missed the cache on a key
// string; nothing depends on its order: evictions follow the recency list, and the only walk over it (for_each_key)
// serves callers that do not depend on the order (docs/design.md, determinism). Asked with the key or anything
// CacheKeyHash and CacheKeyEqual take for one.
template <class Key, class Value>
class ExpiringLru {
 public:
  explicit ExpiringLru(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // The live value for `key`, marked most recently used; an entry past its deadline is dropped and reported missing.
  // `deadline`, when given, receives the live entry's.
  template <class Lookup>
  Value* find(const Lookup& key, Nanoseconds now, Nanoseconds* deadline = nullptr) {
    const auto it = slots_.find(key);
    if (it == slots_.end()) return nullptr;
    if (now >= it->second.deadline) {
      erase(it);
      return nullptr;
    }
    recency_.splice(recency_.begin(), recency_, it->second.position);
    if (deadline) *deadline = it->second.deadline;
    return &it->second.value;
  }

  void put(Key key, Value value, Nanoseconds deadline) {
    if (auto it = slots_.find(key); it != slots_.end()) erase(it);
    while (slots_.size() >= capacity_) erase(slots_.find(*recency_.back()));
    const auto it = slots_.emplace(std::move(key), Slot{std::move(value), deadline, {}}).first;
    recency_.push_front(&it->first);
    it->second.position = recency_.begin();
  }

  template <class Lookup>
  void remove(const Lookup& key) {
    if (auto it = slots_.find(key); it != slots_.end()) erase(it);
  }

  void clear() {
    slots_.clear();
    recency_.clear();
  }
  size_t size() const { return slots_.size(); }
  template <class F>
  void for_each_key(F&& f) const {
    for (const auto& [key, slot] : slots_) f(key);
  }

 private:
  struct Slot {
    Value value;
    Nanoseconds deadline;
    typename std::list<const Key*>::iterator position;
  };
  using Slots = std::unordered_map<Key, Slot, CacheKeyHash, CacheKeyEqual>;

  void erase(typename Slots::iterator it) {
    recency_.erase(it->second.position);
    slots_.erase(it);
  }

  size_t capacity_;
  Slots slots_;
  std::list<const Key*> recency_;  // most recently used first; hash nodes never move, so the pointers stay valid
};
}  // namespace detail

inline constexpr size_t kDefaultCacheCapacity = 10'000;
inline constexpr Nanoseconds kDefaultCredentialTtl = std::chrono::minutes(5);
// Verified passwords are remembered for a day. Every entry that runs out costs its client's next call a whole password
// hash (PBKDF2, 100,000 iterations by default): with 30 minutes a parent re-verified every child's unchanged password
// twice an hour, a steady share of its work in a large quiet fleet, and with 5 minutes every call a connected registry
// made to its parent paid one. Nothing rests on the TTL for safety: a changed credential (disabled, deleted, password
// regenerated, expiry edited) moves the token's generation, which drops its entries at once, and a password expiring
// by the clock ends its entries on time; the TTL and the capacity only bound the memory of entries nobody uses.
inline constexpr Nanoseconds kDefaultPasswordCacheTtl = std::chrono::hours(24);

class CredentialCache {
 public:
  CredentialCache(const Clock& clock, size_t capacity = kDefaultCacheCapacity, Nanoseconds ttl = kDefaultCredentialTtl);

  // How long a remembered password stays good: until `deadline` (monotonic: the TTL from remember()) and, if it has
  // one, the matched password's expiry (wall time). A caller that keeps its own copy of a hit (the authenticator's
  // token facts) holds it to both, so the copy never outlives the entry it was read from.
  struct Verified {
    Nanoseconds deadline{};
    std::optional<WallTime> password_expiry;
    int password_slot = 0;  // which of the token's passwords matched (0 = password1): JWTs issued on it name it
  };

  // True when this (name, password) verified earlier under this generation, within the TTL and before the matched
  // password's expiry. A miss means: verify the slow way, then remember().
  bool lookup(std::string_view name, std::string_view password, uint64_t generation);
  // The same, for a caller that has hashed the presented password already (sha256_digest), with the entry's limits.
  std::optional<Verified> find(std::string_view name, const Sha256Digest& password, uint64_t generation);
  // Call only after the password verified. `password_expiry` is the expiry of the password that matched, if it has one,
  // and `password_slot` which one it was. Returns the limits the new entry has.
  Verified remember(std::string_view name, std::string_view password, uint64_t generation,
                    std::optional<WallTime> password_expiry = std::nullopt, int password_slot = 0);
  Verified remember(std::string_view name, const Sha256Digest& password, uint64_t generation,
                    std::optional<WallTime> password_expiry = std::nullopt, int password_slot = 0);
  void forget(std::string_view name);  // every entry of one token
  void clear();
  size_t size() const;

  // Test hook: the stored keys as (token name, password digest). Lets a test show the password itself is not kept.
  std::vector<std::pair<std::string, std::string>> keys_for_testing() const;

 private:
  struct Entry {
    uint64_t generation;
    std::optional<WallTime> password_expiry;
    int password_slot;
  };
  const Clock& clock_;
  const Nanoseconds ttl_;
  mutable std::mutex mutex_;
  detail::ExpiringLru<detail::CredentialKey, Entry> entries_;
};

class JwtCache {
 public:
  JwtCache(const Clock& clock, size_t capacity = kDefaultCacheCapacity, Nanoseconds ttl = kDefaultCredentialTtl);

  // The claims of `token` if its signature verified earlier, re-checked now for audience, exp and nbf (check_claims).
  // A cached token that has expired is dropped and reported missing; verify() then gives the precise refusal.
  // This caches the cryptography only: the caller still checks, per request, that the token's subject is enabled and
  // unchanged (SPEC 4.1), and clears the cache when the key set changes.
  std::shared_ptr<const Claims> lookup(std::string_view token, std::string_view audience,
                                       Nanoseconds leeway = kDefaultJwtLeeway);
  // Call only with claims that verify() returned for this token.
  void remember(std::string_view token, Claims claims);
  void clear();
  size_t size() const;

 private:
  const Clock& clock_;
  const Nanoseconds ttl_;
  mutable std::mutex mutex_;
  detail::ExpiringLru<Sha256Digest, std::shared_ptr<const Claims>> entries_;  // SHA-256 of the token
};

}  // namespace outpost::auth
