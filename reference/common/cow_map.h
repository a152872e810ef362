#pragma once
// A sorted map whose copies share their contents: the control plane's snapshots (reference/control/control_plane.h).
//
// Every change to the control plane copies the current snapshot, edits the copy and publishes it, so that readers
// never wait and never see half a change. With std::map members that copy cost O(n) per change, and a cloud of
// thousands of connected registries spent its time copying tokens it did not touch. A CowMap holds its entries in
// chunks of at most kChunk entries (each a small std::map, in key order) behind shared pointers, and the list of chunks
// is itself shared: copying the map copies one pointer, the first change to a copy copies the list (n / kChunk
// pointers), and a change copies only the chunk it touches (when a copy still shares it). A snapshot copies a dozen
// maps and a change touches two or three, so the others cost nothing. diff() walks two versions of one map and skips
// every chunk they share (and the whole map when they share the list), so finding what a change touched costs what
// the change did, not the size of the map.
//
// Thread safety: as a std::map (concurrent reads, one writer, no reader of the object being written), plus: copies
// may be read and written by different threads. The list and a chunk are edited in place only while this map is their
// only owner; any other copy that shares them forces a private copy first, so a published snapshot's never change.
//
// Iteration is in key order. References and iterators are invalidated by any change to the map (unlike std::map).
#include <algorithm>
#include <cstddef>
#include <functional>
#include <iterator>
#include <map>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

namespace outpost {

template <class Key, class Value, class Compare = std::less<>>
class CowMap {
  using Chunk = std::map<Key, Value, Compare>;
  using ChunkPtr = std::shared_ptr<Chunk>;

 public:
  using key_type = Key;
  using mapped_type = Value;
  using value_type = typename Chunk::value_type;  // std::pair<const Key, Value>
  using size_type = std::size_t;
  // Entries per chunk at most: a change copies one chunk, a copy of the map copies size() / kChunk pointers.
  static constexpr size_type kChunk = 32;

  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = typename Chunk::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = const value_type&;

    const_iterator() = default;
    reference operator*() const { return *inner_; }
    pointer operator->() const { return &*inner_; }
    const_iterator& operator++() {
      if (++inner_ == (*chunks_)[chunk_]->cend()) {
        ++chunk_;
        inner_ = chunk_ < chunks_->size() ? (*chunks_)[chunk_]->cbegin() : typename Chunk::const_iterator();
      }
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator before = *this;
      ++*this;
      return before;
    }
    friend bool operator==(const const_iterator& a, const const_iterator& b) {
      return a.chunk_ == b.chunk_ && a.inner_ == b.inner_;
    }

   private:
    friend class CowMap;
    const_iterator(const std::vector<ChunkPtr>* chunks, size_type chunk, typename Chunk::const_iterator inner)
        : chunks_(chunks), chunk_(chunk), inner_(inner) {}
    const std::vector<ChunkPtr>* chunks_ = nullptr;
    size_type chunk_ = 0;
    typename Chunk::const_iterator inner_{};
  };
  using iterator = const_iterator;  // entries change through insert_or_assign, operator[] and erase only

  CowMap() = default;
  CowMap(std::initializer_list<value_type> entries) {
    for (const auto& [key, value] : entries) insert_or_assign(key, value);
  }

  // --- reading, as std::map ---
  size_type size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const_iterator begin() const {
    const std::vector<ChunkPtr>& list = chunks();
    return list.empty() ? end() : const_iterator(&list, 0, list[0]->cbegin());
  }
  const_iterator end() const { return const_iterator(&chunks(), chunks().size(), {}); }
  const_iterator cbegin() const { return begin(); }
  const_iterator cend() const { return end(); }

