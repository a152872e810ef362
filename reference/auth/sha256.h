#pragma once
// SHA-256 of a small in-memory string: cache keys for presented secrets, JWK thumbprints. Streaming content digests
// belong to reference/oci/digest.h instead.
#include <cstddef>
#include <string>
#include <string_view>

namespace outpost::auth {

inline constexpr size_t kSha256Bytes = 32;

// The kSha256Bytes raw digest of `bytes`. Thread-safe. Throws std::runtime_error if OpenSSL fails.
std::string sha256(std::string_view bytes);

}  // namespace outpost::auth
