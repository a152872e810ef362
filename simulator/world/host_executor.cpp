#include "simulator/world/host_executor.h"

#include "simulator/engine/event_loop.h"

namespace outpost::sim::world {

HostExecutor::HostExecutor(EventLoop& loop) : loop_(loop), incarnation_(std::make_shared<Incarnation>(this)) {}

void HostExecutor::run_for(const std::shared_ptr<Incarnation>& incarnation, std::function<void()>& work) {
  if (!incarnation->alive) return;
  HostExecutor& host = *incarnation->host;
  if (host.paused_) {
    host.hold(std::move(work));  // `incarnation` is alive, so it is the host's current one, which hold() captures
    return;
  }
  work();
}

void HostExecutor::post(std::function<void()> work) {
  // Given to the loop as a lambda, not a std::function: it fits the loop's callback in place (an allocation and an
  // indirect call less per post).
  loop_.post([incarnation = incarnation_, work = std::move(work)]() mutable { run_for(incarnation, work); });
}

TimerHandle HostExecutor::schedule_after(Nanoseconds delay, std::function<void()> work) {
  // A flag of our own: a timer that came due during a pause sits in held_, out of the loop's reach, and must still
  // honour a cancel. The loop's timer is cancelled too, so its callback goes at once: left to come due, a ReadOnly
  // node's 24-hour push wake-up, re-armed every sync round, kept 144 dead callbacks a day per node queued (half a
  // gigabyte in the wide fleet's day). The flag and the incarnation share one allocation, and the work is not in it:
  // a handle kept by what the work captures would otherwise keep that work alive in a cycle.
  auto armed = std::make_shared<ArmedTimer>();
  armed->incarnation = incarnation_;
  std::shared_ptr<std::atomic<bool>> flag(armed, &armed->cancelled);
  TimerHandle timer = loop_.schedule_after(delay, [armed = std::move(armed), work = std::move(work)]() mutable {
    if (armed->cancelled.load()) return;
    if (armed->incarnation->alive && armed->incarnation->host->paused_) {
      // Held: it still checks the flag when the pause ends.
      armed->incarnation->host->held_.push_back([armed, work = std::move(work)] {
        if (armed->incarnation->alive && !armed->cancelled.load()) work();
      });
      return;
    }
    run_for(armed->incarnation, work);
  });
  return std::move(timer).with_flag(std::move(flag));
}

void HostExecutor::hold(std::function<void()> work) {
  held_.push_back([incarnation = incarnation_, work = std::move(work)] {
    if (incarnation->alive) work();
  });
}

void HostExecutor::resume() {
  paused_ = false;
  std::vector<std::function<void()>> held;
  held.swap(held_);
  for (auto& work : held) loop_.post(std::move(work));
}

void HostExecutor::end_incarnation() {
  incarnation_->alive = false;
  incarnation_ = std::make_shared<Incarnation>(this);
  held_.clear();
  paused_ = false;
}

}  // namespace outpost::sim::world
