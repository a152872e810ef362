#include "reference/storage/memory_upload_store.h"

namespace outpost::storage {

namespace {

// Writes land in the session at once (like write(2) on disk), so close() has nothing left to publish.
class MemoryUploadWriter final : public UploadWriter {
 public:
  MemoryUploadWriter(MemoryUploadStore& store, std::string id, uint64_t size)
      : store_(store), id_(std::move(id)), size_(size), opened_at_(size) {}
  ~MemoryUploadWriter() override { store_.writer_closed(id_); }
  void write(std::string_view bytes) override { size_ = store_.append(id_, bytes); }
  uint64_t size() const override { return size_; }
  void close() override {}
  void discard_since_open() override {
    store_.truncate(id_, opened_at_);
    size_ = opened_at_;
  }

 private:
  MemoryUploadStore& store_;
  std::string id_;
  uint64_t size_;
  const uint64_t opened_at_;
};
}  // namespace

MemoryUploadStore::Session& MemoryUploadStore::find(std::string_view id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) throw UnknownUpload("unknown upload " + std::string(id));
  return it->second;
}

UploadState MemoryUploadStore::create(std::string_view repository) {
  std::lock_guard lock(mutex_);
  const WallTime now = clock_.now();
  UploadState state{random_.hex(kUploadIdBytes), std::string(repository), 0, now, now};
  sessions_.insert_or_assign(state.id, Session{state.repository, now, now, {}});
  return state;
}

std::optional<UploadState> MemoryUploadStore::get(std::string_view id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  const Session& session = it->second;
  return UploadState{it->first, session.repository, session.bytes.size(), session.started, session.written};
}

std::unique_ptr<UploadWriter> MemoryUploadStore::open_writer(std::string_view id) {
  std::lock_guard lock(mutex_);
  Session& session = find(id);
  auto writer = std::make_unique<MemoryUploadWriter>(*this, std::string(id), session.bytes.size());
  ++session.writers_open;
  return writer;
}

uint64_t MemoryUploadStore::append(std::string_view id, std::string_view bytes) {
  std::lock_guard lock(mutex_);
  Session& session = find(id);
  session.bytes.append(bytes);
  // To the hour, as the disk store records it (storage.h).
  if (const WallTime now = clock_.now(); !bytes.empty() && now - session.written >= kWrittenResolution)
    session.written = now;
  if (session.hasher) session.hasher->update(bytes);
  return session.bytes.size();
}

void MemoryUploadStore::truncate(std::string_view id, uint64_t size) {
  std::lock_guard lock(mutex_);
  Session& session = find(id);
  if (size >= session.bytes.size()) return;
  session.bytes.resize(size);
  session.hasher.reset();  // it had hashed the bytes cut: commit hashes what is left
}

void MemoryUploadStore::writer_closed(std::string_view id) {
  std::lock_guard lock(mutex_);
  // A session committed or cancelled while its writer was open is gone, with its count.
  if (auto it = sessions_.find(id); it != sessions_.end() && it->second.writers_open > 0) --it->second.writers_open;
}

BlobInfo MemoryUploadStore::commit(std::string_view id, const Digest& expected) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) throw UnknownUpload("unknown upload " + std::string(id));
  Session& session = it->second;
  Digest actual;
  if (expected.algorithm() == oci::DigestAlgorithm::Sha256 && session.hasher) {
    actual = session.hasher->finish();
    session.hasher.reset();
  } else {
    actual = oci::digest_of(session.bytes, expected.algorithm());
  }
  if (actual != expected) throw DigestMismatch(expected, std::move(actual));
  const BlobInfo info{expected, session.bytes.size()};
  blobs_.insert(expected, std::move(session.bytes));
  sessions_.erase(it);
  return info;
}

bool MemoryUploadStore::cancel(std::string_view id) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  sessions_.erase(it);
  return true;
}

bool MemoryUploadStore::cancel_idle(std::string_view id, WallTime before) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(id);
  if (it == sessions_.end() || it->second.written >= before || it->second.writers_open > 0) return false;
  sessions_.erase(it);
  return true;
}

std::vector<UploadState> MemoryUploadStore::list() {
  std::lock_guard lock(mutex_);
  std::vector<UploadState> states;
  for (const auto& [id, session] : sessions_)
    states.push_back({id, session.repository, session.bytes.size(), session.started, session.written});
  return states;
}

}  // namespace outpost::storage
