#pragma once
// SHA-256 of a small in-memory string: cache keys for presented secrets, JWK thumbprints. Streaming content digests
// belong to reference/oci/digest.h instead.
#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace outpost::auth {

inline constexpr size_t kSha256Bytes = 32;
using Sha256Digest = std::array<unsigned char, kSha256Bytes>;

// The raw digest of `bytes`. Thread-safe.
Sha256Digest sha256_digest(std::string_view bytes);
// The same as a kSha256Bytes string.
std::string sha256(std::string_view bytes);
// Whether two digests are equal, in time that does not depend on where they differ (CRYPTO_memcmp): for digests of
// presented secrets compared with remembered ones.
bool same_digest(const Sha256Digest& a, const Sha256Digest& b);

}  // namespace outpost::auth
