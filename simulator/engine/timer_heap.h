#pragma once
// The event loop's timer queue: a 4-ary min-heap of small plain entries ordered by (time, sequence). The callbacks
// live elsewhere (in the loop's slot table), so sifting moves 24-byte values, and a 4-ary heap is half as deep as a
// binary one with its four children on one or two cache lines.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace outpost::sim {

struct TimerEntry {
  int64_t time;       // virtual nanoseconds
  uint64_t sequence;  // scheduling order: breaks ties between equal times
  uint32_t slot;      // where the callback is
};

// Bitwise, not short-circuit, operators: the compiler emits flag arithmetic instead of branches, which random event
// times would mispredict half the time.
inline bool earlier(const TimerEntry& a, const TimerEntry& b) {
  return (a.time < b.time) | ((a.time == b.time) & (a.sequence < b.sequence));
}

class TimerHeap {
 public:
  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  const TimerEntry& top() const { return entries_.front(); }

  void push(const TimerEntry& entry) {
    entries_.push_back(entry);
    sift_up(entries_.size() - 1, entry);
  }

  void pop() {
    const TimerEntry last = entries_.back();
    entries_.pop_back();
    if (!entries_.empty()) sift_down(0, last);
  }

  // Drops every entry `doomed` accepts and restores the heap: O(n), for sweeping out cancelled timers in bulk.
  template <class Predicate>
  void remove_if(Predicate doomed) {
    size_t kept = 0;
    for (const TimerEntry& entry : entries_)
      if (!doomed(entry)) entries_[kept++] = entry;
    entries_.resize(kept);
    for (size_t i = entries_.size() / kArity + 1; i-- > 0;)
      if (i < entries_.size()) sift_down(i, entries_[i]);
  }

  template <class Visitor>
  void for_each(Visitor visit) const {
    for (const TimerEntry& entry : entries_) visit(entry);
  }

 private:
  static constexpr size_t kArity = 4;

  static constexpr size_t kNone = SIZE_MAX;

  // The earliest child of `parent`, or kNone for a leaf.
  [[gnu::always_inline]] size_t earliest_child(size_t parent) const {
    const TimerEntry* e = entries_.data();
    const size_t count = entries_.size();
    const size_t first = parent * kArity + 1;
    if (first + kArity <= count) {
      // All four children: a tournament of selects (conditional moves), no data-dependent branch.
      const size_t left = first + earlier(e[first + 1], e[first]);
      const size_t right = first + 2 + earlier(e[first + 3], e[first + 2]);
      return left + (right - left) * earlier(e[right], e[left]);
    }
    if (first >= count) return kNone;
    size_t best = first;
    for (size_t child = first + 1; child < count; ++child) best = earlier(e[child], e[best]) ? child : best;
    return best;
  }

  // Places `entry` at `hole` or above, moving later parents down.
  void sift_up(size_t hole, const TimerEntry entry) {
    while (hole > 0) {
      const size_t parent = (hole - 1) / kArity;
      if (!earlier(entry, entries_[parent])) break;
      entries_[hole] = entries_[parent];
      hole = parent;
    }
    entries_[hole] = entry;
  }

  // Places `entry` at `hole` or below, moving earlier children up.
  void sift_down(size_t hole, const TimerEntry entry) {
    for (;;) {
      const size_t best = earliest_child(hole);
      if (best == kNone || !earlier(entries_[best], entry)) break;
      entries_[hole] = entries_[best];
      hole = best;
    }
    entries_[hole] = entry;
  }

  std::vector<TimerEntry> entries_;
};

}  // namespace outpost::sim
