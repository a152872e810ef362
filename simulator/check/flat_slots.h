#pragma once
// The open addressing both of the watch's lookup tables use (judgement_cache.h, read_only_invariant.h): a power of
// two of slots, each holding its key's hash, probed linearly from a home slot taken from the hash's high bits. What a
// slot holds besides, and how its key is compared, is each table's own.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace outpost::check::flat_slots {

// Where both tables start (and start over): room for a small world's keys without growing.
inline constexpr size_t kFirstSlots = 1 << 10;
inline constexpr uint64_t kMix = 0x9e3779b97f4a7c15;  // 2^64 / golden ratio: spreads a hash over the high bits

inline size_t home(uint64_t hash, size_t slot_count) { return (hash * kMix) >> 40 & (slot_count - 1); }
inline size_t next(size_t at, size_t slot_count) { return (at + 1) & (slot_count - 1); }

// Twice as many slots, every used one (used(slot)) moved to where a probe from its `hash` now finds it.
template <class Slot, class Used>
void grow(std::vector<Slot>& slots, Used used) {
  std::vector<Slot> old(slots.size() * 2);
  old.swap(slots);
  for (const Slot& slot : old) {
    if (!used(slot)) continue;
    size_t at = home(slot.hash, slots.size());
    while (used(slots[at])) at = next(at, slots.size());
    slots[at] = slot;
  }
}

}  // namespace outpost::check::flat_slots
