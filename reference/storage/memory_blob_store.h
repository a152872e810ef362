#pragma once
// Blobs in memory for the simulator: a sorted map from digest to immutable bytes, behind a mutex.
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "reference/storage/storage.h"

namespace outpost::storage {

class MemoryBlobStore final : public BlobStore {
 public:
  std::optional<uint64_t> size_of(const Digest& digest) override;
  std::unique_ptr<BlobReader> open(const Digest& digest) override;
  BlobInfo put(std::string_view bytes) override;
  bool remove(const Digest& digest) override;
  std::vector<BlobInfo> list() override;

  // Stores bytes already verified against `digest` (an upload commit, possibly sha512), in place of any held. Idempotent.
  void insert(const Digest& digest, std::string bytes);

 private:
  std::mutex mutex_;
  // Shared with open readers, so a blob removed while being read stays readable to them, as an unlinked file would.
  std::map<Digest, std::shared_ptr<const std::string>> blobs_;
};

}  // namespace outpost::storage
