#pragma once
// Verified access tokens, so a client reusing its JWT (every request of a push or pull) pays for one ECDSA
// verification, not one per request (issue 3: authenticated requests cost at most 1.2x anonymous ones).
//
// Same safety rules as auth::JwtCache, whose LRU it shares: keyed by the SHA-256 of the token (never the token),
// bounded, entries live at most `ttl`, and a hit is re-checked for audience, exp and nbf at the current time. It
// caches the cryptography only; whether the token's subject still exists at the same generation is asked on every
// request. It exists beside auth::JwtCache because it keeps what a request needs beyond auth::Claims: the generation,
// the credential digest and the access claim already compiled into auth::GrantedAccess.
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "reference/auth/credential_cache.h"
#include "reference/auth/docker_scope.h"
#include "reference/registry/auth/node_token.h"

namespace outpost::registry {

struct VerifiedBearer {
  NodeToken token;
  auth::GrantedAccess granted;
};

class BearerCache {
 public:
  BearerCache(const Clock& clock, size_t capacity = auth::kDefaultCacheCapacity,
              Nanoseconds ttl = auth::kDefaultCredentialTtl);

  // The verified token, if `jwt` verified earlier and its claims still hold for `audience` now.
  std::shared_ptr<const VerifiedBearer> lookup(std::string_view jwt, std::string_view audience, Nanoseconds leeway);
  // Call only with what verify_node_token returned for `jwt`.
  std::shared_ptr<const VerifiedBearer> remember(std::string_view jwt, NodeToken token);
  void clear();
  size_t size() const;

 private:
  const Clock& clock_;
  const Nanoseconds ttl_;
  mutable std::mutex mutex_;
  auth::detail::ExpiringLru<auth::Sha256Digest, std::shared_ptr<const VerifiedBearer>> entries_;  // SHA-256 of the token
};

}  // namespace outpost::registry
