#include "reference/auth/password.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <charconv>
#include <climits>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>

#include "reference/auth/base64.h"

namespace outpost::auth {

namespace {
constexpr std::string_view kScheme = "pbkdf2-sha256";

struct ParsedHash {
  uint32_t iterations = 0;
  std::string salt;
  std::string hash;
};

// Decimal without sign, leading zeros or trailing junk, within [1, kMaxPasswordIterations].
std::optional<uint32_t> parse_iterations(std::string_view text) {
  if (text.empty() || text.size() > 10 || text[0] == '0') return std::nullopt;
  uint32_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  if (value == 0 || value > kMaxPasswordIterations) return std::nullopt;
  return value;
}

// Splits "scheme$iterations$salt$hash" and checks every field; nullopt for anything we did not write ourselves.
std::optional<ParsedHash> parse_encoded(std::string_view encoded) {
  std::string_view fields[4];
  size_t count = 0;
  for (size_t start = 0;;) {
    const size_t dollar = encoded.find('$', start);
    if (count == 4) return std::nullopt;  // a fifth field
    fields[count++] = encoded.substr(start, dollar == std::string_view::npos ? std::string_view::npos : dollar - start);
    if (dollar == std::string_view::npos) break;
    start = dollar + 1;
  }
  if (count != 4 || fields[0] != kScheme) return std::nullopt;
  ParsedHash parsed;
  const auto iterations = parse_iterations(fields[1]);
  auto salt = base64_decode(fields[2]);
  auto hash = base64_decode(fields[3]);
  if (!iterations || !salt || !hash) return std::nullopt;
  if (salt->size() != kPasswordSaltBytes || hash->size() != kPasswordHashBytes) return std::nullopt;
  parsed.iterations = *iterations;
  parsed.salt = std::move(*salt);
  parsed.hash = std::move(*hash);
  return parsed;
}

std::string encode(uint32_t iterations, std::string_view salt, std::string_view hash) {
  std::string out(kScheme);
  out += '$';
  out += std::to_string(iterations);
  out += '$';
  out += base64_encode(salt);
  out += '$';
  out += base64_encode(hash);
  return out;
}

[[noreturn]] void fail(const char* what) {
  ERR_clear_error();  // the queue is per thread; leave nothing behind for unrelated code to find
  throw std::runtime_error(what);
}

// PKCS5_PBKDF2_HMAC looks the PBKDF2 implementation up by name, under the library's locks, on every call; at the low
// iteration counts the simulator uses that costs more than the iterations. So it is fetched once. Never freed: a
// thread still verifying while the process exits, or a static object's destructor, could otherwise use it after
// release; the pointer stays reachable, so leak checkers do not count it.
EVP_KDF* pbkdf2_algorithm() {
  // A throwing initialiser leaves the static uninitialised, so a later call tries the fetch again.
  static EVP_KDF* const algorithm = [] {
    EVP_KDF* fetched = EVP_KDF_fetch(nullptr, "PBKDF2", nullptr);
    if (!fetched) fail("OpenSSL has no PBKDF2 implementation");
    return fetched;
  }();
  return algorithm;
}

struct KdfContextFree {
  void operator()(EVP_KDF_CTX* context) const { EVP_KDF_CTX_free(context); }
};
using KdfContextPtr = std::unique_ptr<EVP_KDF_CTX, KdfContextFree>;

// A PBKDF2 context with SHA-256 and PKCS #5 mode already set, one per thread (a context is not thread-safe). Reused
// because a new context costs two more digest lookups by name (its SHA-1 default, then SHA-256): a quarter of a call
// at 10 iterations.
EVP_KDF_CTX* thread_pbkdf2_context() {
  thread_local const KdfContextPtr context = [] {
    KdfContextPtr created(EVP_KDF_CTX_new(pbkdf2_algorithm()));
    if (!created) fail("OpenSSL cannot create a PBKDF2 context");
    // PKCS #5 mode: no SP 800-132 lower bounds (1000 iterations, 128-bit salt, 112-bit key). Stored hashes may use
    // any count from 1 and the known-answer tests use short salts; the caller's cost setting is the policy.
    int pkcs5_mode = 1;
    char digest_name[] = "SHA256";
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest_name, 0),
        OSSL_PARAM_construct_int(OSSL_KDF_PARAM_PKCS5, &pkcs5_mode),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_KDF_CTX_set_params(created.get(), params) != 1) fail("OpenSSL refused the PBKDF2 settings");
    return created;
  }();
  return context.get();
}

