#include "reference/storage/disk_upload_store.h"

#include <fcntl.h>

#include <algorithm>
#include <set>
#include <system_error>
#include <vector>

#include "reference/storage/posix_file.h"

namespace outpost::storage {

namespace {

constexpr size_t kRehashChunk = 1 << 20;     // reads of the data file when a session must be hashed again
// Every this many bytes appended, the writer asks the kernel to start writing them to the device (write-behind).
// Without it nothing is written back before commit's fsync (the kernel starts background write-back only past 10% of
// RAM dirty), so a 256 MiB layer was received first and flushed afterwards, the two never overlapping: a 1 GiB sync
// took receive time plus disk time. With it, commit's fsync waits for the last few MiB only.
constexpr uint64_t kWriteBehind = 8 << 20;

int64_t to_nanoseconds(WallTime time) { return time.time_since_epoch().count(); }
WallTime from_nanoseconds(int64_t value) { return WallTime(Nanoseconds(value)); }

// Ids come from clients (the upload URL). Only ids we could have made may name a file under uploads/.
bool plausible_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

oci::Digest hash_file(const File& file, uint64_t size, oci::DigestAlgorithm algorithm) {
  oci::Hasher hasher(algorithm);
  std::string buffer(kRehashChunk, '\0');
  for (uint64_t offset = 0; offset < size;) {
    const size_t n = file.read_at(offset, std::span(buffer).first(std::min<uint64_t>(buffer.size(), size - offset)));
    if (n == 0) break;  // shorter than it was a moment ago: hash what is there, the digest check decides
    hasher.update(std::string_view(buffer.data(), n));
    offset += n;
  }
  return hasher.finish();
}

// Appends with plain write(2): no fsync per chunk. Durability comes at commit, which fsyncs the whole file once; a
// crash before that loses at most the tail a client will resend (the session's size tells it where to resume).
// Write-back is started every kWriteBehind bytes, so that fsync has little left to do.
class DiskUploadWriter final : public UploadWriter {
 public:
  DiskUploadWriter(DiskUploadStore& store, std::string id, File file, uint64_t size,
                   std::optional<DiskUploadStore::HashState> state, WallTime written)
      : store_(store),
        id_(std::move(id)),
        file_(std::move(file)),
        size_(size),
        opened_at_(size),
        writeback_from_(size),
        state_(std::move(state)),
        written_(written) {}

  ~DiskUploadWriter() override {
    try {
      finish();
    } catch (...) {
      // Losing the hash state only means commit reads the file again.
    }
    store_.writer_closed(id_);
  }

  void write(std::string_view bytes) override {
    if (closed_) throw std::logic_error("write to a closed upload writer");
    try {
      file_.write_all(bytes);
    } catch (...) {
      state_.reset();  // part of the chunk may be in the file: the running hash no longer matches it
      try {
        size_ = file_.size();
      } catch (...) {
      }
      throw;
    }
    if (state_) {
      state_->hasher.update(bytes);
      state_->hashed += bytes.size();
    }
    size_ += bytes.size();
    if (!bytes.empty()) written_ = store_.note_written(id_, written_);
    if (size_ - writeback_from_ >= kWriteBehind) {
      file_.start_writeback(writeback_from_, size_ - writeback_from_);
      writeback_from_ = size_;
    }
  }

  uint64_t size() const override { return size_; }

  // The bytes are in the file already (get() reports its size); closing hands the running hash back to the store.
  void close() override { finish(); }

  void discard_since_open() override {
    if (closed_) throw std::logic_error("discard on a closed upload writer");
    state_.reset();  // it hashed bytes that go: commit hashes the file again
    file_.truncate(opened_at_);
    size_ = opened_at_;
    writeback_from_ = std::min(writeback_from_, opened_at_);
  }

 private:
  void finish() {
    if (closed_) return;
    closed_ = true;
    file_.close();
    if (state_) store_.return_hash_state(id_, std::move(*state_));
  }

