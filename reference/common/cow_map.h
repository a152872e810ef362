#pragma once
// A sorted map whose copies share their contents: the control plane's snapshots (reference/control/control_plane.h).
//
// Every change to the control plane copies the current snapshot, edits the copy and publishes it, so that readers
// never wait and never see half a change. With std::map members that copy cost O(n) per change, and a cloud of
// thousands of connected registries spent its time copying tokens it did not touch. A CowMap holds its entries in
// chunks of at most kChunk entries (each a sorted vector of pointers to entries) behind shared pointers, and the list
// of chunks is itself shared: copying the map copies one pointer, the first change to a copy copies the list (n /
// kChunk pointers), and a change copies only the chunk it touches (when a copy still shares it), which copies the
// pointers to its entries and not the entries: an entry is copied only to be changed in place while another copy
// holds it (at(), operator[]); insert_or_assign makes a new one. A snapshot copies a dozen maps and a change touches
// two or three, so the others cost nothing. diff() walks two versions of one map and skips every chunk and every entry
// they share (and the whole map when they share the list), so finding what a change touched costs what the change
// did, not the size of the map.
//
// Thread safety: as a std::map (concurrent reads, one writer, no reader of the object being written), plus: copies
// may be read and written by different threads. The list, a chunk and an entry are edited in place only while this map
// is their only owner; any other copy that shares them forces a private copy first, so a published snapshot's never
// change.
//
// Iteration is in key order. References and iterators are invalidated by any change to the map (unlike std::map).
#include <algorithm>
#include <atomic>
#include <cstddef>
#include <functional>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

namespace outpost {

template <class Key, class Value, class Compare = std::less<>>
class CowMap {
 public:
  using key_type = Key;
  using mapped_type = Value;
  using value_type = std::pair<const Key, Value>;
  using size_type = std::size_t;

 private:
  // An entry lives behind its own shared pointer, so that copying a chunk copies pointers, not records (a snapshot's
  // records are connected registries, tokens and scope maps with lists of strings: copying 32 of them at each change,
  // and freeing as many when the old snapshot went, was most of what a management call cost).
  using Entry = std::shared_ptr<value_type>;
  using Chunk = std::vector<Entry>;  // in key order
  using ChunkPtr = std::shared_ptr<Chunk>;

 public:
  // Entries per chunk at most: a change copies the chunks it touches (up to kChunk pointers each), and its first change
  // to a copy copies the list (size() / kChunk pointers, at least). Once chunks held pointers rather than records, 64
  // did a wide cloud's changes (a dozen maps of thousands of records, a dozen chunks touched) cheaper than 32.
  static constexpr size_type kChunk = 64;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = CowMap::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    const_iterator() = default;
    reference operator*() const { return *(*(*chunks_)[chunk_])[entry_]; }
    pointer operator->() const { return (*(*chunks_)[chunk_])[entry_].get(); }
    const_iterator& operator++() {
      if (++entry_ == (*chunks_)[chunk_]->size()) {
        ++chunk_;
        entry_ = 0;
      }
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.chunk_ == b.chunk_ && a.entry_ == b.entry_;
    }

   private:
    friend class CowMap;
    const_iterator(const std::vector<ChunkPtr>* chunks, size_type chunk, size_type entry)
        : chunks_(chunks), chunk_(chunk), entry_(entry) {}
    const std::vector<ChunkPtr>* chunks_ = nullptr;
    size_type chunk_ = 0;
    size_type entry_ = 0;  // 0 at the end
  };
  using iterator = const_iterator;  // entries change through insert_or_assign, operator[] and erase only

  CowMap() = default;
  CowMap(std::initializer_list<value_type> entries) {
    for (const auto& [key, value] : entries) insert_or_assign(key, value);
  }

