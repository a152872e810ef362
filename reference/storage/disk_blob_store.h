#pragma once
// Blobs as content-addressed files: <root>/<algorithm>/<first two hex>/<hex>. A blob file appears only whole: it is
// written elsewhere on the same filesystem, fsynced, renamed into place, and the directory fsynced. See disk_storage.cpp
// for the whole data directory.
#include <filesystem>

#include "reference/storage/storage.h"

namespace outpost::storage {

class DiskBlobStore final : public BlobStore {
 public:
  // `root` is <data>/blobs; `temporary` (<data>/tmp) holds put()'s files until they are whole and must be on the same
  // filesystem. Creates the directories it needs and empties `temporary` (writes a crash interrupted).
  DiskBlobStore(std::filesystem::path root, std::filesystem::path temporary);

  std::optional<uint64_t> size_of(const Digest& digest) override;
  std::unique_ptr<BlobReader> open(const Digest& digest) override;
  BlobInfo put(std::string_view bytes) override;
  bool remove(const Digest& digest) override;
  std::vector<BlobInfo> list() override;
  bool empty() const;  // no blob at all (stops at the first one found)

  std::filesystem::path path_of(const Digest& digest) const;
  // Moves `file` (complete and fsynced, on this filesystem) into place as the blob `digest`, then fsyncs the blob's
  // directory. The file replaces a blob of that digest already there: its bytes were checked against the digest and
  // the stored ones may have been damaged on disk since. The caller fsyncs the directory `file` came from if the
  // removal of that name must be durable.
  void adopt(const std::filesystem::path& file, const Digest& digest);

 private:
  std::filesystem::path root_;
  std::filesystem::path temporary_;
};

}  // namespace outpost::storage
