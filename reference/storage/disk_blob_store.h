#pragma once
// Blobs as content-addressed files: <root>/<algorithm>/<first two hex>/<hex>. A blob file appears only whole: it is
// written elsewhere on the same filesystem, fsynced, renamed into place, and the directory fsynced. See disk_storage.cpp
// for the whole data directory.
#include <filesystem>
#include <mutex>
#include <set>
#include <string>

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
  // Makes the blob's fan-out directory, and its entry in its parent durable, once per directory and process: a thread
  // that found the directory made by another (EEXIST) renamed its blob in, synced the fan-out directory and
  // acknowledged while the maker had not yet synced the parent, and a power loss then lost an acknowledged blob.
  void make_fan_out_durable(const std::filesystem::path& directory);

  std::filesystem::path root_;
  std::filesystem::path temporary_;
  std::mutex mutex_;
  std::set<std::string> durable_fan_outs_;  // fan-out directories whose entry is known synced in this process
  // Blobs renamed into place whose directory is not synced yet: a put() of the same bytes that finds one must not
  // acknowledge before that sync (it wrote nothing, and skipped the sync that would have covered it).
  std::multiset<std::string> being_adopted_;
};

}  // namespace outpost::storage