  // --- reading, as std::map ---
  size_type size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const_iterator begin() const { return const_iterator(&chunks(), 0, 0); }  // end() when there is no chunk
  const_iterator end() const { return const_iterator(&chunks(), chunks().size(), 0); }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }

  template <class K>
  const_iterator find(const K& key) const {
    const size_type at = chunk_for(key);
    if (at == chunks().size()) return end();
    const size_type entry = entry_for(*chunks()[at], key);
    return holds(*chunks()[at], entry, key) ? const_iterator(&chunks(), at, entry) : end();
  }
  template <class K>
  bool contains(const K& key) const {
    const size_type at = chunk_for(key);
    return at < chunks().size() && holds(*chunks()[at], entry_for(*chunks()[at], key), key);
  }
  template <class K>
  size_type count(const K& key) const {
    return contains(key) ? 1 : 0;
  }
  template <class K>
  const Value& at(const K& key) const {
    const auto found = find(key);
    if (found == end()) throw std::out_of_range("CowMap::at: no such key");
    return found->second;
  }
  // The first entry whose key is not less than `key`.
  template <class K>
  const_iterator lower_bound(const K& key) const {
    const size_type at = chunk_for(key);
    if (at == chunks().size()) return end();
    return const_iterator(&chunks(), at, entry_for(*chunks()[at], key));  // not past the chunk: its last key >= key
  }

  friend bool operator==(const CowMap& a, const CowMap& b) {
    return a.size_ == b.size_ && std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

  // --- writing ---
  // True when the key is new.
  template <class K, class V>
  bool insert_or_assign(K&& key, V&& value) {
    // A key past the last one goes to the last chunk. (The first chunk is made empty here: the only moment a chunk is
    // empty, so chunk_for, which reads last keys, is not asked then.)
    if (chunks().empty()) own().push_back(std::make_shared<Chunk>());
    const size_type at = chunks().size() == 1 ? 0 : std::min(chunk_for(key), chunks().size() - 1);
    Chunk& chunk = writable(at);
    const size_type entry = entry_for(chunk, key);
    if (holds(chunk, entry, key)) {
      // An entry other copies share is replaced, not assigned: they keep the old one.
      if (sole_owner(chunk[entry]))
        chunk[entry]->second = std::forward<V>(value);
      else
        chunk[entry] = make_entry(std::forward<K>(key), std::forward<V>(value));
      return false;
    }
    chunk.insert(chunk.begin() + static_cast<std::ptrdiff_t>(entry),
                 make_entry(std::forward<K>(key), std::forward<V>(value)));
    ++size_;
    split_if_full(at);
    return true;
  }
  // As std::map::emplace: does nothing when the key is there. True when it inserted.
  template <class K, class... Args>
  bool emplace(K&& key, Args&&... args) {
    if (contains(key)) return false;
    return insert_or_assign(std::forward<K>(key), Value(std::forward<Args>(args)...));
  }
  // The value of `key`, to change in place (its chunk and entry become this map's own); std::out_of_range when absent.
  template <class K>
  Value& at(const K& key) {
    const size_type chunk = chunk_for(key);
    if (chunk == chunks().size() || !holds(*chunks()[chunk], entry_for(*chunks()[chunk], key), key))
      throw std::out_of_range("CowMap::at: no such key");
    return writable_value(chunk, key);
  }
  // The value of `key`, inserted default-constructed when absent; valid until the next change to the map.
  template <class K>
  Value& operator[](const K& key) {
    if (!contains(key)) insert_or_assign(Key(key), Value());
    return writable_value(chunk_for(key), key);
  }
  // Removes `key` if present; 1 if it was.
  template <class K>
  size_type erase(const K& key) {
    const size_type at = chunk_for(key);
    if (at == chunks().size() || !holds(*chunks()[at], entry_for(*chunks()[at], key), key)) return 0;
    Chunk& chunk = writable(at);
    chunk.erase(chunk.begin() + static_cast<std::ptrdiff_t>(entry_for(chunk, key)));
    --size_;
    if (chunk.empty()) {
      std::vector<ChunkPtr>& list = own();  // once: a second own() may copy the list the first returned
      list.erase(list.begin() + static_cast<std::ptrdiff_t>(at));
    }
    return 1;
  }
  void erase(const_iterator position) { erase(position->first); }
  void clear() {
    chunks_.reset();
    size_ = 0;
  }

  // Calls `visit(key, before or null, after or null)`, in key order, for every key whose entry may differ between two
  // versions of one map (a copy and the copy it was made from, edited since): keys in one only, and keys in both
  // unless both versions still share the entry (an entry changes only by being replaced, or in place while no other
  // copy holds it). Entries reported in both may still be equal (replaced by an equal value); entries not reported
  // are. Chunks both share are skipped whole, so this costs what the change did, not the size of the map.
  template <class Visit>
  static void diff(const CowMap& before_map, const CowMap& after_map, Visit&& visit) {
    if (before_map.chunks_ == after_map.chunks_) return;  // one list (or both empty): nothing changed
    const std::vector<ChunkPtr>& before_chunks = before_map.chunks();
    const std::vector<ChunkPtr>& after_chunks = after_map.chunks();
    const Compare less{};
    size_type i = 0, j = 0;  // the chunks of before and after that the walks are in
    size_type a = 0, b = 0;  // and the entries within them
    const auto step_a = [&] {
      if (++a == before_chunks[i]->size()) ++i, a = 0;
    };
    const auto step_b = [&] {
      if (++b == after_chunks[j]->size()) ++j, b = 0;
    };
    for (;;) {
      const bool a_done = i == before_chunks.size(), b_done = j == after_chunks.size();
      if (a_done && b_done) return;
      if (!a_done && !b_done && before_chunks[i] == after_chunks[j] && a == 0 && b == 0) {
        // Both at the start of one shared chunk: nothing in it changed. (Chunks the change did not touch are shared,
        // and both walks reach their starts together, since each side visits the smaller key first.)
        ++i, ++j;
        continue;
      }
      const value_type* x = a_done ? nullptr : (*before_chunks[i])[a].get();
      const value_type* y = b_done ? nullptr : (*after_chunks[j])[b].get();
      if (x == y) {  // one entry, shared: unchanged
        step_a();
        step_b();
      } else if (!y || (x && less(x->first, y->first))) {
        visit(x->first, &x->second, static_cast<const Value*>(nullptr));
        step_a();
      } else if (!x || less(y->first, x->first)) {
        visit(y->first, static_cast<const Value*>(nullptr), &y->second);
        step_b();
      } else {
        visit(x->first, &x->second, &y->second);
        step_a();
        step_b();
      }
    }
  }

 private:
  // The chunk that holds `key` if anything does: the first whose last key is not less than it (size() if none).
  template <class K>
  size_type chunk_for(const K& key) const {
    const Compare less{};
    const std::vector<ChunkPtr>& list = chunks();
    const auto found = std::partition_point(list.begin(), list.end(),
                                            [&](const ChunkPtr& chunk) { return less(chunk->back()->first, key); });
    return static_cast<size_type>(found - list.begin());
  }
  // The first entry of `chunk` whose key is not less than `key` (chunk.size() if none).
  template <class K>
  static size_type entry_for(const Chunk& chunk, const K& key) {
    const Compare less{};
    const auto found =
        std::partition_point(chunk.begin(), chunk.end(), [&](const Entry& entry) { return less(entry->first, key); });
    return static_cast<size_type>(found - chunk.begin());
  }
  // Whether entry `at` (from entry_for) has `key`.
  template <class K>
  static bool holds(const Chunk& chunk, size_type at, const K& key) {
    return at < chunk.size() && !Compare{}(key, chunk[at]->first);
  }

  template <class K, class V>
  static Entry make_entry(K&& key, V&& value) {
    return std::make_shared<value_type>(std::piecewise_construct, std::forward_as_tuple(std::forward<K>(key)),
                                        std::forward_as_tuple(std::forward<V>(value)));
  }

  // Whether no other chunk (of any copy) holds this entry or chunk list, so that it may change in place. Only a
  // holder can copy a pointer, and this map's own chunk is the only holder then, so the count cannot grow meanwhile.
  // The fence pairs with the release of another copy's last reference (shared_ptr drops it with release order), so
  // that thread's reads of the object happen before this map's writes.
  // (ThreadSanitizer does not model the fence. It need not: the control plane edits a draft copied from a snapshot
  // that stays published, so an entry another thread read is never down to one holder in the draft.)
  template <class T>
  static bool sole_owner(const std::shared_ptr<T>& pointer) {
    if (pointer.use_count() != 1) return false;
    std::atomic_thread_fence(std::memory_order_acquire);
    return true;
  }

  const std::vector<ChunkPtr>& chunks() const {
    static const std::vector<ChunkPtr> kNone;
    return chunks_ ? *chunks_ : kNone;
  }
  // The list of chunks, this map's own: copied first if another map shares it (which makes every chunk shared too, so
  // writable() then copies the one it edits).
  std::vector<ChunkPtr>& own() {
    if (!chunks_) {
      chunks_ = std::make_shared<std::vector<ChunkPtr>>();
    } else if (!sole_owner(chunks_)) {
      chunks_ = std::make_shared<std::vector<ChunkPtr>>(*chunks_);
    }
    return *chunks_;
  }

  // Chunk `at`, this map's own: copied first if another map shares it. The copy shares the entries (and has room for
  // the one an insertion may add).
  Chunk& writable(size_type at) {
    ChunkPtr& chunk = own()[at];
    if (!sole_owner(chunk)) {
      auto copy = std::make_shared<Chunk>();
      copy->reserve(chunk->size() + 1);
      copy->assign(chunk->begin(), chunk->end());
      chunk = std::move(copy);
    }
    return *chunk;
  }
  // The value of `key` (present, in chunk `at`), this map's own: its chunk and entry copied first if shared.
  template <class K>
  Value& writable_value(size_type at, const K& key) {
    Chunk& chunk = writable(at);
    Entry& entry = chunk[entry_for(chunk, key)];
    if (!sole_owner(entry)) entry = std::make_shared<value_type>(*entry);
    return entry->second;
  }

  void split_if_full(size_type at) {
    Chunk& full = *own()[at];  // writable already
    if (full.size() <= kChunk) return;
    const auto middle = full.begin() + static_cast<std::ptrdiff_t>(full.size() / 2);
    auto upper = std::make_shared<Chunk>(std::make_move_iterator(middle), std::make_move_iterator(full.end()));
    full.erase(middle, full.end());
    std::vector<ChunkPtr>& list = own();  // once, as in erase()
    list.insert(list.begin() + static_cast<std::ptrdiff_t>(at) + 1, std::move(upper));
  }

  // Each chunk non-empty; in key order, disjoint. Null for an empty map that never had a chunk.
  std::shared_ptr<std::vector<ChunkPtr>> chunks_;
  size_type size_ = 0;
};

}  // namespace outpost