// Replaces the context's copies of password and salt with empty ones (OpenSSL clears the old buffers), so no secret
// outlives the call in the reused context.
struct WipeSecrets {
  EVP_KDF_CTX* context;
  ~WipeSecrets() {
    static const char kNothing = 0;
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD, const_cast<char*>(&kNothing), 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(&kNothing), 0),
        OSSL_PARAM_construct_end(),
    };
    if (EVP_KDF_CTX_set_params(context, params) != 1) ERR_clear_error();
  }
};

void check_cost(const PasswordHashCost& cost) {
  if (cost.iterations == 0 || cost.iterations > kMaxPasswordIterations)
    throw std::invalid_argument("password hash iterations must be between 1 and " +
                                std::to_string(kMaxPasswordIterations));
}
}  // namespace

std::string pbkdf2_hmac_sha256(std::string_view password, std::string_view salt, uint32_t iterations, size_t length) {
  if (iterations == 0 || iterations > static_cast<uint32_t>(INT32_MAX))
    throw std::invalid_argument("bad iteration count");
  if (length > static_cast<size_t>(INT32_MAX)) throw std::invalid_argument("bad derived key length");
  std::string out(length, '\0');
  // An empty string_view may carry a null data pointer; OpenSSL wants a valid one even for length 0.
  static const char kEmpty = 0;
  EVP_KDF_CTX* context = thread_pbkdf2_context();
  const WipeSecrets wipe{context};
  uint64_t iteration_count = iterations;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_PASSWORD,
                                        const_cast<char*>(password.empty() ? &kEmpty : password.data()),
                                        password.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.empty() ? &kEmpty : salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_uint64(OSSL_KDF_PARAM_ITER, &iteration_count),
      OSSL_PARAM_construct_end(),
  };
  if (EVP_KDF_derive(context, reinterpret_cast<unsigned char*>(out.data()), out.size(), params) != 1)
    fail("OpenSSL PBKDF2 failed");
  return out;
}

std::string generate_password(Random& random) {
  std::string bytes(kGeneratedPasswordBytes, '\0');
  random.fill(std::as_writable_bytes(std::span(bytes)));
  std::string password = base64_encode(bytes);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return password;
}

std::string hash_password(std::string_view password, Random& random, const PasswordHashCost& cost) {
  check_cost(cost);
  std::string salt(kPasswordSaltBytes, '\0');
  random.fill(std::as_writable_bytes(std::span(salt)));
  return encode(cost.iterations, salt, pbkdf2_hmac_sha256(password, salt, cost.iterations, kPasswordHashBytes));
}

bool verify_password(std::string_view password, std::string_view encoded) {
  const auto parsed = parse_encoded(encoded);
  if (!parsed) return false;
  const std::string derived = pbkdf2_hmac_sha256(password, parsed->salt, parsed->iterations, parsed->hash.size());
  return CRYPTO_memcmp(derived.data(), parsed->hash.data(), derived.size()) == 0;
}

const std::string& dummy_hash(const PasswordHashCost& cost) {
  check_cost(cost);
  // std::map never moves its elements, so the returned reference stays valid while other costs are added.
  static std::mutex mutex;
  static std::map<uint32_t, std::string> hashes;
  std::lock_guard lock(mutex);
  auto it = hashes.find(cost.iterations);
  if (it == hashes.end()) {
    // The password is not base64 of 32 bytes, so no generated password can ever match it.
    constexpr std::string_view kSalt = "outpost-dummy-01";  // 16 bytes
    static_assert(kSalt.size() == kPasswordSaltBytes);
    const std::string hash = pbkdf2_hmac_sha256("no token has this password", kSalt, cost.iterations,
                                                kPasswordHashBytes);
    it = hashes.emplace(cost.iterations, encode(cost.iterations, kSalt, hash)).first;
  }
  return it->second;
}

}  // namespace outpost::auth
