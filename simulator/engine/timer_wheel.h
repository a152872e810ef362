#pragma once
// The event loop's waiting room for far timers: a ring of buckets, each one span of virtual time (~1.07 s), covering
// the next ~18 minutes. Most far timers are timeouts (a long poll's deadline, a wait's time limit) that are cancelled
// long before they are due; in a bucket, arming one is an append and its cancelled entry is dropped when the bucket
// comes up, so it never costs a heap push and a heap pop, and the heap stays small (only what is due soon).
//
// The loop keeps exact (time, sequence) order with one rule: every entry here is due at or after horizon(), and the
// bucket starting at the horizon is moved into the heap (entries unchanged) before the heap's earliest entry may be
// due at or after it. Entries within one bucket need no order: the heap sorts them.
//
// Entries beyond the ring's reach (a node's day-long wake-up, re-armed every sync round) wait in an overflow heap of
// their own and join their bucket when the ring comes to reach it. Left in the loop's heap, the wide fleet's hundreds
// of them made up most of it, and every event paid for the extra levels they gave it.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "simulator/engine/timer_heap.h"

namespace outpost::sim {

class TimerWheel {
 public:
  static constexpr int kBucketShift = 30;  // 2^30 ns, ~1.07 s per bucket
  static constexpr int64_t kBucketSpan = int64_t(1) << kBucketShift;
  static constexpr size_t kBuckets = 1024;  // power of two: a bucket's index is the low bits of its number

  TimerWheel() : buckets_(kBuckets) {}

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  // Every entry here is due at or after this time (a bucket boundary).
  int64_t horizon() const { return horizon_; }

  // Whether an entry due at `time` may wait here: not before the horizon. Times in the far future ("never") stay
  // out, so no bucket arithmetic comes near overflowing.
  bool accepts(int64_t time) const { return time >= horizon_ && time < kLatest; }
  // Requires accepts(entry.time).
  void add(const TimerEntry& entry) {
    ++size_;
    if (entry.time >= reach()) {
      beyond_.push(entry);
      return;
    }
    buckets_[index_of(entry.time)].push_back(entry);
    ++in_ring_;
  }

  // Hands every entry of the bucket at the horizon to `take` (in no particular order) and moves the horizon past it.
  // With the ring empty, the horizon first skips ahead to the earliest overflow entry's lap: every entry is at or
  // after it, so no bucket in between holds anything.
  template <class Take>
  void advance(Take take) {
    if (in_ring_ == 0 && !beyond_.empty()) {
      const int64_t lap_start = ((beyond_.top().time >> kBucketShift) - int64_t(kBuckets - 1)) << kBucketShift;
      if (lap_start > horizon_) horizon_ = lap_start;
      take_within_reach();
    }
    std::vector<TimerEntry>& bucket = buckets_[index_of(horizon_)];
    size_ -= bucket.size();
    in_ring_ -= bucket.size();
    horizon_ += kBucketSpan;
    for (const TimerEntry& entry : bucket) take(entry);
    // A usual bucket keeps its room for the next lap. A crowded one (nodes started together arm their timeouts in the
    // same second) gives it back: the crowd drifts from bucket to bucket over a long run, and every bucket keeping the
    // largest crowd it ever held grew the wide fleet's day by 150 MB.
    if (bucket.capacity() > kKeptCapacity) {
      std::vector<TimerEntry>().swap(bucket);
    } else {
      bucket.clear();
    }
    take_within_reach();  // the ring now reaches one bucket further (into the one just emptied)
  }

  // Drops every entry `doomed` accepts (cancelled timers), in the ring and beyond it: O(n), for sweeping in bulk.
  template <class Predicate>
  void remove_if(Predicate doomed) {
    for (auto& bucket : buckets_) {
      const size_t before = bucket.size();
      std::erase_if(bucket, doomed);
      in_ring_ -= before - bucket.size();
      size_ -= before - bucket.size();
    }
    const size_t before = beyond_.size();
    beyond_.remove_if(doomed);
    size_ -= before - beyond_.size();
  }

  // Only when empty: starts the ring again at the bucket after `now` (the horizon may have run far ahead while
  // buckets were emptied into the heap).
  void restart_after(int64_t now) {
    if (size_ == 0 && now < kLatest) horizon_ = ((now >> kBucketShift) + 1) << kBucketShift;
  }

  template <class Visitor>
  void for_each(Visitor visit) const {
    for (const auto& bucket : buckets_)
      for (const TimerEntry& entry : bucket) visit(entry);
    beyond_.for_each(visit);
  }

 private:
  static constexpr int64_t kLatest = INT64_MAX / 2;  // ~146 years of virtual time
  static constexpr size_t kKeptCapacity = 64;         // entries; at most 1.5 MB kept over the whole ring

  static size_t index_of(int64_t time) { return static_cast<size_t>(time >> kBucketShift) & (kBuckets - 1); }
  // The first time past the ring's last bucket (the horizon is always at a bucket's start).
  int64_t reach() const { return horizon_ + int64_t(kBuckets) * kBucketSpan; }
  // Overflow entries the ring now reaches go to their buckets.
  void take_within_reach() {
    while (!beyond_.empty() && beyond_.top().time < reach()) {
      buckets_[index_of(beyond_.top().time)].push_back(beyond_.top());
      ++in_ring_;
      beyond_.pop();
    }
  }

  std::vector<std::vector<TimerEntry>> buckets_;
  TimerHeap beyond_;  // entries at or past reach(), earliest first
  int64_t horizon_ = 0;
  size_t size_ = 0;     // in the ring and beyond it
  size_t in_ring_ = 0;  // in the buckets
};

}  // namespace outpost::sim
