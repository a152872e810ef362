#pragma once
// Invariant (vi): every stored blob matches its digest (SPEC 5.8: verified before it becomes visible, and it must stay
// so). Checked by reading each blob a node's BlobStore lists, through the storage seam, and hashing it; and for bytes
// a client received (a blob GET through the OCI API).
#include <cstddef>
#include <string_view>

#include "reference/storage/storage.h"
#include "simulator/check/violation.h"

namespace outpost::check {

class BlobIntegrityInvariant {
 public:
  explicit BlobIntegrityInvariant(ViolationLog& log) : log_(log) {}

  // Hashes every blob `blobs` lists. Returns how many did not match (each one a violation).
  size_t check_store(WallTime now, std::string_view node, storage::BlobStore& blobs);
  // Bytes served for `digest`. True when they hash to it.
  bool check_bytes(WallTime now, std::string_view node, std::string_view digest, std::string_view bytes);

  size_t checked() const { return checked_; }

 private:
  ViolationLog& log_;
  size_t checked_ = 0;
};

}  // namespace outpost::check
