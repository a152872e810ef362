#include "reference/storage/memory_blob_store.h"

#include <algorithm>
#include <cstring>

namespace outpost::storage {

namespace {
class MemoryBlobReader final : public BlobReader {
 public:
  explicit MemoryBlobReader(std::shared_ptr<const std::string> bytes) : bytes_(std::move(bytes)) {}
  uint64_t size() const override { return bytes_->size(); }
  size_t read_at(uint64_t offset, std::span<char> out) override {
    if (offset >= bytes_->size()) return 0;
    const size_t n = std::min<uint64_t>(out.size(), bytes_->size() - offset);
    std::memcpy(out.data(), bytes_->data() + offset, n);
    return n;
  }

 private:
  std::shared_ptr<const std::string> bytes_;
};
}  // namespace

std::optional<uint64_t> MemoryBlobStore::size_of(const Digest& digest) {
  std::lock_guard lock(mutex_);
  auto it = blobs_.find(digest);
  if (it == blobs_.end()) return std::nullopt;
  return it->second->size();
}

std::unique_ptr<BlobReader> MemoryBlobStore::open(const Digest& digest) {
  std::lock_guard lock(mutex_);
  auto it = blobs_.find(digest);
  if (it == blobs_.end()) return nullptr;
  return std::make_unique<MemoryBlobReader>(it->second);
}

BlobInfo MemoryBlobStore::put(std::string_view bytes) {
  BlobInfo info{oci::digest_of(bytes), bytes.size()};
  insert(info.digest, std::string(bytes));
  return info;
}

void MemoryBlobStore::insert(const Digest& digest, std::string bytes) {
  std::lock_guard lock(mutex_);
  auto& held = blobs_[digest];
  // Verified bytes replace whatever is held, as DiskBlobStore::adopt does: the same bytes, or bytes a test damaged,
  // which a client's push of the right ones thus repairs. (Compared first: the same bytes need no new copy.)
  if (!held || *held != bytes) held = std::make_shared<const std::string>(std::move(bytes));
}

bool MemoryBlobStore::remove(const Digest& digest) {
  std::lock_guard lock(mutex_);
  return blobs_.erase(digest) > 0;
}

std::vector<BlobInfo> MemoryBlobStore::list() {
  std::lock_guard lock(mutex_);
  std::vector<BlobInfo> blobs;
  blobs.reserve(blobs_.size());
  for (const auto& [digest, bytes] : blobs_) blobs.push_back({digest, bytes->size()});
  return blobs;
}

}  // namespace outpost::storage
