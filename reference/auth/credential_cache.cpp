#include "reference/auth/credential_cache.h"

#include <algorithm>

#include "reference/auth/sha256.h"

namespace outpost::auth {

namespace {
// now + ttl without overflow, so "never expire" can be spelled Nanoseconds::max().
Nanoseconds deadline_after(Nanoseconds now, Nanoseconds ttl) {
  if (ttl <= Nanoseconds::zero()) return now;
  return now > Nanoseconds::max() - ttl ? Nanoseconds::max() : now + ttl;
}
}  // namespace

// Both caches key on the SHA-256 of the presented secret: a fixed-size digest keeps every key the same size whatever
// was presented, and keeps the secret out of memory.

CredentialCache::CredentialCache(const Clock& clock, size_t capacity, Nanoseconds ttl)
    : clock_(clock), ttl_(ttl), entries_(capacity) {}

bool CredentialCache::lookup(std::string_view name, std::string_view password, uint64_t generation) {
  return find(name, sha256_digest(password), generation).has_value();
}

std::optional<CredentialCache::Verified> CredentialCache::find(std::string_view name, const Sha256Digest& password,
                                                               uint64_t generation) {
  const detail::CredentialKeyView key{password, name};
  const WallTime wall_now = clock_.now();
  const Nanoseconds now = clock_.monotonic();
  std::lock_guard lock(mutex_);
  Nanoseconds deadline{};
  const Entry* entry = entries_.find(key, now, &deadline);
  if (!entry) return std::nullopt;
  if (entry->generation != generation || (entry->password_expiry && wall_now >= *entry->password_expiry)) {
    entries_.remove(key);  // stale for good: generations only grow and time only moves on
    return std::nullopt;
  }
  return Verified{deadline, entry->password_expiry, entry->password_slot};
}

CredentialCache::Verified CredentialCache::remember(std::string_view name, std::string_view password,
                                                    uint64_t generation, std::optional<WallTime> password_expiry,
                                                    int password_slot) {
  return remember(name, sha256_digest(password), generation, password_expiry, password_slot);
}

CredentialCache::Verified CredentialCache::remember(std::string_view name, const Sha256Digest& password,
                                                    uint64_t generation, std::optional<WallTime> password_expiry,
                                                    int password_slot) {
  detail::CredentialKey key{password, std::string(name)};
  const Nanoseconds deadline = deadline_after(clock_.monotonic(), ttl_);
  std::lock_guard lock(mutex_);
  entries_.put(std::move(key), Entry{generation, password_expiry, password_slot}, deadline);
  return Verified{deadline, password_expiry, password_slot};
}

void CredentialCache::forget(std::string_view name) {
  // The entries are hashed, so a token's are found by a walk over all of them: this is not on any request's path.
  std::lock_guard lock(mutex_);
  std::vector<detail::CredentialKey> gone;
  entries_.for_each_key([&](const detail::CredentialKey& key) {
    if (key.name == name) gone.push_back(key);
  });
  for (const auto& key : gone) entries_.remove(key);
}

void CredentialCache::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

size_t CredentialCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::vector<std::pair<std::string, std::string>> CredentialCache::keys_for_testing() const {
  std::vector<std::pair<std::string, std::string>> keys;
  std::lock_guard lock(mutex_);
  entries_.for_each_key([&](const detail::CredentialKey& key) {
    keys.emplace_back(key.name, std::string(reinterpret_cast<const char*>(key.digest.data()), key.digest.size()));
  });
  std::sort(keys.begin(), keys.end());
  return keys;
}

JwtCache::JwtCache(const Clock& clock, size_t capacity, Nanoseconds ttl)
    : clock_(clock), ttl_(ttl), entries_(capacity) {}

std::shared_ptr<const Claims> JwtCache::lookup(std::string_view token, std::string_view audience, Nanoseconds leeway) {
  const Sha256Digest key = sha256_digest(token);
  const WallTime wall_now = clock_.now();
  const Nanoseconds now = clock_.monotonic();
  std::shared_ptr<const Claims> claims;
  {
    std::lock_guard lock(mutex_);
    const auto* entry = entries_.find(key, now);
    if (!entry) return nullptr;
    claims = *entry;
  }
  const auto refusal = check_claims(*claims, audience, wall_now, leeway);
  if (!refusal) return claims;
  if (*refusal == JwtError::Expired) {
    std::lock_guard lock(mutex_);
    entries_.remove(key);
  }
  return nullptr;
}

void JwtCache::remember(std::string_view token, Claims claims) {
  const Sha256Digest key = sha256_digest(token);
  auto value = std::make_shared<const Claims>(std::move(claims));
  const Nanoseconds deadline = deadline_after(clock_.monotonic(), ttl_);
  std::lock_guard lock(mutex_);
  entries_.put(key, std::move(value), deadline);
}

void JwtCache::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

size_t JwtCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace outpost::auth