  template <class K>
  const_iterator find(const K& key) const {
    const std::vector<ChunkPtr>& list = chunks();
    const size_type at = chunk_for(key);
    if (at == list.size()) return end();
    const auto found = list[at]->find(key);
    return found == list[at]->cend() ? end() : const_iterator(&list, at, found);
  }
  template <class K>
  bool contains(const K& key) const {
    const size_type at = chunk_for(key);
    return at < chunks().size() && chunks()[at]->contains(key);
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
    const std::vector<ChunkPtr>& list = chunks();
    const size_type at = chunk_for(key);
    if (at == list.size()) return end();
    return const_iterator(&list, at, list[at]->lower_bound(key));  // not the chunk's end: its last key >= key
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
    ChunkPtr& shared = own()[at];
    if (shared.use_count() > 1 && shared->contains(key)) {
      // Replacing an entry of a chunk other copies share: the private copy takes the new value in the old one's place
      // instead of copying the old value only to overwrite it (a parent's sync scope map, which lists every
      // descendant's actions, was copied once more per descendant created).
      auto copy = std::make_shared<Chunk>();
      const Compare less{};
      bool placed = false;  // `key` may be moved from once placed: no comparison after
      for (const auto& entry : *shared) {
        if (placed || less(entry.first, key) || less(key, entry.first)) {
          copy->emplace_hint(copy->end(), entry);
        } else {
          copy->emplace_hint(copy->end(), std::forward<K>(key), std::forward<V>(value));
          placed = true;
        }
      }
      shared = std::move(copy);
      return false;
    }
    Chunk& chunk = writable(at);
    const bool inserted = chunk.insert_or_assign(std::forward<K>(key), std::forward<V>(value)).second;
    if (inserted) {
      ++size_;
      split_if_full(at);
    }
    return inserted;
  }
  // As std::map::emplace: does nothing when the key is there. True when it inserted.
  template <class K, class... Args>
  bool emplace(K&& key, Args&&... args) {
    if (contains(key)) return false;
    return insert_or_assign(std::forward<K>(key), Value(std::forward<Args>(args)...));
  }
  // The value of `key`, to change in place (its chunk becomes this map's own); std::out_of_range when absent.
  template <class K>
  Value& at(const K& key) {
    const size_type chunk = chunk_for(key);
    if (chunk == chunks().size() || !chunks()[chunk]->contains(key)) throw std::out_of_range("CowMap::at: no such key");
    return writable(chunk).find(key)->second;
  }
  // The value of `key`, inserted default-constructed when absent; valid until the next change to the map.
  template <class K>
  Value& operator[](const K& key) {
    size_type at = chunk_for(key);
    if (at == chunks().size() || !chunks()[at]->contains(key)) {
      insert_or_assign(Key(key), Value());
      at = chunk_for(key);
    }
    return writable(at).find(key)->second;
  }
  // Removes `key` if present; 1 if it was.
  template <class K>
  size_type erase(const K& key) {
    const size_type at = chunk_for(key);
    if (at == chunks().size() || !chunks()[at]->contains(key)) return 0;
    Chunk& chunk = writable(at);
    chunk.erase(chunk.find(key));
    --size_;
    if (chunk.empty()) own().erase(own().begin() + static_cast<std::ptrdiff_t>(at));
    return 1;
  }
  void erase(const_iterator position) { erase(position->first); }
  void clear() {
    chunks_.reset();
    size_ = 0;
  }

  // Calls `visit(key, before or null, after or null)`, in key order, for every key whose entry may differ between two
  // versions of one map (a copy and the copy it was made from, edited since): keys in one only, and keys in both
  // unless the chunk holding them is shared. Entries reported in both may still be equal; entries not reported are.
  template <class Visit>
  static void diff(const CowMap& before_map, const CowMap& after_map, Visit&& visit) {
    if (before_map.chunks_ == after_map.chunks_) return;  // one list (or both empty): nothing changed
    const std::vector<ChunkPtr>& before_chunks = before_map.chunks();
    const std::vector<ChunkPtr>& after_chunks = after_map.chunks();
    const auto first_of = [](const std::vector<ChunkPtr>& chunks, size_type k) {
      return k < chunks.size() ? chunks[k]->cbegin() : typename Chunk::const_iterator();
    };
    const Compare less{};
    size_type i = 0, j = 0;  // the chunks of before and after that a and b are in
    auto a = first_of(before_chunks, 0), b = first_of(after_chunks, 0);
    const auto step_a = [&] {
      if (++a == before_chunks[i]->cend()) a = first_of(before_chunks, ++i);
    };
    const auto step_b = [&] {
      if (++b == after_chunks[j]->cend()) b = first_of(after_chunks, ++j);
    };
    for (;;) {
      const bool a_done = i == before_chunks.size(), b_done = j == after_chunks.size();
      if (a_done && b_done) return;
      if (!a_done && !b_done && before_chunks[i] == after_chunks[j] && a == before_chunks[i]->cbegin() &&
          b == after_chunks[j]->cbegin()) {
        // Both at the start of one shared chunk: nothing in it changed. (Chunks the change did not touch are shared,
        // and both walks reach their starts together, since each side visits the smaller key first.)
        a = first_of(before_chunks, ++i);
        b = first_of(after_chunks, ++j);
        continue;
      }
      if (b_done || (!a_done && less(a->first, b->first))) {
        visit(a->first, &a->second, static_cast<const Value*>(nullptr));
        step_a();
      } else if (a_done || less(b->first, a->first)) {
        visit(b->first, static_cast<const Value*>(nullptr), &b->second);
        step_b();
      } else {
        visit(a->first, &a->second, &b->second);
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
                                            [&](const ChunkPtr& chunk) { return less(chunk->rbegin()->first, key); });
    return static_cast<size_type>(found - list.begin());
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
    } else if (chunks_.use_count() > 1) {
      chunks_ = std::make_shared<std::vector<ChunkPtr>>(*chunks_);
    }
    return *chunks_;
  }

  // Chunk `at`, this map's own: copied first if another map shares it.
  Chunk& writable(size_type at) {
    ChunkPtr& chunk = own()[at];
    if (chunk.use_count() > 1) chunk = std::make_shared<Chunk>(*chunk);
    return *chunk;
  }

  void split_if_full(size_type at) {
    Chunk& full = *own()[at];  // writable already
    if (full.size() <= kChunk) return;
    auto upper = std::make_shared<Chunk>();
    auto middle = full.begin();
    std::advance(middle, static_cast<std::ptrdiff_t>(full.size() / 2));
    while (middle != full.end()) upper->insert(full.extract(middle++));
    own().insert(own().begin() + static_cast<std::ptrdiff_t>(at) + 1, std::move(upper));
  }

  // Each chunk non-empty; in key order, disjoint. Null for an empty map that never had a chunk.
  std::shared_ptr<std::vector<ChunkPtr>> chunks_;
  size_type size_ = 0;
};

}  // namespace outpost
