#include "simulator/world/host_executor.h"

#include <atomic>

#include "simulator/engine/event_loop.h"

namespace outpost::sim::world {

HostExecutor::HostExecutor(EventLoop& loop) : loop_(loop), alive_(std::make_shared<bool>(true)) {}

std::function<void()> HostExecutor::guarded(std::function<void()> work) {
  return [this, alive = alive_, work = std::move(work)]() mutable {
    if (!*alive) return;
    if (paused_) {
      held_.push_back([alive, work = std::move(work)] {
        if (*alive) work();
      });
      return;
    }
    work();
  };
}

void HostExecutor::post(std::function<void()> work) { loop_.post(guarded(std::move(work))); }

TimerHandle HostExecutor::schedule_after(Nanoseconds delay, std::function<void()> work) {
  // A flag of our own: a timer that came due during a pause sits in held_, out of the loop's reach, and must still
  // honour a cancel. The loop's timer is cancelled too, so its callback goes at once: left to come due, a ReadOnly
  // node's 24-hour push wake-up, re-armed every sync round, kept 144 dead callbacks a day per node queued (half a
  // gigabyte in the wide fleet's day).
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  TimerHandle timer = loop_.schedule_after(delay, guarded([cancelled, work = std::move(work)] {
                                             if (!cancelled->load()) work();
                                           }));
  return std::move(timer).with_flag(std::move(cancelled));
}

void HostExecutor::hold(std::function<void()> work) {
  held_.push_back([alive = alive_, work = std::move(work)] {
    if (*alive) work();
  });
}

void HostExecutor::resume() {
  paused_ = false;
  std::vector<std::function<void()>> held;
  held.swap(held_);
  for (auto& work : held) loop_.post(std::move(work));
}

void HostExecutor::end_incarnation() {
  *alive_ = false;
  alive_ = std::make_shared<bool>(true);
  held_.clear();
  paused_ = false;
}

}  // namespace outpost::sim::world
