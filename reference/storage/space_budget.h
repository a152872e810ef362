#pragma once
// Seam: how much a node's storage may still write. A full disk, or a limit an operator sets, must refuse new bytes
// with one clear error while everything already stored stays readable, and must let the node recover once space is
// back. The stores themselves know nothing of space: `with_space_budget` wraps any Storage (memory or disk) so every
// write asks a SpaceBudget first. The simulator flips a node's budget to "full" for its disk-full fault; a live server
// could back a `--max-storage` option with a capacity.
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "reference/storage/storage.h"

namespace outpost::storage {

class SpaceBudget {
 public:
  virtual ~SpaceBudget() = default;
  // Before `bytes` more are written: throws OutOfSpace when they do not fit, otherwise counts them as used. A claim
  // of 0 is a metadata record (its size is the store's business): refused only when no space is left at all.
  virtual void claim(uint64_t bytes) = 0;
  // `bytes` claimed earlier are free again (a blob removed, an upload cancelled, a write that failed).
  virtual void release(uint64_t bytes) = 0;
};

// A budget settable at run time, from any thread: an optional capacity in bytes (none: unlimited) and a switch that
// makes the disk full whatever the count says.
class SpaceLimit final : public SpaceBudget {
 public:
  // `used`: what the storage held when it was opened (stored_bytes() below tells it).
  explicit SpaceLimit(std::optional<uint64_t> capacity = std::nullopt, uint64_t used = 0);

  void claim(uint64_t bytes) override;
  void release(uint64_t bytes) override;

  void set_capacity(std::optional<uint64_t> capacity);
  void set_full(bool full);
  bool full() const;
  uint64_t used() const;

 private:
  mutable std::mutex mutex_;
  std::optional<uint64_t> capacity_;
  uint64_t used_ = 0;
  bool full_ = false;
};

// Wraps `inner` so that every write claims space from `budget` first: upload bytes as they arrive, small blobs put
// whole, new upload sessions and metadata records (claims of 0). Reads and deletions pass through and deletions give
// their bytes back: a full disk can still serve and free space. A refused write changes nothing. Content stored
// twice is counted once (a commit or put of a blob already there gives its bytes back). `budget` must outlive the
// result.
std::unique_ptr<Storage> with_space_budget(std::unique_ptr<Storage> inner, SpaceBudget& budget);

// What a storage holds now: its blobs and the bytes of its open upload sessions (a budget's starting `used`).
uint64_t stored_bytes(Storage& storage);

}  // namespace outpost::storage
