#pragma once
// A host's view of the event loop: the Executor its node runs on. It adds what a process has and a loop does not:
//  - incarnations: when the process dies, the work it scheduled dies with it (a timer of a crashed node never fires
//    into a destroyed object), while the loop and every other host go on;
//  - pauses: a paused process (SIGSTOP) runs nothing; what comes due meanwhile waits, in order, and runs on resume.
#include <atomic>
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
  // One incarnation of the process: what its work checks before it runs. Work captures this (and the work itself)
  // and nothing else, so a posted callable fits the loop's inline buffer (48 bytes) and needs no allocation of its
  // own; a timer's adds one, its cancel flag (ArmedTimer).
  struct Incarnation {
    HostExecutor* host;
    bool alive = true;
  };
  struct ArmedTimer {
    std::atomic<bool> cancelled{false};  // what the TimerHandle sets (aliased), honoured even once held by a pause
    std::shared_ptr<Incarnation> incarnation;
  };
  // Runs `work` for `incarnation`: nothing once it ended, held while its host is paused.
  static void run_for(const std::shared_ptr<Incarnation>& incarnation, std::function<void()>& work);
  void hold(std::function<void()> work);

  EventLoop& loop_;
  std::shared_ptr<Incarnation> incarnation_;  // shared with every piece of work of the current incarnation
  bool paused_ = false;
  std::vector<std::function<void()>> held_;
};

}  // namespace outpost::sim::world
