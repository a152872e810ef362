#include "reference/auth/password.h"

// SHA256_Init and friends: see HmacSha256Key below for why.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdint>
#include <cstring>
#include <map>
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

// PBKDF2-HMAC-SHA256 is computed here from SHA-256 states rather than through OpenSSL's PBKDF2 (EVP_KDF_derive):
// that one copies an HMAC context for every iteration, and each copy allocates and frees digest contexts, which at
// the low iteration counts a node may be set to (the simulator uses 10) cost more than the hashing. HMAC's key is
// the password, the same for every iteration (RFC 8018 5.2), so the SHA-256 states after its inner and outer pad
// blocks are computed once per call (RFC 2104) and every HMAC after that is a copy of a plain struct plus two
// compressions. The output is byte-for-byte OpenSSL's (a unit test compares them). The low-level SHA-256 interface
// is deprecated in OpenSSL 3 but still shipped, and it is the only one whose state can be copied without allocating.
constexpr size_t kSha256BlockBytes = 64;

// The two SHA-256 states of HMAC-SHA256 keyed with one password.
struct HmacSha256Key {
  SHA256_CTX inner;  // after (key ^ ipad)
  SHA256_CTX outer;  // after (key ^ opad)
  ~HmacSha256Key() { OPENSSL_cleanse(this, sizeof *this); }  // they stand for the password: leave no copy behind
};

void sha256_start(SHA256_CTX& state, const unsigned char* key_block, unsigned char pad) {
  unsigned char block[kSha256BlockBytes];
  for (size_t i = 0; i < kSha256BlockBytes; ++i) block[i] = static_cast<unsigned char>(key_block[i] ^ pad);
  SHA256_Init(&state);
  SHA256_Update(&state, block, sizeof block);
  OPENSSL_cleanse(block, sizeof block);
}

void hmac_sha256_key(std::string_view password, HmacSha256Key& key) {
  // RFC 2104: a key longer than a block is replaced by its digest; a shorter one is padded with zeros.
  unsigned char key_block[kSha256BlockBytes] = {};
  if (password.size() > kSha256BlockBytes) {
    SHA256_CTX state;
    SHA256_Init(&state);
    SHA256_Update(&state, password.data(), password.size());
    SHA256_Final(key_block, &state);
    OPENSSL_cleanse(&state, sizeof state);
  } else if (!password.empty()) {
    std::memcpy(key_block, password.data(), password.size());
  }
  sha256_start(key.inner, key_block, 0x36);
  sha256_start(key.outer, key_block, 0x5c);
  OPENSSL_cleanse(key_block, sizeof key_block);
}

// out = HMAC(key, first || second). `out` may alias `first` (each PBKDF2 iteration hashes the previous output).
void hmac_sha256(const HmacSha256Key& key, const unsigned char* first, size_t first_size, const unsigned char* second,
                 size_t second_size, unsigned char* out) {
  SHA256_CTX state = key.inner;
  SHA256_Update(&state, first, first_size);
  SHA256_Update(&state, second, second_size);
  SHA256_Final(out, &state);
  state = key.outer;
  SHA256_Update(&state, out, SHA256_DIGEST_LENGTH);
  SHA256_Final(out, &state);
  OPENSSL_cleanse(&state, sizeof state);
}

// RFC 8018 5.2 into `out` (`length` bytes). Derived-key block i (from 1) is T_i = U_1 ^ ... ^ U_c, with
// U_1 = HMAC(P, S || INT(i)) and U_j = HMAC(P, U_j-1).
void pbkdf2_into(std::string_view password, std::string_view salt, uint32_t iterations, unsigned char* out,
                 size_t length) {
  HmacSha256Key key;
  hmac_sha256_key(password, key);
  unsigned char block[SHA256_DIGEST_LENGTH];  // U_j
  unsigned char sum[SHA256_DIGEST_LENGTH];    // T_i
  for (size_t offset = 0, index = 1; offset < length; offset += sizeof sum, ++index) {
    const unsigned char big_endian_index[4] = {static_cast<unsigned char>(index >> 24),
                                               static_cast<unsigned char>(index >> 16),
                                               static_cast<unsigned char>(index >> 8), static_cast<unsigned char>(index)};
    hmac_sha256(key, reinterpret_cast<const unsigned char*>(salt.data()), salt.size(), big_endian_index,
                sizeof big_endian_index, block);
    std::memcpy(sum, block, sizeof sum);
    for (uint32_t round = 1; round < iterations; ++round) {
      hmac_sha256(key, block, sizeof block, nullptr, 0, block);
      for (size_t i = 0; i < sizeof sum; ++i) sum[i] ^= block[i];
    }
    std::memcpy(out + offset, sum, std::min(sizeof sum, length - offset));
  }
  OPENSSL_cleanse(block, sizeof block);
  OPENSSL_cleanse(sum, sizeof sum);
}

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
  pbkdf2_into(password, salt, iterations, reinterpret_cast<unsigned char*>(out.data()), length);
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
  // Derived on the stack: no heap copy of it to free (parse_encoded checked the size, and the iteration bounds).
  unsigned char derived[kPasswordHashBytes];
  pbkdf2_into(password, parsed->salt, parsed->iterations, derived, sizeof derived);
  const bool match = CRYPTO_memcmp(derived, parsed->hash.data(), sizeof derived) == 0;
  OPENSSL_cleanse(derived, sizeof derived);
  return match;
}

std::optional<PasswordHashCost> cost_of(std::string_view encoded) {
  const auto parsed = parse_encoded(encoded);
  if (!parsed) return std::nullopt;
  return PasswordHashCost{parsed->iterations};
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
