#include "reference/storage/disk_blob_store.h"

#include <fcntl.h>

#include <algorithm>
#include <system_error>

#include "reference/storage/posix_file.h"

namespace outpost::storage {

namespace {

constexpr std::string_view kAlgorithms[] = {"sha256", "sha512"};

// Readers are independent: each has its own descriptor and reads with pread, which keeps no file position. A reader
// opened before remove() keeps reading the unlinked file until it is destroyed.
class DiskBlobReader final : public BlobReader {
 public:
  DiskBlobReader(File file, uint64_t size) : file_(std::move(file)), size_(size) {}
  uint64_t size() const override { return size_; }
  size_t read_at(uint64_t offset, std::span<char> out) override {
    if (offset >= size_) return 0;
    return file_.read_at(offset, out.first(static_cast<size_t>(std::min<uint64_t>(out.size(), size_ - offset))));
  }

 private:
  File file_;
  uint64_t size_;
};

bool is_fan_out_name(std::string_view name) {
  return name.size() == 2 && std::all_of(name.begin(), name.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::vector<std::filesystem::path> sorted_entries(const std::filesystem::path& directory) {
  std::vector<std::filesystem::path> entries;
  std::error_code error;
  std::filesystem::directory_iterator it(directory, error), end;
  if (error) {
    if (error == std::errc::no_such_file_or_directory) return entries;
    throw_io_error("cannot list", directory, error.value());
  }
  for (; it != end; it.increment(error)) {
    if (error) throw_io_error("cannot list", directory, error.value());
    entries.push_back(it->path());
  }
  if (error) throw_io_error("cannot list", directory, error.value());
  std::sort(entries.begin(), entries.end());
  return entries;
}

// Whether the file at `path` holds exactly `bytes`. Used before skipping a write: a file damaged on disk (truncated, a
// byte flipped) is then replaced by the right bytes instead of kept forever under a digest it no longer has.
bool holds_exactly(const std::filesystem::path& path, std::string_view bytes) {
  File file = File::open_if_exists(path, O_RDONLY);
  if (!file || file.size() != bytes.size()) return false;
  std::string piece(std::min<size_t>(bytes.size(), 256 * 1024), '\0');
  for (uint64_t offset = 0; offset < bytes.size();) {
    const size_t got = file.read_at(offset, std::span<char>(piece.data(), std::min<size_t>(piece.size(), bytes.size() - offset)));
    if (got == 0 || bytes.substr(offset, got) != std::string_view(piece.data(), got)) return false;
    offset += got;
  }
  return true;
}

}  // namespace

DiskBlobStore::DiskBlobStore(std::filesystem::path root, std::filesystem::path temporary)
    : root_(std::move(root)), temporary_(std::move(temporary)) {
  if (make_directory(root_)) sync_directory(root_.parent_path());
  if (make_directory(temporary_)) sync_directory(temporary_.parent_path());
  bool created = false;
  for (std::string_view algorithm : kAlgorithms) created |= make_directory(root_ / algorithm);
  if (created) sync_directory(root_);
  // Whatever is in the temporary directory was being written when the process stopped: it never became a blob.
  for (const auto& entry : sorted_entries(temporary_)) remove_file(entry);
}

std::filesystem::path DiskBlobStore::path_of(const Digest& digest) const {
  const std::string_view hex = digest.hex();
  return root_ / digest.algorithm_name() / hex.substr(0, 2) / hex;
}

std::optional<uint64_t> DiskBlobStore::size_of(const Digest& digest) { return size_if_exists(path_of(digest)); }

std::unique_ptr<BlobReader> DiskBlobStore::open(const Digest& digest) {
  File file = File::open_if_exists(path_of(digest), O_RDONLY);
  if (!file) return nullptr;
  const uint64_t size = file.size();
  return std::make_unique<DiskBlobReader>(std::move(file), size);
}

BlobInfo DiskBlobStore::put(std::string_view bytes) {
  const BlobInfo info{oci::digest_of(bytes), bytes.size()};
  const std::filesystem::path target = path_of(info.digest);
  if (holds_exactly(target, bytes)) {  // idempotent: the same digest names the same bytes
    // Found, but perhaps just renamed in by another thread that has not synced its directory yet: synced here before
    // this put is acknowledged (rarely: only while such an adoption is in flight).
    bool in_flight = false;
    {
      std::lock_guard lock(mutex_);
      in_flight = being_adopted_.contains(target.string()) || !durable_fan_outs_.contains(target.parent_path().string());
    }
    if (in_flight) {
      make_fan_out_durable(target.parent_path());
      sync_directory(target.parent_path());
    }
    return info;
  }
  File file = File::create_temporary(temporary_, "put-");
  const std::filesystem::path temporary = file.path();
  try {
    file.write_all(bytes);
    file.sync();
    file.close();
    adopt(temporary, info.digest);
  } catch (...) {
    std::error_code ignored;
    std::filesystem::remove(temporary, ignored);
    throw;
  }
  return info;
}

void DiskBlobStore::adopt(const std::filesystem::path& file, const Digest& digest) {
  const std::filesystem::path target = path_of(digest);
  const std::filesystem::path directory = target.parent_path();
  make_fan_out_durable(directory);
  // The file was checked against `digest`, so it replaces whatever the target holds: the same bytes, or bytes damaged
  // on disk since, which a client's push of the right ones thus repairs. rename(2) replaces atomically: a reader
  // keeps the file it opened, and a concurrent adopt of the same digest leaves one whole file either way.
  const std::string key = target.string();
  {
    std::lock_guard lock(mutex_);
    being_adopted_.insert(key);
  }
  const auto adopted = [&] {
    std::lock_guard lock(mutex_);
    being_adopted_.erase(being_adopted_.find(key));
  };
  bool renamed = false;
  try {
    std::error_code error;
    std::filesystem::rename(file, target, error);
    if (error) throw_io_error("cannot rename " + file.string() + " to", target, error.value());
    renamed = true;
    sync_directory(directory);
  } catch (...) {
    // Renamed but its directory not synced: left marked, so that a later put() of the same bytes syncs it before it
    // is acknowledged.
    if (!renamed) adopted();
    throw;
  }
  adopted();
}

void DiskBlobStore::make_fan_out_durable(const std::filesystem::path& directory) {
  const std::string key = directory.string();
  {
    std::lock_guard lock(mutex_);
    if (durable_fan_outs_.contains(key)) return;
  }
  // Made here or found made (by another thread, or before a restart that may have come before its sync): its entry
  // is synced either way, once per directory and process.
  make_directory(directory);
  sync_directory(directory.parent_path());
  std::lock_guard lock(mutex_);
  durable_fan_outs_.insert(key);
}

bool DiskBlobStore::remove(const Digest& digest) {
  const std::filesystem::path path = path_of(digest);
  if (!remove_file(path)) return false;
  sync_directory(path.parent_path());
  return true;
}

bool DiskBlobStore::empty() const {
  for (std::string_view algorithm : kAlgorithms)
    for (const auto& fan_out : sorted_entries(root_ / algorithm)) {
      std::error_code error;
      if (!is_fan_out_name(fan_out.filename().string()) || !std::filesystem::is_directory(fan_out, error)) continue;
      for (std::filesystem::directory_iterator it(fan_out, error), end; !error && it != end; it.increment(error))
        if (Digest::parse(std::string(algorithm) + ":" + it->path().filename().string())) return false;
    }
  return true;
}

std::vector<BlobInfo> DiskBlobStore::list() {
  std::vector<BlobInfo> blobs;
  for (std::string_view algorithm : kAlgorithms) {
    // Only names that are a digest of this algorithm, in their own fan-out directory, are blobs; anything else
    // (a stray temporary file, an editor's backup, a file dropped beside the fan-out directories) is ignored.
    for (const auto& fan_out : sorted_entries(root_ / algorithm)) {
      const std::string prefix = fan_out.filename().string();
      std::error_code error;
      if (!is_fan_out_name(prefix) || !std::filesystem::is_directory(fan_out, error)) continue;
      for (const auto& file : sorted_entries(fan_out)) {
        const std::string name = file.filename().string();
        const auto digest = Digest::parse(std::string(algorithm) + ":" + name);
        if (!digest || !name.starts_with(prefix)) continue;
        const auto size = size_if_exists(file);
        if (!size) continue;  // removed while we listed
        blobs.push_back({*digest, *size});
      }
    }
  }
  std::sort(blobs.begin(), blobs.end(), [](const BlobInfo& a, const BlobInfo& b) { return a.digest < b.digest; });
  return blobs;
}

}  // namespace outpost::storage
