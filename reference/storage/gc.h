#pragma once
// Mark and sweep: removes blobs no manifest references, keeping blobs linked within the grace period (a client may be
// between pushing its layers and pushing the manifest that names them).
#include <cstdint>
#include <vector>

#include "reference/storage/storage.h"

namespace outpost::storage {

struct GcOptions {
  Nanoseconds grace = std::chrono::hours(1);
  bool dry_run = false;
  // Digests kept whatever references them: a connected registry's push-up journal (SPEC 5.10).
  std::vector<Digest> keep;
};

struct GcReport {
  std::vector<BlobInfo> removed;  // sorted by digest
  uint64_t bytes_freed = 0;
  size_t blobs_kept = 0;
};

GcReport collect_garbage(Storage& storage, const Clock& clock, const GcOptions& options);

}  // namespace outpost::storage
