#include "simulator/engine/event_loop.h"

#include <algorithm>
#include <string>
#include <utility>

namespace outpost::sim {

namespace {
// Sweeping the heap costs O(n); doing it only once cancelled entries are half of it (and not too few) keeps the cost
// per cancellation constant.
constexpr size_t kSweepAtLeast = 1024;
}  // namespace

TimeStoodStill::TimeStoodStill(Nanoseconds at, uint64_t events)
    : std::runtime_error("virtual time stood still at " + std::to_string(at.count()) + " ns: " +
                         std::to_string(events) + " events ran without it moving (a busy loop)"),
      at(at),
      events(events) {}

Interrupted::Interrupted(Nanoseconds at)
    : std::runtime_error("interrupted at " + std::to_string(at.count()) + " ns of virtual time"), at(at) {}

void EventLoop::set_interrupt(std::function<bool()> interrupted, uint64_t every_events) {
  interrupted_ = std::move(interrupted);
  interrupt_every_ = std::max<uint64_t>(every_events, 1);
  next_interrupt_ask_ = interrupted_ ? dispatched_ + interrupt_every_ : UINT64_MAX;
}

void EventLoop::ask_interrupt() {
  next_interrupt_ask_ = dispatched_ + interrupt_every_;
  if (interrupted_()) throw Interrupted(now_);
}

void EventLoop::stood_still() {
  // The first event at the instant is not counted, this one has not run: instant_events_ ran. The count starts again
  // as at a new instant.
  const Nanoseconds at(instant_);
  const uint64_t events = instant_events_;
  busiest_instant_ = std::max(busiest_instant_, events);
  instant_ = -1;
  throw TimeStoodStill(at, events);
}

EventLoop::EventLoop() : canceller_(std::make_shared<Canceller>(this)) {}

EventLoop::~EventLoop() {
  canceller_->forget();
  // Pending callbacks die before the rest of the loop, while a destructor among them can still find it whole.
  posts_.clear();
  for (size_t i = 0; i < slots_.size(); ++i) {
    Callback doomed = std::move(slots_[i].work);  // by index, moved out: a destructor that schedules may grow slots_
  }
}

void EventLoop::post(std::function<void()> work) { posts_.push(next_sequence_++, std::move(work)); }

TimerHandle EventLoop::schedule_after(Nanoseconds delay, std::function<void()> work) {
  return handle(add_timer(due_after(delay), std::move(work)));
}

bool EventLoop::cancel_timer(TimerId id) {
  const auto slot = static_cast<uint32_t>(id);
  const auto generation = static_cast<uint32_t>(id >> 32);
  if (slot >= slots_.size() || slots_[slot].generation != generation || slots_[slot].cancelled) return false;
  // Moved out first: destroying it may run destructors that schedule or cancel, which may move slots_.
  Callback doomed = std::move(slots_[slot].work);
  slots_[slot].cancelled = true;
  if (slots_[slot].in_wheel) {
    // Freed when its bucket comes up, or by a sweep: a day-long wake-up re-armed every round would otherwise keep a
    // slot for each round until its day is out.
    ++cancelled_in_wheel_;
    if (cancelled_in_wheel_ >= kSweepAtLeast && cancelled_in_wheel_ * 2 >= wheel_.size()) sweep_cancelled_in_wheel();
    return true;
  }
  ++cancelled_timers_;
  if (cancelled_timers_ >= kSweepAtLeast && cancelled_timers_ * 2 >= timers_.size()) sweep_cancelled();
  return true;
}

void EventLoop::sweep_cancelled() {
  timers_.remove_if([this](const TimerEntry& entry) {
    if (!slots_[entry.slot].cancelled) return false;
    free_slot(entry.slot);
    return true;
  });
  cancelled_timers_ = 0;
}

void EventLoop::sweep_cancelled_in_wheel() {
  wheel_.remove_if([this](const TimerEntry& entry) {
    Slot& waiting = slots_[entry.slot];
    if (!waiting.cancelled) return false;
    waiting.in_wheel = false;
    free_slot(entry.slot);
    return true;
  });
  cancelled_in_wheel_ = 0;
}

void EventLoop::take_from_wheel() {
  // The heap's top is live here (settle_timers dropped the cancelled ones) and buckets bring only live entries, so
  // the top stays live.
  while (!wheel_.empty() && (timers_.empty() || timers_.top().time >= wheel_.horizon())) {
    wheel_.advance([this](const TimerEntry& entry) {
      Slot& waiting = slots_[entry.slot];
      waiting.in_wheel = false;
      if (waiting.cancelled) {
        free_slot(entry.slot);
        --cancelled_in_wheel_;
      } else {
        timers_.push(entry);
      }
    });
  }
  wheel_.restart_after(now_.count());
}

void EventLoop::drop_cancelled_head() {
  while (!timers_.empty() && slots_[timers_.top().slot].cancelled) {
    free_slot(timers_.top().slot);
    timers_.pop();
    --cancelled_timers_;
  }
}

bool EventLoop::run_one() { return run_due(Nanoseconds::max().count()); }

bool EventLoop::run_due(int64_t deadline) {
  if (dispatched_ >= next_interrupt_ask_) [[unlikely]]
    ask_interrupt();
  settle_timers();
  if (!posts_.empty()) {
    if (now_.count() > deadline) return false;
    // A post is due now; a timer due now that was scheduled before it runs first.
    if (!timers_.empty() && timers_.top().time <= now_.count() && timers_.top().sequence < posts_.front().sequence)
      return run_timer();
    note_instant(now_.count());
    // Run from a local: the callback may post, which may move the queue it came from.
    Callback work(std::move(posts_.front().work));
    posts_.pop();
    ++dispatched_;
    work();
    return true;
  }
  if (timers_.empty() || timers_.top().time > deadline) return false;
  return run_timer();
}

bool EventLoop::run_timer() {
  const TimerEntry entry = timers_.top();
  note_instant(entry.time);
  timers_.pop();
  now_ = Nanoseconds(entry.time);
  // Run from a local: the callback may schedule, which may move the slot table.
  Callback work(std::move(slots_[entry.slot].work));
  free_slot(entry.slot);
  ++dispatched_;
  work();
  return true;
}

std::optional<Nanoseconds> EventLoop::next_time() {
  if (!posts_.empty()) return now_;
  settle_timers();
  if (timers_.empty()) return std::nullopt;
  return Nanoseconds(timers_.top().time);
}

void EventLoop::run_until(Nanoseconds deadline) {
  while (run_due(deadline.count())) {
  }
  now_ = std::max(now_, deadline);
}

uint64_t EventLoop::run(uint64_t max_events) {
  uint64_t count = 0;
  while (count < max_events && run_one()) ++count;
  return count;
}

}  // namespace outpost::sim
