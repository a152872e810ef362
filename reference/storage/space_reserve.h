#pragma once
// Room kept back on a node's disk for the writes that free space. When the disk fills up, deleting content needs to
// write too (SQLite's write-ahead log grows before a delete commits), so without room a full node could not have
// anything deleted through its API, and `gc` could not remove what was deleted. The disk binding keeps a file of
// kReserveBytes, allocated when the storage opens; a delete that finds no space releases it and tries again, and `gc`
// releases it before it starts. While it is released, ReserveGate refuses every other write (507), so pushes cannot
// take the room the deletes were given; each refused write first tries to allocate the reserve again, so writes
// resume by themselves once space is back (content deleted and collected, the disk grown).
#include <cstdint>
#include <filesystem>
#include <mutex>

#include "reference/storage/space_budget.h"
#include "reference/storage/storage.h"

namespace outpost::storage {

class SpaceReserve {
 public:
  static constexpr uint64_t kReserveBytes = 8ull << 20;  // many thousands of SQLite pages: deletes for a while

  explicit SpaceReserve(std::filesystem::path file, uint64_t bytes = kReserveBytes);
  // Allocates the file if it is not there whole. Best effort: on a disk without the room, false and nothing kept.
  bool ensure();
  // Removes the file; true if there was one to remove (the room it held is free now). With `say_when_back`, the
  // ensure() that allocates it again logs a warning that writes go on (a node that ran out of room); gc, which
  // lends the room to its own deletes and always takes it back, passes false.
  bool release(bool say_when_back = true);
  bool held() const;

 private:
  std::filesystem::path file_;
  uint64_t bytes_;
  mutable std::mutex mutex_;
  bool held_ = false;      // as the last ensure() or release() left it: no stat per write
  bool released_ = false;  // released by this process (saying so when back) and not allocated since
};

// The space budget of a node that keeps a reserve (serve wraps its storage in it with with_space_budget): a write
// goes ahead while the reserve is held, or once it can be allocated again; otherwise it is refused OutOfSpace.
class ReserveGate final : public SpaceBudget {
 public:
  explicit ReserveGate(SpaceReserve& reserve) : reserve_(reserve) {}
  void claim(uint64_t bytes) override;
  void release(uint64_t) override {}

 private:
  SpaceReserve& reserve_;
};

// Before a start writes its databases: on a disk with less free room than the reserve, the reserve is released so the
// start can write (a node must be up to have content deleted). Its gate then holds writes back until there is room.
// True if it released it.
bool release_reserve_if_disk_full(SpaceReserve& reserve, const std::filesystem::path& directory);

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
