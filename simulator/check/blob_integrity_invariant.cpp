#include "simulator/check/blob_integrity_invariant.h"

#include <string>

namespace outpost::check {

size_t BlobIntegrityInvariant::check_store(WallTime now, std::string_view node, storage::BlobStore& blobs) {
  size_t bad = 0;
  std::string buffer(64 * 1024, '\0');
  for (const storage::BlobInfo& info : blobs.list()) {
    ++checked_;
    auto reader = blobs.open(info.digest);
    if (!reader) continue;  // removed since it was listed (gc): nothing to check
    oci::Hasher hasher(info.digest.algorithm());
    uint64_t offset = 0;
    for (size_t got; (got = reader->read_at(offset, std::span<char>(buffer.data(), buffer.size()))) > 0;) {
      hasher.update(std::string_view(buffer.data(), got));
      offset += got;
      if (got < buffer.size()) break;
    }
    const oci::Digest actual = hasher.finish();
    if (actual == info.digest && offset == reader->size()) continue;
    ++bad;
    log_.report(
        now, node, invariant::kBlobMatchesDigest,
        "stored blob " + info.digest.str() + " (" + std::to_string(offset) + " bytes) hashes to " + actual.str());
  }
  return bad;
}

bool BlobIntegrityInvariant::check_bytes(WallTime now, std::string_view node, std::string_view digest,
                                         std::string_view bytes) {
  ++checked_;
  const auto expected = oci::Digest::parse(digest);
  const oci::Digest actual = oci::digest_of(bytes, expected ? expected->algorithm() : oci::DigestAlgorithm::Sha256);
  if (expected && actual == *expected) return true;
  log_.report(now, node, invariant::kBlobMatchesDigest,
              "blob served as " + std::string(digest) + " (" + std::to_string(bytes.size()) + " bytes) hashes to " +
                  actual.str());
  return false;
}

}  // namespace outpost::check
