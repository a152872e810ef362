#pragma once
// One process per data directory: a server and an offline `outpost gc` must never share one, since the in-process
// commit lock that keeps gc safe against pushes cannot reach across processes.
#include <filesystem>

namespace outpost::cli {

class DataDirLock {
 public:
  // Creates the directory if needed and takes an exclusive flock on DIR/LOCK; throws std::runtime_error naming the
  // directory when another process holds it.
  explicit DataDirLock(const std::filesystem::path& directory);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace outpost::cli
