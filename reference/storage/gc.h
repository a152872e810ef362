#pragma once
// Mark and sweep: removes blobs no manifest references, keeping blobs linked within the grace period (a client may be
// between pushing its layers and pushing the manifest that names them); and upload sessions that have received nothing
// for longer than their own grace (a client that walked away, or a process killed mid-push, left them; nothing else
// ever would).
#include <cstdint>
#include <vector>

#include "reference/storage/storage.h"

namespace outpost::storage {

struct GcOptions {
  Nanoseconds grace = std::chrono::hours(1);
  bool dry_run = false;
  // Digests kept whatever references them: a connected registry's push-up journal (SPEC 5.10).
  std::vector<Digest> keep;
  // Upload sessions last written before now - upload_grace (UploadState::written) are abandoned: Distribution purges
  // them a week after they started; a day without a byte lets a slow client resume across a night, keeps a download
  // that still makes progress however long it takes, and still keeps a crash-looping node's leftovers from piling up.
  Nanoseconds upload_grace = std::chrono::hours(24);
};

struct GcReport {
  std::vector<BlobInfo> removed;  // sorted by digest
  uint64_t bytes_freed = 0;
  size_t blobs_kept = 0;
  std::vector<UploadState> uploads_removed;  // sorted by id
  uint64_t upload_bytes_freed = 0;
};

GcReport collect_garbage(Storage& storage, const Clock& clock, const GcOptions& options);

}  // namespace outpost::storage
