#pragma once
// Room kept back on a node's disk for the writes that free space. When the disk fills up, deleting content needs to
// write too (SQLite's write-ahead log grows before a delete commits), so without room a full node could not have
// anything deleted through its API, and `gc` could not remove what was deleted. The disk binding keeps a file of
// kReserveBytes, allocated when the storage opens; a delete that finds no space releases it and tries again, and `gc`
// releases it before it starts. It is allocated again at the next open that has the room.
#include <cstdint>
#include <filesystem>
#include <mutex>

#include "reference/storage/storage.h"

namespace outpost::storage {

class SpaceReserve {
 public:
  static constexpr uint64_t kReserveBytes = 8ull << 20;  // many thousands of SQLite pages: deletes for a while

  explicit SpaceReserve(std::filesystem::path file, uint64_t bytes = kReserveBytes);
  // Allocates the file if it is not there whole. Best effort: on a disk without the room, false and nothing kept.
  bool ensure();
  // Removes the file; true if there was one to remove (the room it held is free now).
  bool release();
  bool held() const;

 private:
  std::filesystem::path file_;
  uint64_t bytes_;
  mutable std::mutex mutex_;
};

// Releases the storage's reserve, logging why; false when there is none (memory storage, or released already).
bool release_reserve_for_deletes(Storage& storage);

// Runs `write`; if it throws OutOfSpace and the storage has a reserve to release, releases it (and says so in the
// log) and runs `write` once more. For writes whose purpose is to free space: deletes, cancelled uploads.
template <typename Write>
decltype(auto) freeing_space(Storage& storage, Write&& write) {
  try {
    return write();
  } catch (const OutOfSpace&) {
    if (!release_reserve_for_deletes(storage)) throw;
  }
  return write();
}

}  // namespace outpost::storage
