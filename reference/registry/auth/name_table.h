#pragma once
// A flat hash table keyed by a name (a token's), for TokenFactsMemo: asked on every authenticated request, while the
// node that asks is cold (a node in a wide fleet hears from each client every few minutes). A std::unordered_map of
// strings walked the bucket array, the node before the bucket's first (where its bucket points), the node and the
// key's own heap buffer: a wait for memory at each. Here a lookup lands on one slot that holds the full hash, the name
// (in place when it is short, as every valid token name is) and the value side by side, and tells slots apart by the
// hash before it compares any name.
//
// Open addressing with linear probing, at most half full. Entries are never erased one by one (the memo only gains
// names within a snapshot, then starts again): clear() empties it and keeps its room. Not thread-safe.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include "reference/common/word_hash.h"

namespace outpost::registry {

template <class Value>
class NameTable {
 public:
  // The value kept for `name`, or null. Stays valid until the next insert() or clear().
  Value* find(std::string_view name) {
    if (slots_.empty()) return nullptr;
    const uint64_t hash = hash_of(name);
    for (size_t i = hash & mask();; i = (i + 1) & mask()) {
      Slot& slot = slots_[i];
      if (!slot.used) return nullptr;
      if (slot.hash == hash && slot.name() == name) return &slot.value;
    }
  }

  // Keeps `value` for `name`, which must not be in the table yet. Returns where it is kept (valid as find()'s answer).
  Value& insert(std::string_view name, Value value) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    const uint64_t hash = hash_of(name);
    size_t i = hash & mask();
    while (slots_[i].used) i = (i + 1) & mask();
    Slot& slot = slots_[i];
    slot.used = true;
    slot.hash = hash;
    slot.set_name(name);
    slot.value = std::move(value);
    ++size_;
    return slot.value;
  }

  void clear() {
    if (size_ == 0) return;
    for (Slot& slot : slots_) slot = Slot{};
    size_ = 0;
  }

  size_t size() const { return size_; }

 private:
  // Names up to this long sit in the slot's first cache line beside their hash; token names are at most 51 bytes
  // (a sync token's "<40-character registry>-sync-token"). Longer ones are kept apart, and still work.
  static constexpr size_t kInlineName = 51;

  struct alignas(64) Slot {
    uint64_t hash = 0;
    uint32_t name_size = 0;
    bool used = false;
    char inline_name[kInlineName] = {};
    std::unique_ptr<char[]> long_name;  // set only for a name longer than kInlineName
    Value value{};

    const char* name_data() const { return long_name ? long_name.get() : inline_name; }
    std::string_view name() const { return {name_data(), name_size}; }
    void set_name(std::string_view name) {
      name_size = static_cast<uint32_t>(name.size());
      char* target = inline_name;
      if (name.size() > kInlineName) {
        long_name = std::make_unique<char[]>(name.size());
        target = long_name.get();
      }
      if (!name.empty()) std::memcpy(target, name.data(), name.size());
    }
  };

  static uint64_t hash_of(std::string_view name) { return word_hash(name); }
  size_t mask() const { return slots_.size() - 1; }

  void grow() {
    std::vector<Slot> old = std::exchange(slots_, std::vector<Slot>(slots_.empty() ? 4 : slots_.size() * 2));
    for (Slot& slot : old) {
      if (!slot.used) continue;
      size_t i = slot.hash & mask();
      while (slots_[i].used) i = (i + 1) & mask();
      slots_[i] = std::move(slot);
    }
  }

  std::vector<Slot> slots_;  // a power of two of them, or none
  size_t size_ = 0;
};

}  // namespace outpost::registry
