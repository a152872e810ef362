#pragma once
// A host's view of the event loop: the Executor its node runs on. It adds what a process has and a loop does not:
//  - incarnations: when the process dies, the work it scheduled dies with it (a timer of a crashed node never fires
//    into a destroyed object), while the loop and every other host go on;
//  - pauses: a paused process (SIGSTOP) runs nothing; what comes due meanwhile waits, in order, and runs on resume.
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "reference/common/executor.h"

namespace outpost::sim {
class EventLoop;
}

namespace outpost::sim::world {

class HostExecutor final : public Executor {
 public:
  explicit HostExecutor(EventLoop& loop);
  ~HostExecutor() override;
  HostExecutor(const HostExecutor&) = delete;
  HostExecutor& operator=(const HostExecutor&) = delete;

  void post(std::function<void()> work) override;
  TimerHandle schedule_after(Nanoseconds delay, std::function<void()> work) override;

  // Runs `work` now, or on resume when paused (what arrives for a paused process waits for it). A template: the
  // running case (nearly every answer a host hears) calls `work` as it is, without wrapping it in a std::function.
  template <class Work>
  void run_or_hold(Work&& work) {
    if (paused_) {
      hold(std::function<void()>(std::forward<Work>(work)));
      return;
    }
    work();
  }

  void pause() { paused_ = true; }
  // Runs nothing itself: the held work is posted to the loop, in the order it came due.
  void resume();
  bool paused() const { return paused_; }

  // The process died: nothing it posted or scheduled runs any more (also what a pause held). Work posted afterwards
  // belongs to the next incarnation.
  void end_incarnation();

 private:
  // Work captures the host, the number of the incarnation it belongs to (or its timer's id) and the work itself, and
  // nothing else: a posted or timed callable fits the loop's inline buffer (48 bytes) and needs no allocation of its
  // own, and no reference count moves per piece of work.
  //
  // A timer of this host: its slot in timers_, named by slot and generation like the loop's own timers. The slot
  // outlives the loop's timer while a pause holds the due work, so a cancel is honoured until it runs; a cancel, the
  // run, or the end of the incarnation frees it (the generation moves on, so the id goes stale).
  struct Timer {
    uint64_t loop_timer = 0;  // the loop's timer, 0 once it fired
    uint32_t generation = 1;
    bool live = false;
  };
  // Handed to every TimerHandle (one allocation per host, not per timer); forgets the host when it is destroyed.
  class Canceller;

  // Runs `work` of `incarnation`: nothing once it ended, held while the host is paused.
  void run_for(uint64_t incarnation, std::function<void()>& work);
  void hold(std::function<void()> work);
  void fire(uint64_t timer, std::function<void()>& work);
  void cancel_timer(uint64_t timer);
  // The timer `id` names, or null when it went stale (ran, cancelled, or its incarnation ended).
  Timer* live_timer(uint64_t id) {
    const uint32_t slot = static_cast<uint32_t>(id);
    if (slot >= timers_.size()) return nullptr;
    Timer& timer = timers_[slot];
    return timer.live && timer.generation == static_cast<uint32_t>(id >> 32) ? &timer : nullptr;
  }
  void free_timer(uint64_t id);

  EventLoop& loop_;
  uint64_t incarnation_ = 0;  // moves at each end_incarnation()
  bool paused_ = false;
  std::vector<std::function<void()>> held_;
  std::vector<Timer> timers_;
  std::vector<uint32_t> free_timers_;
  std::shared_ptr<Canceller> canceller_;
};

}  // namespace outpost::sim::world
