#include "reference/registry/auth/bearer_cache.h"

#include "reference/auth/sha256.h"

namespace outpost::registry {

BearerCache::BearerCache(const Clock& clock, size_t capacity, Nanoseconds ttl)
    : clock_(clock), ttl_(ttl), entries_(capacity) {}

std::shared_ptr<const VerifiedBearer> BearerCache::lookup(std::string_view jwt, std::string_view audience,
                                                          Nanoseconds leeway) {
  const auth::Sha256Digest key = auth::sha256_digest(jwt);
  std::shared_ptr<const VerifiedBearer> found;
  {
    std::lock_guard lock(mutex_);
    if (auto* entry = entries_.find(key, clock_.monotonic())) found = *entry;
  }
  if (!found) return nullptr;
  if (const auto refusal = auth::check_claims(found->token.claims, audience, clock_.now(), leeway)) {
    if (*refusal == auth::JwtError::Expired) {  // for good: drop it; a wrong audience may suit another request
      std::lock_guard lock(mutex_);
      entries_.remove(key);
    }
    return nullptr;
  }
  return found;
}

std::shared_ptr<const VerifiedBearer> BearerCache::remember(std::string_view jwt, NodeToken token) {
  // The access claim is compiled once here rather than on every request.
  auth::GrantedAccess granted(token.claims.access);
  std::shared_ptr<const VerifiedBearer> value =
      std::make_shared<const VerifiedBearer>(VerifiedBearer{std::move(token), std::move(granted)});
  const auth::Sha256Digest key = auth::sha256_digest(jwt);
  const Nanoseconds now = clock_.monotonic();
  // The cache outlives no token by more than ttl; the wall-clock expiry is checked on every hit anyway.
  const Nanoseconds deadline = ttl_ <= Nanoseconds::zero() ? now : now + ttl_;
  std::lock_guard lock(mutex_);
  entries_.put(key, value, deadline);
  return value;
}

void BearerCache::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

size_t BearerCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace outpost::registry
