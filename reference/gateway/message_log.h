#pragma once
// The parent side of SPEC 5.5: the messages a node keeps for its children (content changes in the repositories they
// sync), read by cursor, each kept at most the reading child's message TTL. One log per node serves every child: a
// child's queue is the log filtered by its repositories, so a change is stored once however many children wait.
//
// A cursor is "<epoch>.<sequence>". The epoch is drawn when the node starts, so after a restart (the log is kept in
// memory) every older cursor is answered "expired" and the child performs a full resync (SPEC 5.5), never a silent gap.
//
// Long polling: a reader with nothing to read leaves a waiter, woken by the next append or by wake_all() (a
// configuration change), or when its deadline passes (the caller's timer). A woken reader checks whether the news is
// for it and may wait again; close() (the node is stopping) tells every reader to answer now.
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "reference/common/clock.h"
#include "reference/oci/content_change.h"

namespace outpost::gateway {

struct Message {
  uint64_t sequence = 0;
  WallTime time{};
  oci::ContentChange change;
};

struct ReadResult {
  bool expired = false;  // the cursor is from another epoch, or messages after it were dropped (TTL or capacity)
  std::vector<Message> messages;  // those matching the filter, oldest first
  std::string cursor;             // where the next read starts
};

class MessageLog {
 public:
  MessageLog(std::string epoch, size_t capacity = 200000);

  void append(const oci::ContentChange& change, WallTime now);
  // Messages after `cursor` (empty: "from now": no messages, the current cursor) accepted by `wanted`, at most
  // `limit` of them. Expired when a message after the cursor is older than `ttl` at `now`, or has been dropped.
  ReadResult read(const std::string& cursor, const std::function<bool(const oci::ContentChange&)>& wanted,
                  size_t limit, Nanoseconds ttl, WallTime now) const;

  // Waiters: `wake` runs once (on the appending thread), at the next append or wake_all(). Cancel with the id.
  // Once the log is closed it leaves no waiter and returns nothing: the caller answers now. (A reader that checked
  // closed() and then waited could otherwise wait after close() had woken the others, until its deadline, holding the
  // node's drain: closed() and the waiters are now decided under one lock.)
  std::optional<uint64_t> wait(std::function<void()> wake);
  void cancel_wait(uint64_t id);
  void wake_all();
  // The node is stopping: wakes every waiter, and closed() says so from now on, so that readers answer at once
  // instead of holding the drain (and wait() leaves no new waiter).
  void close();
  bool closed() const { return closed_.load(std::memory_order_acquire); }

  // Forget messages older than `max_ttl` (no child can still read them).
  void prune(WallTime now, Nanoseconds max_ttl);

  const std::string& epoch() const { return epoch_; }
  std::string current_cursor() const;

 private:
  std::string cursor_for(uint64_t sequence) const;
  // Empties the waiter table (mutex_ held) and returns the wake-ups, in the order they waited.
  std::vector<std::function<void()>> take_waiters();

  // Waiters sit in a table of slots rather than a map: a node holds one long poll per child and almost every one is
  // cancelled when it is answered, so wait and cancel_wait run for every poll, and a tree node per wait (allocated,
  // rebalanced, cold by the time its poll ends) was most of their cost. An id is the slot and how many times it was
  // taken, so an old id (its waiter woken, the slot reused) cancels nothing.
  struct Waiter {
    uint64_t order = 0;  // when it waited (0: the slot is free); wake-ups run in this order
    uint32_t uses = 0;   // times the slot was taken, never 0 once taken: the upper half of its ids
    std::function<void()> wake;
  };

  const std::string epoch_;
  const size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<Message> messages_;
  uint64_t last_sequence_ = 0;
  uint64_t dropped_through_ = 0;  // the highest sequence dropped from the front
  uint64_t next_waiter_ = 0;
  std::vector<Waiter> waiters_;
  std::vector<uint32_t> free_slots_;  // indexes of free slots in waiters_
  std::atomic<bool> closed_{false};
};

}  // namespace outpost::gateway
