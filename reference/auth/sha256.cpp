#include "reference/auth/sha256.h"

#include <openssl/err.h>
#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

namespace outpost::auth {

namespace {
// EVP_sha256() is a legacy handle: OpenSSL 3 resolves it to a provider implementation (a lookup by name under the
// library's locks) on every EVP_Digest call, which costs more than hashing a password or a token. So the
// implementation is fetched once. Never freed: a thread still hashing while the process exits, or a static object's
// destructor, could otherwise use it after release; the pointer stays reachable, so leak checkers do not count it.
const EVP_MD* sha256_algorithm() {
  // A throwing initialiser leaves the static uninitialised, so a later call tries the fetch again.
  static const EVP_MD* const algorithm = [] {
    EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!fetched) {
      ERR_clear_error();
      throw std::runtime_error("OpenSSL has no SHA-256 implementation");
    }
    return fetched;
  }();
  return algorithm;
}

[[noreturn]] void fail(const char* what) {
  ERR_clear_error();  // the queue is per thread; leave nothing behind for unrelated code to find
  throw std::runtime_error(what);
}

struct DigestContextFree {
  void operator()(EVP_MD_CTX* context) const { EVP_MD_CTX_free(context); }
};

// A digest context per thread (one is not thread-safe), reused: EVP_Digest makes a context and its provider state
// and frees them again on every call, a third of the cost of hashing a password that a node checks on every request.
// Nothing secret stays in it: finishing a digest wipes the buffered input, and what remains is the state the digest
// itself came from.
EVP_MD_CTX* thread_digest_context() {
  thread_local const std::unique_ptr<EVP_MD_CTX, DigestContextFree> context(EVP_MD_CTX_new());
  if (!context) fail("OpenSSL cannot create a digest context");
  return context.get();
}
}  // namespace

Sha256Digest sha256_digest(std::string_view bytes) {
  Sha256Digest out;
  unsigned int size = 0;
  EVP_MD_CTX* context = thread_digest_context();
  if (EVP_DigestInit_ex2(context, sha256_algorithm(), nullptr) != 1 ||
      EVP_DigestUpdate(context, bytes.data(), bytes.size()) != 1 || EVP_DigestFinal_ex(context, out.data(), &size) != 1 ||
      size != kSha256Bytes)
    fail("OpenSSL SHA-256 failed");
  return out;
}

std::string sha256(std::string_view bytes) {
  const Sha256Digest digest = sha256_digest(bytes);
  return std::string(reinterpret_cast<const char*>(digest.data()), digest.size());
}

}  // namespace outpost::auth
