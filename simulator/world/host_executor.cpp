#include "simulator/world/host_executor.h"

#include "simulator/engine/event_loop.h"

namespace outpost::sim::world {

class HostExecutor::Canceller final : public TimerCanceller {
 public:
  explicit Canceller(HostExecutor* host) : host_(host) {}
  void cancel_timer(uint64_t id) override {
    if (host_) host_->cancel_timer(id);
  }
  void forget() { host_ = nullptr; }

 private:
  HostExecutor* host_;
};

HostExecutor::HostExecutor(EventLoop& loop) : loop_(loop), canceller_(std::make_shared<Canceller>(this)) {}

HostExecutor::~HostExecutor() { canceller_->forget(); }

void HostExecutor::run_for(uint64_t incarnation, std::function<void()>& work) {
  if (incarnation != incarnation_) return;
  if (paused_) {
    hold(std::move(work));  // of the current incarnation, which hold() captures
    return;
  }
  work();
}

void HostExecutor::post(std::function<void()> work) {
  // Given to the loop as a lambda, not a std::function: it fits the loop's callback in place (an allocation and an
  // indirect call less per post).
  loop_.post([this, incarnation = incarnation_, work = std::move(work)]() mutable { run_for(incarnation, work); });
}

TimerHandle HostExecutor::schedule_after(Nanoseconds delay, std::function<void()> work) {
  // A slot of our own, not only the loop's timer: a timer that came due during a pause sits in held_, out of the
  // loop's reach, and must still honour a cancel. The loop's timer is cancelled too, so its callback goes at once:
  // left to come due, a ReadOnly node's 24-hour push wake-up, re-armed every sync round, kept 144 dead callbacks a
  // day per node queued (half a gigabyte in the wide fleet's day).
  uint32_t slot;
  if (free_timers_.empty()) {
    slot = static_cast<uint32_t>(timers_.size());
    timers_.emplace_back();
  } else {
    slot = free_timers_.back();
    free_timers_.pop_back();
  }
  Timer& timer = timers_[slot];
  timer.live = true;
  const uint64_t id = (uint64_t(timer.generation) << 32) | slot;
  timer.loop_timer = loop_.add_timer_after(delay, [this, id, work = std::move(work)]() mutable { fire(id, work); });
  return TimerHandle(canceller_, id);
}

void HostExecutor::fire(uint64_t id, std::function<void()>& work) {
  Timer* timer = live_timer(id);
  if (!timer) return;  // its incarnation ended
  timer->loop_timer = 0;
  if (paused_) {
    // Held: it still checks its slot when the pause ends.
    held_.push_back([this, id, work = std::move(work)] {
      if (!live_timer(id)) return;
      free_timer(id);
      work();
    });
    return;
  }
  free_timer(id);
  work();
}

void HostExecutor::cancel_timer(uint64_t id) {
  Timer* timer = live_timer(id);
  if (!timer) return;
  if (timer->loop_timer != 0) loop_.cancel_timer(timer->loop_timer);
  free_timer(id);
}

void HostExecutor::free_timer(uint64_t id) {
  const uint32_t slot = static_cast<uint32_t>(id);
  Timer& timer = timers_[slot];
  timer.live = false;
  timer.loop_timer = 0;
  if (++timer.generation == 0) timer.generation = 1;
  free_timers_.push_back(slot);
}

void HostExecutor::hold(std::function<void()> work) {
  held_.push_back([this, incarnation = incarnation_, work = std::move(work)] {
    if (incarnation == incarnation_) work();
  });
}

void HostExecutor::resume() {
  paused_ = false;
  std::vector<std::function<void()>> held;
  held.swap(held_);
  for (auto& work : held) loop_.post(std::move(work));
}

void HostExecutor::end_incarnation() {
  ++incarnation_;
  // Its timers go stale; those still in the loop come due as before and run nothing.
  for (uint32_t slot = 0; slot < timers_.size(); ++slot)
    if (timers_[slot].live) free_timer((uint64_t(timers_[slot].generation) << 32) | slot);
  held_.clear();
  paused_ = false;
}

}  // namespace outpost::sim::world
