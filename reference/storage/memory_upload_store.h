#pragma once
// Upload sessions in memory for the simulator. Same rules as the disk store: ids from the Random seam, start times from
// the Clock seam, bytes hashed as they arrive, a digest mismatch leaves the session as it was.
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "reference/storage/memory_blob_store.h"
#include "reference/storage/storage.h"

namespace outpost::storage {

class MemoryUploadStore final : public UploadStore {
 public:
  // `blobs`, `clock` and `random` must outlive the store.
  MemoryUploadStore(MemoryBlobStore& blobs, const Clock& clock, Random& random)
      : blobs_(blobs), clock_(clock), random_(random) {}

  UploadState create(std::string_view repository) override;
  std::optional<UploadState> get(std::string_view id) override;
  std::unique_ptr<UploadWriter> open_writer(std::string_view id) override;
  BlobInfo commit(std::string_view id, const Digest& expected) override;
  bool cancel(std::string_view id) override;
  bool cancel_idle(std::string_view id, WallTime before) override;
  std::vector<UploadState> list() override;

  // Called by writers: appends to the session, throws UnknownUpload when it ended meanwhile. Returns the new size.
  uint64_t append(std::string_view id, std::string_view bytes);
  // Called by writers taking back what they wrote: the session cut to `size` bytes.
  void truncate(std::string_view id, uint64_t size);
  // Called by a writer as it goes (see writers_open).
  void writer_closed(std::string_view id);

 private:
  struct Session {
    std::string repository;
    WallTime started;
    WallTime written;
    std::string bytes;
    // The running sha256 of all of `bytes`; dropped once consumed by a failed commit, after which commit hashes again.
    std::optional<oci::Hasher> hasher{std::in_place, oci::DigestAlgorithm::Sha256};
    // Writers opened and not yet gone: a session a request is writing to is not idle, whatever its last write says
    // (a PATCH resuming a session idle for a day has written nothing yet when gc looks).
    unsigned writers_open = 0;
  };
  Session& find(std::string_view id);  // mutex held; throws UnknownUpload

  MemoryBlobStore& blobs_;
  const Clock& clock_;
  Random& random_;
  std::mutex mutex_;
  std::map<std::string, Session, std::less<>> sessions_;
};

}  // namespace outpost::storage
