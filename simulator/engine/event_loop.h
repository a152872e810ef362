#pragma once
// The simulator's clockwork: a single-threaded discrete-event loop on integer nanoseconds of virtual time. Events run
// in (time, sequence) order, so equal-time events run in the order they were scheduled and a run is reproducible.
// It implements the Executor seam, so registry and sync code scheduled on it never know they are simulated.
//
// Where the time goes (docs/performance.md, "Simulator engine"): posts wait in a FIFO ring; timers are 24-byte
// (time, sequence, slot) entries in a 4-ary heap, their callbacks in a slot table, each slot with a generation so a
// timer is cancelled by id (slot + generation) with no allocation and no shared flag. A cancelled timer's callback is
// destroyed at once; its heap entry is skipped when it surfaces, or swept out in bulk when cancelled entries make up
// half the heap (timeouts that never fire would otherwise pile up). Timers due a second or more ahead (timeouts,
// mostly cancelled) first wait in a wheel of one-second buckets (timer_wheel.h) and enter the heap only when their
// bucket comes up, so a cancelled one never touches the heap and the heap holds only what is due soon (timers beyond
// the wheel's reach wait in its overflow, not in the heap; cancelled ones there are swept out in bulk like the heap's).
#include <algorithm>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <vector>

#include "reference/common/clock.h"
#include "reference/common/executor.h"
#include "simulator/engine/callback.h"
#include "simulator/engine/post_queue.h"
#include "simulator/engine/timer_heap.h"
#include "simulator/engine/timer_wheel.h"
#include "simulator/engine/virtual_clock.h"

namespace outpost::sim {

// Names one timer of one loop; 0 names none.
using TimerId = uint64_t;

// What the loop runs: anything callable as void().
template <class F>
concept Work = std::is_invocable_r_v<void, std::decay_t<F>&>;
// A callable the loop takes directly, without converting it to std::function first (std::function itself goes to
// the Executor overloads).
template <class F>
concept DirectWork = Work<F> && !std::is_same_v<std::decay_t<F>, std::function<void()>>;

// What the loop throws when more events than its stall limit ran at one virtual instant: something schedules work for
// now, again and again (a busy loop), and time would never move on. The event that would have run next stays queued.
class TimeStoodStill : public std::runtime_error {
 public:
  TimeStoodStill(Nanoseconds at, uint64_t events);
  Nanoseconds at;   // the instant
  uint64_t events;  // how many ran there
};

// What the loop throws when its interrupt check (set_interrupt) says to stop: between two events, so the world is
// whole and a later run goes on from the instant reached. The event that would have run next stays queued.
class Interrupted : public std::runtime_error {
 public:
  explicit Interrupted(Nanoseconds at);
  Nanoseconds at;
};

class EventLoop final : public Executor {
 public:
  EventLoop();
  ~EventLoop() override;
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // The Executor seam (std::function), as registry and sync code call it.
  void post(std::function<void()> work) override;
  TimerHandle schedule_after(Nanoseconds delay, std::function<void()> work) override;

  // The same for a callable passed directly: no std::function on the way (no allocation up to 48 bytes of captures),
  // and move-only captures are fine.
  template <DirectWork F>
  void post(F&& work) {
    posts_.push(next_sequence_++, std::forward<F>(work));
  }
  template <DirectWork F>
  TimerHandle schedule_after(Nanoseconds delay, F&& work) {
    return handle(add_timer(due_after(delay), std::forward<F>(work)));
  }
  // At virtual time `at` (a time already past means now, after the work already due now).
  template <Work F>
  TimerHandle schedule_at(Nanoseconds at, F&& work) {
    return handle(add_timer(at, std::forward<F>(work)));
  }

  // The cheapest timer: a plain id instead of a handle (no reference count), for the simulator's own code.
  template <Work F>
  TimerId add_timer(Nanoseconds at, F&& work) {
    Callback callback(std::forward<F>(work));  // first: if copying the callable throws, no slot is taken
    const uint32_t slot = take_slot();
    slots_[slot].work = std::move(callback);
    place(TimerEntry{std::max(at, now_).count(), next_sequence_++, slot});
    return id_of(slot);
  }
  // The same, due after `delay` as schedule_after() counts it.
  template <Work F>
  TimerId add_timer_after(Nanoseconds delay, F&& work) {
    return add_timer(due_after(delay), std::forward<F>(work));
  }
  // Cancels a timer that has not run yet (its callback is destroyed now); true if it did.
  bool cancel_timer(TimerId id);

  Nanoseconds now() const { return now_; }
  // Runs the earliest event, advancing virtual time to it; false when nothing is scheduled.
  bool run_one();
  // Runs events until none is left at or before `deadline`, then sets the time to `deadline`.
  void run_until(Nanoseconds deadline);
  // Runs until the queue is empty or `max_events` ran; returns the number run.
  uint64_t run(uint64_t max_events = UINT64_MAX);
  // When the next event is due, if any.
  std::optional<Nanoseconds> next_time();

