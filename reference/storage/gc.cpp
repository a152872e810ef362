#include "reference/storage/gc.h"

#include <algorithm>
#include <mutex>
#include <set>

namespace outpost::storage {

// Mark: every digest a manifest is or references, in any repository, plus every digest linked within the grace period
// (a push in progress: layers first, the manifest naming them last). Sweep: every other stored blob. The exclusive
// commit_lock keeps upload commits and manifest puts out for the whole pass, so nothing becomes referenced between
// the mark and the removal. Links go before the file: a crash in between leaves an unlinked blob, which the next pass
// removes. Only on a disk too full for the database does the file go first; a link it leaves behind (the database
// still could not record the removal) is one to a missing blob, which reads as unknown, and the next pass forgets it.
GcReport collect_garbage(Storage& storage, const Clock& clock, const GcOptions& options) {
  std::unique_lock lock(storage.commit_lock);
  std::set<Digest> marked;
  for (auto& digest : storage.metadata->referenced_digests()) marked.insert(std::move(digest));
  for (auto& digest : storage.metadata->linked_since(clock.now() - options.grace)) marked.insert(std::move(digest));
  for (const auto& digest : options.keep) marked.insert(digest);

  GcReport report;
  // Links to a blob whose file is gone and that no manifest names (left by a pass that ran out of room): forgotten,
  // so the repository no longer claims a blob it cannot serve.
  if (!options.dry_run)
    for (const Digest& digest : storage.metadata->linked_since(WallTime{}))
      if (!marked.contains(digest) && !storage.blobs->size_of(digest)) storage.metadata->forget_blob(digest);
  for (const BlobInfo& blob : storage.blobs->list()) {  // sorted by digest, so `removed` is too
    if (marked.contains(blob.digest)) {
      ++report.blobs_kept;
      continue;
    }
    if (!options.dry_run) {
      try {
        storage.metadata->forget_blob(blob.digest);
        storage.blobs->remove(blob.digest);
      } catch (const OutOfSpace&) {
        // A disk too full for the database to record the removal: the file goes first to make the room. A crash
        // right here would leave links to a blob that is gone, which read as an unknown blob, never as bad bytes.
        storage.blobs->remove(blob.digest);
        storage.metadata->forget_blob(blob.digest);
      }
    }
    report.removed.push_back(blob);
    report.bytes_freed += blob.size;
  }
  const WallTime idle_before = clock.now() - options.upload_grace;
  for (const UploadState& upload : storage.uploads->list()) {
    if (upload.written >= idle_before) continue;
    // A client that resumed the session since the listing keeps it.
    if (!options.dry_run && !storage.uploads->cancel_idle(upload.id, idle_before)) continue;
    report.uploads_removed.push_back(upload);
    report.upload_bytes_freed += upload.size;
  }
  return report;
}

}  // namespace outpost::storage
