#pragma once
// The live binding of the Executor seam: one Asio io_context run by one thread, so the work of a node's sync agent and
// gateway deadlines runs in posting order, one callback at a time, exactly as on the simulator's event loop.
// Asio stays in the .cpp.
#include <memory>

#include "reference/common/executor.h"

namespace outpost::live {

class AsioExecutor final : public Executor {
 public:
  AsioExecutor();   // starts the thread
  ~AsioExecutor();  // stops it; callbacks not yet run are dropped

  void post(std::function<void()> work) override;
  TimerHandle schedule_after(Nanoseconds delay, std::function<void()> work) override;
  // Stops the loop and waits for the callback running now, if any; callbacks not yet run and later posts are dropped.
  // Idempotent.
  void stop();

 private:
  struct State;
  class Timer;
  // Shared with the timers' handles: a handle cancelled after the executor is gone finds nothing to post to.
  std::shared_ptr<State> state_;
};

}  // namespace outpost::live