  uint64_t events_dispatched() const { return dispatched_; }
  // A guard against busy loops: once more than `events` have run at one virtual instant, the next throws
  // TimeStoodStill instead of running (and the count starts again). 0, the default, turns it off. The check is one
  // comparison per event.
  void set_stall_limit(uint64_t events) { stall_limit_ = events == 0 ? UINT64_MAX : events; }
  // Asks `interrupted` once every `every_events` events (before the next one runs) and throws Interrupted when it
  // says so: how a caller outside the loop (Python's Ctrl-C) stops a long run. It must not touch the world, so a run
  // asked and one not asked are the same run. An empty function turns it off (the default). One comparison per event.
  void set_interrupt(std::function<bool()> interrupted, uint64_t every_events);
  // The most events that ran at one virtual instant so far (how close a run came to its stall limit).
  uint64_t busiest_instant() const { return std::max(busiest_instant_, instant_ < 0 ? 0 : instant_events_ + 1); }
  // Events scheduled and neither run nor cancelled.
  size_t pending() const {
    return posts_.size() + timers_.size() + wheel_.size() - cancelled_timers_ - cancelled_in_wheel_;
  }

 private:
  struct Slot {
    Callback work;
    uint32_t generation = 1;  // bumped when the slot is freed, so ids of timers that ran or were cancelled go stale
    bool cancelled = false;   // the entry still points here; the slot is freed when it surfaces, is swept, or its
                              // wheel bucket comes up
    bool in_wheel = false;    // the entry waits in the wheel, not the heap
  };
  // Shared with every TimerHandle the loop gave out; forgets the loop when it is destroyed, so a handle that outlives
  // the loop cancels nothing.
  class Canceller final : public TimerCanceller {
   public:
    explicit Canceller(EventLoop* loop) : loop_(loop) {}
    void cancel_timer(uint64_t id) override {
      if (loop_) loop_->cancel_timer(id);
    }
    void forget() { loop_ = nullptr; }

   private:
    EventLoop* loop_;
  };

  uint32_t take_slot() {
    if (free_slots_.empty()) {
      slots_.emplace_back();
      return static_cast<uint32_t>(slots_.size() - 1);
    }
    const uint32_t slot = free_slots_.back();
    free_slots_.pop_back();
    return slot;
  }
  // now + delay; a negative delay means now, and a delay past the end of time (Nanoseconds::max() as "never") stops
  // there instead of overflowing.
  Nanoseconds due_after(Nanoseconds delay) const {
    if (delay <= Nanoseconds(0)) return now_;
    return delay >= Nanoseconds::max() - now_ ? Nanoseconds::max() : now_ + delay;
  }
  TimerId id_of(uint32_t slot) const { return (uint64_t(slots_[slot].generation) << 32) | slot; }
  TimerHandle handle(TimerId id) { return TimerHandle(canceller_, id); }
  void free_slot(uint32_t slot) {
    Slot& freed = slots_[slot];
    freed.cancelled = false;
    if (++freed.generation == 0) freed.generation = 1;  // id 0 stays "no timer"
    free_slots_.push_back(slot);
  }
  // Where a new timer's entry goes: a far one (at least a wheel bucket away) to the wheel, the rest to the heap.
  void place(const TimerEntry& entry) {
    if (entry.time - now_.count() >= TimerWheel::kBucketSpan && wheel_.accepts(entry.time)) {
      slots_[entry.slot].in_wheel = true;
      wheel_.add(entry);
    } else {
      timers_.push(entry);
    }
  }
  // Makes the heap's top the earliest live timer of all: drops cancelled entries from the top, and moves wheel
  // buckets into the heap while the top may be due at or after the wheel's horizon.
  void settle_timers() {
    if (!timers_.empty() && slots_[timers_.top().slot].cancelled) drop_cancelled_head();
    if (!wheel_.empty() && (timers_.empty() || timers_.top().time >= wheel_.horizon())) take_from_wheel();
  }
  void take_from_wheel();
  // Runs the earliest event if it is due at or before `deadline`; false if none is.
  bool run_due(int64_t deadline);
  // Runs the heap's top timer (settled: live and the earliest).
  bool run_timer();
  void drop_cancelled_head();
  // Counts an event about to run at `time` against the stall limit (time only moves forward).
  void note_instant(int64_t time) {
    if (time != instant_) {
      if (instant_ >= 0) busiest_instant_ = std::max(busiest_instant_, instant_events_ + 1);
      instant_ = time;
      instant_events_ = 0;
    } else if (++instant_events_ >= stall_limit_) [[unlikely]] {
      stood_still();
    }
  }
  [[noreturn]] void stood_still();
  void ask_interrupt();
  void sweep_cancelled();
  void sweep_cancelled_in_wheel();

  PostQueue posts_;
  TimerHeap timers_;
  std::vector<Slot> slots_;
  std::vector<uint32_t> free_slots_;
  TimerWheel wheel_;
  size_t cancelled_timers_ = 0;    // heap entries whose timer was cancelled
  size_t cancelled_in_wheel_ = 0;  // wheel entries whose timer was cancelled
  Nanoseconds now_{0};
  uint64_t next_sequence_ = 0;
  uint64_t dispatched_ = 0;
  int64_t instant_ = -1;           // the virtual time of the last event run
  uint64_t instant_events_ = 0;    // events run at that time after the first
  uint64_t stall_limit_ = UINT64_MAX;
  uint64_t busiest_instant_ = 0;  // of the instants before instant_
  std::function<bool()> interrupted_;
  uint64_t interrupt_every_ = 0;
  uint64_t next_interrupt_ask_ = UINT64_MAX;  // dispatched_ at which to ask next
  std::shared_ptr<Canceller> canceller_;
};

}  // namespace outpost::sim
