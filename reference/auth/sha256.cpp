#include "reference/auth/sha256.h"

// SHA256_Init and friends: see sha256_digest below for why.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

namespace outpost::auth {

// OpenSSL's low-level SHA-256, on a state on the stack. The EVP interface, even with the implementation fetched once
// and a context reused per thread, allocates and frees the provider's state at every init and dispatches every step
// through the provider: more than hashing a password or a token that a node checks on every request costs. The
// one-shot SHA256() is no shortcut: OpenSSL 3 implements it through EVP, fetching SHA-256 by name each call. The
// low-level interface is deprecated in OpenSSL 3 but still shipped, and it runs the same compression code. Thread-safe
// (no shared state); nothing secret stays behind: finishing wipes the buffered input, and what remains of the state
// is the digest itself.
Sha256Digest sha256_digest(std::string_view bytes) {
  Sha256Digest out;
  SHA256_CTX state;
  SHA256_Init(&state);
  SHA256_Update(&state, bytes.data(), bytes.size());
  SHA256_Final(out.data(), &state);
  return out;
}

std::string sha256(std::string_view bytes) {
  const Sha256Digest digest = sha256_digest(bytes);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

bool same_digest(const Sha256Digest& a, const Sha256Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace outpost::auth