  DiskUploadStore& store_;
  std::string id_;
  File file_;
  uint64_t size_;
  const uint64_t opened_at_;  // the session's size when this writer opened
  uint64_t writeback_from_;  // bytes before this offset have had their write-back started
  std::optional<DiskUploadStore::HashState> state_;
  WallTime written_;  // the session's last write as its row records it
  bool closed_ = false;
};

}  // namespace

DiskUploadStore::DiskUploadStore(std::filesystem::path directory, DiskBlobStore& blobs,
                                 std::shared_ptr<sqlite::SharedConnection> database, const Clock& clock,
                                 Random& random)
    : directory_(std::move(directory)), blobs_(blobs), database_(std::move(database)), clock_(clock), random_(random) {
  if (make_directory(directory_)) sync_directory(directory_.parent_path());
  {
    std::lock_guard lock(database_->mutex);
    database_->connection.exec(
        "CREATE TABLE IF NOT EXISTS uploads("
        "  id TEXT PRIMARY KEY,"
        "  repository TEXT NOT NULL,"
        "  started INTEGER NOT NULL,"  // nanoseconds since the Unix epoch, from the node's Clock
        "  written INTEGER"            // the same, UploadState::written; null: as started
        ") WITHOUT ROWID");
    add_written_column();
  }
  recover();
}

// A data directory made before sessions recorded their last write has no such column: it is added, empty (null reads
// as the start, which is what garbage collection went by then). On a disk too full for that, the store goes by the
// start as the older version did, so that the node (or `outpost gc`, making room) still opens; a later open adds it.
void DiskUploadStore::add_written_column() {
  auto column = database_->connection.query("SELECT 1 FROM pragma_table_info('uploads') WHERE name = 'written'");
  if (column.next()) return;
  try {
    database_->connection.exec("ALTER TABLE uploads ADD COLUMN written INTEGER");
  } catch (const OutOfSpace&) {
    has_written_ = false;
  }
}

WallTime DiskUploadStore::note_written(std::string_view id, WallTime recorded) {
  const WallTime now = clock_.now();
  if (!has_written_ || now - recorded < kWrittenResolution) return recorded;
  // Only a hint for garbage collection: a database that cannot take it (a full disk) must not fail the write.
  try {
    std::lock_guard lock(database_->mutex);
    database_->connection.query("UPDATE uploads SET written = ? WHERE id = ?")
        .bind(1, to_nanoseconds(now))
        .bind(2, id)
        .run();
  } catch (const StorageError&) {
    return recorded;
  }
  return now;
}

// A crash can separate a session's row from its file: create() makes the file before the row, commit() moves the file
// into blobs/ before deleting the row, cancel() deletes the row before the file. A row without a file is therefore a
// finished commit, and a file without a row a session that never started or was cancelled: both are dropped.
void DiskUploadStore::recover() {
  std::set<std::string> ids;
  std::vector<std::string> finished;
  {
    std::lock_guard lock(database_->mutex);
    auto rows = database_->connection.query("SELECT id FROM uploads ORDER BY id");
    while (rows.next()) {
      std::string id = rows.text(0);
      if (plausible_id(id) && size_if_exists(data_path(id)))
        ids.insert(std::move(id));
      else
        finished.push_back(std::move(id));
    }
    for (const auto& id : finished) database_->connection.query("DELETE FROM uploads WHERE id = ?").bind(1, id).run();
  }
  // Listed first and removed in name order: a crash in the middle then leaves the same files behind on every run.
  std::vector<std::filesystem::path> orphans;
  std::error_code error;
  for (std::filesystem::directory_iterator it(directory_, error), end; !error && it != end; it.increment(error)) {
    // Only plain files are ours; anything else an operator put here is left alone.
    std::error_code type_error;
    if (it->is_regular_file(type_error) && !ids.contains(it->path().filename().string()))
      orphans.push_back(it->path());
  }
  if (error) throw_io_error("cannot list", directory_, error.value());
  std::sort(orphans.begin(), orphans.end());
  bool removed = false;
  for (const auto& orphan : orphans) removed |= remove_file(orphan);
  if (removed) sync_directory(directory_);
}

std::filesystem::path DiskUploadStore::data_path(std::string_view id) const {
  if (!plausible_id(id)) throw UnknownUpload("unknown upload " + std::string(id));
  return directory_ / id;
}

std::optional<DiskUploadStore::Row> DiskUploadStore::find_row(std::string_view id) {
  if (!plausible_id(id)) return std::nullopt;
  std::lock_guard lock(database_->mutex);
  auto row = database_->connection.query("SELECT repository, started, " + std::string(written_sql()) +
                                         " FROM uploads WHERE id = ?");
  row.bind(1, id);
  if (!row.next()) return std::nullopt;
  return Row{row.text(0), from_nanoseconds(row.integer(1)), from_nanoseconds(row.integer(2))};
}

UploadState DiskUploadStore::create(std::string_view repository) {
  UploadState state;
  {
    std::lock_guard lock(mutex_);
    state.id = random_.hex(kUploadIdBytes);
  }
  state.repository = std::string(repository);
  state.started = state.written = clock_.now();
  File file = File::open(data_path(state.id), O_WRONLY | O_CREAT | O_EXCL);
  file.close();
  sync_directory(directory_);  // the file first: a row never names a file that a crash could lose
  std::lock_guard lock(mutex_);
  {
    std::lock_guard database_lock(database_->mutex);
    // `written` is left null: it reads as the start until bytes arrive.
    database_->connection.query("INSERT INTO uploads(id, repository, started) VALUES(?, ?, ?)")
        .bind(1, state.id)
        .bind(2, state.repository)
        .bind(3, to_nanoseconds(state.started))
        .run();
  }
  hash_states_.insert_or_assign(state.id, HashState{});
  return state;
}

std::optional<UploadState> DiskUploadStore::get(std::string_view id) {
  const auto row = find_row(id);
  if (!row) return std::nullopt;
  const auto size = size_if_exists(data_path(id));
  if (!size) return std::nullopt;  // committed or cancelled a moment ago
  return UploadState{std::string(id), row->repository, *size, row->started, row->written};
}

std::unique_ptr<UploadWriter> DiskUploadStore::open_writer(std::string_view id) {
  // Counted open before the row is looked up, under the mutex cancel_idle holds while it removes the row: gc either
  // sees this writer and keeps the session, or removed the row first and the lookup below fails.
  {
    std::lock_guard lock(mutex_);
    ++writers_open_[std::string(id)];
  }
  try {
    const auto row = find_row(id);
    if (!row) throw UnknownUpload("unknown upload " + std::string(id));
    File file = File::open_if_exists(data_path(id), O_WRONLY | O_APPEND);
    if (!file) throw UnknownUpload("unknown upload " + std::string(id));
    const uint64_t size = file.size();
    auto state = take_hash_state(id, size);
    return std::make_unique<DiskUploadWriter>(*this, std::string(id), std::move(file), size, std::move(state),
                                              row->written);
  } catch (...) {
    writer_closed(id);
    throw;
  }
}

void DiskUploadStore::writer_closed(std::string_view id) {
  std::lock_guard lock(mutex_);
  if (auto it = writers_open_.find(id); it != writers_open_.end() && --it->second == 0) writers_open_.erase(it);
}

std::optional<DiskUploadStore::HashState> DiskUploadStore::take_hash_state(std::string_view id, uint64_t size) {
  std::lock_guard lock(mutex_);
  auto it = hash_states_.find(id);
  if (it == hash_states_.end()) return std::nullopt;  // after a restart, or while another writer holds it
  auto node = hash_states_.extract(it);
  // A different size means bytes reached the file without passing through this state (a crash, a failed write).
  if (node.mapped().hashed != size) return std::nullopt;
  return std::move(node.mapped());
}

void DiskUploadStore::return_hash_state(std::string_view id, HashState state) {
  std::lock_guard lock(mutex_);
  // A session committed or cancelled while the writer was open must not get its state back (it would never leave).
  std::lock_guard database_lock(database_->mutex);
  auto row = database_->connection.query("SELECT 1 FROM uploads WHERE id = ?");
  row.bind(1, id);
  if (row.next()) hash_states_.insert_or_assign(std::string(id), std::move(state));
}

BlobInfo DiskUploadStore::commit(std::string_view id, const Digest& expected) {
  if (!find_row(id)) throw UnknownUpload("unknown upload " + std::string(id));
  const std::filesystem::path path = data_path(id);
  File file = File::open_if_exists(path, O_RDONLY);
  if (!file) throw UnknownUpload("unknown upload " + std::string(id));  // a concurrent commit or cancel won
  const uint64_t size = file.size();

  // The running hash covers sha256 sessions written since this process started. Finishing it consumes it, so after a
  // mismatch the next commit of this session reads the file again; the session's bytes are untouched either way.
  std::optional<HashState> state;
  if (expected.algorithm() == oci::DigestAlgorithm::Sha256) state = take_hash_state(id, size);
  Digest actual = state ? state->hasher.finish() : hash_file(file, size, expected.algorithm());
  if (actual != expected) throw DigestMismatch(expected, std::move(actual));

  file.sync();
  file.close();
  blobs_.adopt(path, expected);
  sync_directory(directory_);
  std::lock_guard lock(mutex_);
  {
    std::lock_guard database_lock(database_->mutex);
    database_->connection.query("DELETE FROM uploads WHERE id = ?").bind(1, id).run();
  }
  if (auto it = hash_states_.find(id); it != hash_states_.end()) hash_states_.erase(it);
  return BlobInfo{expected, size};
}

bool DiskUploadStore::cancel(std::string_view id) { return remove_session(id, std::nullopt); }

bool DiskUploadStore::cancel_idle(std::string_view id, WallTime before) { return remove_session(id, before); }

// The row first, then the file (recover() reads a file without a row as cancelled). With `idle_before`, the row goes
// only if the session's last write is older: decided in the same statement, so a chunk recorded meanwhile keeps it;
// and not while a writer is open on it.
bool DiskUploadStore::remove_session(std::string_view id, std::optional<WallTime> idle_before) {
  if (!plausible_id(id)) return false;
  {
    std::lock_guard lock(mutex_);
    if (idle_before && writers_open_.contains(id)) return false;
    std::lock_guard database_lock(database_->mutex);
    if (idle_before) {
      database_->connection
          .query("DELETE FROM uploads WHERE id = ? AND " + std::string(written_sql()) + " < ?")
          .bind(1, id)
          .bind(2, to_nanoseconds(*idle_before))
          .run();
    } else {
      database_->connection.query("DELETE FROM uploads WHERE id = ?").bind(1, id).run();
    }
    if (database_->connection.changes() == 0) return false;
    if (auto it = hash_states_.find(id); it != hash_states_.end()) hash_states_.erase(it);
  }
  if (remove_file(data_path(id))) sync_directory(directory_);
  return true;
}

std::vector<UploadState> DiskUploadStore::list() {
  std::vector<UploadState> sessions;
  {
    std::lock_guard lock(database_->mutex);
    auto rows = database_->connection.query(
        "SELECT id, repository, started, " + std::string(written_sql()) + " FROM uploads ORDER BY id COLLATE BINARY");
    while (rows.next())
      sessions.push_back(
          {rows.text(0), rows.text(1), 0, from_nanoseconds(rows.integer(2)), from_nanoseconds(rows.integer(3))});
  }
  std::erase_if(sessions, [&](UploadState& session) {
    const auto size = size_if_exists(data_path(session.id));
    if (size) session.size = *size;
    return !size;
  });
  return sessions;
}

}  // namespace outpost::storage
