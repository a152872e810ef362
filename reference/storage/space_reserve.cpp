#include "reference/storage/space_reserve.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "reference/common/log.h"
#include "reference/storage/posix_file.h"

namespace outpost::storage {

SpaceReserve::SpaceReserve(std::filesystem::path file, uint64_t bytes) : file_(std::move(file)), bytes_(bytes) {}

bool SpaceReserve::ensure() {
  std::lock_guard lock(mutex_);
  if (held_) return true;
  if (size_if_exists(file_) == bytes_) return held_ = true;
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
  // Said only when it comes back after deletes were given its room: writes go on from here. Not at every start.
  if (released_) log::warn("space reserve allocated again: writes go on", {{"file", file_.string()}, {"bytes", bytes_}});
  released_ = false;
  return held_ = true;
}

bool SpaceReserve::release(bool say_when_back) {
  std::lock_guard lock(mutex_);
  held_ = false;
  released_ = say_when_back;
  std::error_code error;
  return std::filesystem::remove(file_, error) && !error;
}

bool SpaceReserve::held() const {
  std::lock_guard lock(mutex_);
  return held_;
}

void ReserveGate::claim(uint64_t) {
  if (reserve_.held() || reserve_.ensure()) return;
  throw OutOfSpace("the disk is full: its reserve went to deletes, and writes wait until it can be allocated again "
                   "(delete content, stop the node and run gc, or give the disk more room)");
}

bool release_reserve_if_disk_full(SpaceReserve& reserve, const std::filesystem::path& directory) {
  struct statvfs stats {};
  if (::statvfs(directory.c_str(), &stats) != 0) return false;
  const uint64_t free_bytes = static_cast<uint64_t>(stats.f_bavail) * stats.f_frsize;
  if (free_bytes >= SpaceReserve::kReserveBytes / 2) return false;
  if (!reserve.release()) return false;
  log::warn("starting on a full disk: released the space reserve so the start can write; writes wait until it can "
              "be allocated again",
            {{"freeBytes", free_bytes}});
  return true;
}

bool release_reserve_for_deletes(Storage& storage) {
  if (!storage.reserve || !storage.reserve->release()) return false;
  log::warn("disk full: released the space reserve so deletes can go on; delete content, then stop the node and "
            "run gc (the reserve is allocated again at the next start that has the room)",
            {{"bytes", SpaceReserve::kReserveBytes}});
  return true;
}

}  // namespace outpost::storage
