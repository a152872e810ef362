#include "reference/auth/sha256.h"

#include <openssl/err.h>
#include <openssl/evp.h>

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
}  // namespace

std::string sha256(std::string_view bytes) {
  std::string out(kSha256Bytes, '\0');
  unsigned int size = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), reinterpret_cast<unsigned char*>(out.data()), &size, sha256_algorithm(),
                 nullptr) != 1 ||
      size != kSha256Bytes) {
    ERR_clear_error();  // the queue is per thread; leave nothing behind for unrelated code to find
    throw std::runtime_error("OpenSSL SHA-256 failed");
  }
  return out;
}

}  // namespace outpost::auth
