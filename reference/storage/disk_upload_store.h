#pragma once
// Upload sessions on disk: a row in the `uploads` table of metadata.db (id, repository, started, written) and a data file
// <data>/uploads/<id> that writers append to. Both survive a restart; the running sha256 of each session lives only in
// memory, so a session resumed after a restart is hashed from its file once, at commit.
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>

#include "reference/storage/disk_blob_store.h"
#include "reference/storage/sqlite.h"
#include "reference/storage/storage.h"

namespace outpost::storage {

class DiskUploadStore final : public UploadStore {
 public:
  // `directory` is <data>/uploads. Creates the table and the directory, and reconciles the two after a crash.
  // `blobs`, `clock` and `random` must outlive the store.
  DiskUploadStore(std::filesystem::path directory, DiskBlobStore& blobs,
                  std::shared_ptr<sqlite::SharedConnection> database, const Clock& clock, Random& random);

  UploadState create(std::string_view repository) override;
  std::optional<UploadState> get(std::string_view id) override;
  std::unique_ptr<UploadWriter> open_writer(std::string_view id) override;
  BlobInfo commit(std::string_view id, const Digest& expected) override;
  bool cancel(std::string_view id) override;
  bool cancel_idle(std::string_view id, WallTime before) override;
  std::vector<UploadState> list() override;

  // The running sha256 of a session's first `hashed` bytes. Writers take it while they append and give it back when
  // they finish; it is valid only while `hashed` equals the size of the data file.
  struct HashState {
    oci::Hasher hasher{oci::DigestAlgorithm::Sha256};
    uint64_t hashed = 0;
  };
  std::optional<HashState> take_hash_state(std::string_view id, uint64_t size);
  void return_hash_state(std::string_view id, HashState state);
  // Writers: bytes arrived in session `id`. Records the time when the one recorded is kWrittenResolution old or more,
  // so a stream of chunks costs one database commit an hour. Returns the time recorded now or before.
  WallTime note_written(std::string_view id, WallTime recorded);
  // Writers: the writer of session `id` is gone (see writers_open_).
  void writer_closed(std::string_view id);

 private:
  struct Row {
    std::string repository;
    WallTime started;
    WallTime written;
  };
  void add_written_column();
  bool remove_session(std::string_view id, std::optional<WallTime> idle_before);
  // The SQL for a session's last write: its `written` column where the table has one (a data directory opened on a
  // disk too full to add it keeps its start, as before the column).
  std::string_view written_sql() const { return has_written_ ? "COALESCE(written, started)" : "started"; }
  bool has_written_ = true;
  std::optional<Row> find_row(std::string_view id);
  std::filesystem::path data_path(std::string_view id) const;
  void recover();

  std::filesystem::path directory_;
  DiskBlobStore& blobs_;
  std::shared_ptr<sqlite::SharedConnection> database_;
  const Clock& clock_;
  Random& random_;

  // Guards hash_states_, writers_open_ and the use of random_. Lock order: this mutex before the database mutex.
  std::mutex mutex_;
  std::map<std::string, HashState, std::less<>> hash_states_;
  // Writers open per session: a session a request is writing to is not idle, whatever its row's last write says (a
  // PATCH resuming a session idle for a day has written nothing yet when gc looks).
  std::map<std::string, unsigned, std::less<>> writers_open_;
};

}  // namespace outpost::storage
