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
  struct Poster;
  class Timer;
  std::unique_ptr<State> state_;
  // Shared with the timers' handles, which post their cancels through it; emptied when the executor goes, so a handle
  // cancelled later finds nothing to post to (and never keeps the loop's objects alive past the destructor).
  std::shared_ptr<Poster> poster_;
};

}  // namespace outpost::live
