#include "reference/storage/space_reserve.h"

#include <fcntl.h>
#include <unistd.h>

#include "reference/common/log.h"
#include "reference/storage/posix_file.h"

namespace outpost::storage {

SpaceReserve::SpaceReserve(std::filesystem::path file, uint64_t bytes) : file_(std::move(file)), bytes_(bytes) {}

bool SpaceReserve::ensure() {
  std::lock_guard lock(mutex_);
  if (size_if_exists(file_) == bytes_) return true;
  const int fd = ::open(file_.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  // posix_fallocate reserves real blocks (a sparse file would reserve nothing); it fails with ENOSPC on a full disk.
  const int failed = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes_));
  const bool synced = !failed && ::fsync(fd) == 0;
  ::close(fd);
  if (failed || !synced) {
    std::error_code ignored;
    std::filesystem::remove(file_, ignored);
    return false;
  }
  return true;
}

bool SpaceReserve::release() {
  std::lock_guard lock(mutex_);
  std::error_code error;
  return std::filesystem::remove(file_, error) && !error;
}

bool SpaceReserve::held() const {
  std::lock_guard lock(mutex_);
  return size_if_exists(file_).has_value();
}

bool release_reserve_for_deletes(Storage& storage) {
  if (!storage.reserve || !storage.reserve->release()) return false;
  log::warn("disk full: released the space reserve so deletes can go on; delete content, then stop the node and "
            "run gc (the reserve is allocated again at the next start that has the room)",
            {{"bytes", SpaceReserve::kReserveBytes}});
  return true;
}

}  // namespace outpost::storage
