#pragma once
// The simulator's clockwork: a single-threaded discrete-event loop on integer nanoseconds of virtual time. Events run
// in (time, sequence) order, so equal-time events run in the order they were scheduled and a run is reproducible.
// It implements the Executor seam, so registry and sync code scheduled on it never know they are simulated.
#include <cstdint>
#include <deque>
#include <functional>
#include <vector>

#include "reference/common/clock.h"
#include "reference/common/executor.h"

namespace outpost::sim {

class EventLoop final : public Executor {
 public:
  void post(std::function<void()> work) override;
  TimerHandle schedule_after(Nanoseconds delay, std::function<void()> work) override;

  Nanoseconds now() const { return now_; }
  // Runs the earliest event, advancing virtual time to it; false when nothing is scheduled.
  bool run_one();
  // Runs events until none is left at or before `deadline`, then sets the time to `deadline`.
  void run_until(Nanoseconds deadline);
  // Runs until the queue is empty or `max_events` ran; returns the number run.
  uint64_t run(uint64_t max_events = UINT64_MAX);

  uint64_t events_dispatched() const { return dispatched_; }
  size_t pending() const { return queue_.size() + ready_.size(); }

 private:
  struct Event {
    Nanoseconds time;
    uint64_t sequence;
    std::function<void()> work;
    std::shared_ptr<std::atomic<bool>> cancelled;  // null for posts, which cannot be cancelled
  };
  struct Later {
    bool operator()(const Event& a, const Event& b) const {
      return a.time != b.time ? a.time > b.time : a.sequence > b.sequence;
    }
  };
  void push(Nanoseconds at, std::function<void()> work, std::shared_ptr<std::atomic<bool>> cancelled);
  bool next_is_ready() const;

  std::vector<Event> queue_;  // timers: a binary heap ordered by Later
  // Posts: due now, already in sequence order, so a FIFO serves them without heap work. The next event is whichever
  // of ready_.front() and queue_.front() comes first in (time, sequence) order.
  std::deque<Event> ready_;
  Nanoseconds now_{0};
  uint64_t next_sequence_ = 0;
  uint64_t dispatched_ = 0;
};

// A node's view of virtual time: the world's fixed start date plus the loop's time plus this node's skew.
class VirtualClock final : public Clock {
 public:
  VirtualClock(const EventLoop& loop, WallTime start, Nanoseconds skew = Nanoseconds(0))
      : loop_(loop), start_(start), skew_(skew) {}
  WallTime now() const override { return start_ + loop_.now() + skew_; }
  Nanoseconds monotonic() const override { return loop_.now(); }
  void set_skew(Nanoseconds skew) { skew_ = skew; }

 private:
  const EventLoop& loop_;
  WallTime start_;
  Nanoseconds skew_;
};

}  // namespace outpost::sim
