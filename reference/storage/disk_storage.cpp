// open_disk_storage: the live binding of the storage seam.
//
// Data directory layout
// ---------------------
//   <data>/
//     metadata.db                  SQLite database (plus metadata.db-wal: WAL mode, held exclusively, no -shm). Tables:
//                                    repositories, blob_links, manifests, manifest_refs, tags (the MetadataStore) and
//                                    uploads (one row per upload session: id, repository, start time).
//     blobs/sha256/<ab>/<abcd...>  one file per blob, named by the hex of its digest, fanned out by the first two hex
//                                    characters so no directory grows past a few thousand entries per million blobs.
//     blobs/sha512/<ab>/<abcd...>  the same for sha512 digests (only uploads committed under a sha512 digest).
//     uploads/<id>                 the bytes received so far by upload session <id>.
//     reserve                      8 MiB allocated and kept back for deletes on a full disk (space_reserve.h).
//     tmp/                         blobs being written by BlobStore::put; emptied when the storage is opened. It is
//                                    outside blobs/ so that every file under blobs/ is a whole blob named by its
//                                    digest, even right after a crash.
//
// Crash safety
// ------------
// A blob file exists only whole and only with the content its name promises: it is written under another name on the
// same filesystem (tmp/ or uploads/), hashed, fsynced, renamed into place, and the target directory is fsynced.
// Metadata changes are SQLite transactions with synchronous=FULL, so a call that returned is durable and a call
// interrupted by a crash left nothing behind. Upload chunks are appended without fsync (a client resumes from the
// session's size), and the session's file is fsynced once, at commit. When the storage is opened, leftovers of
// interrupted operations are cleared: files in tmp/, upload files without a session row and session rows whose
// file was already moved into blobs/ by a commit that did not get to delete the row.
//
// Concurrency
// -----------
// One process owns a data directory. Within it the stores are called from many threads: blob files are read with
// pread on per-reader descriptors; the metadata and upload stores share one SQLite connection whose use is
// serialized by a mutex (SharedConnection).
#include <filesystem>
#include <system_error>

#include "reference/common/log.h"
#include "reference/storage/disk_blob_store.h"
#include "reference/storage/disk_upload_store.h"
#include "reference/storage/sqlite.h"
#include "reference/storage/space_reserve.h"
#include "reference/storage/sqlite_metadata_store.h"
#include "reference/storage/storage.h"

namespace outpost::storage {

std::unique_ptr<Storage> open_disk_storage(const std::filesystem::path& directory, const Clock& clock,
                                           Random& random, bool keep_reserve) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) throw StorageError("cannot create data directory " + directory.string() + ": " + error.message());

  // Blobs without their database: the database was lost (deleted, a restore that missed it). Opened as it is, the
  // node started empty without a word, its upload sessions were dropped, and the next gc removed every blob.
  // A start on a full disk must still write its databases: the reserve gives them its room (and is not taken back
  // until writes find room for it again, ReserveGate).
  std::shared_ptr<SpaceReserve> reserve;
  bool released_at_start = false;
  if (keep_reserve) {
    reserve = std::make_shared<SpaceReserve>(directory / "reserve");
    released_at_start = release_reserve_if_disk_full(*reserve, directory);
  }
  const bool database_missing = !std::filesystem::exists(directory / "metadata.db", error);
  if (error) throw StorageError("cannot look for " + (directory / "metadata.db").string() + ": " + error.message());
  auto storage = std::make_unique<Storage>();
  auto blobs = std::make_unique<DiskBlobStore>(directory / "blobs", directory / "tmp");
  if (database_missing && !blobs->empty())
    throw StorageError("data directory " + directory.string() + " holds blobs but no metadata.db: its database was " +
                       "lost, and started like this it would serve nothing and gc would delete every blob. Restore " +
                       "metadata.db from a backup, or move blobs/ away to start empty");
  // Exclusive: every registry request reads it, and one process owns a data directory (serve, or gc while stopped).
  auto database = std::make_shared<sqlite::SharedConnection>(directory / "metadata.db", sqlite::Access::Exclusive);
  storage->metadata = std::make_unique<SqliteMetadataStore>(database, clock);
  storage->uploads = std::make_unique<DiskUploadStore>(directory / "uploads", *blobs, database, clock, random);
  storage->blobs = std::move(blobs);  // declared before `uploads` in Storage, so destroyed after the store using it
  if (!keep_reserve) return storage;
  storage->reserve = std::move(reserve);
  if (!released_at_start && !storage->reserve->ensure())
    log::warn("no room for the space reserve: on a full disk, deletes may fail until space is freed by hand",
              {{"directory", directory.string()}, {"bytes", SpaceReserve::kReserveBytes}});
  return storage;
}

}  // namespace outpost::storage
