#pragma once
// Seam: where work runs. Asynchronous code in Outpost is written as callbacks posted to an Executor (see
// docs/architecture.md, "The async model"): live nodes bind it to an Asio io_context, simulated nodes to the
// simulator's single-threaded event loop on virtual time.
#include <atomic>
#include <functional>
#include <memory>

#include "reference/common/clock.h"

namespace outpost {

// Cancels a scheduled callback; cancelling after it ran, or twice, does nothing.
class TimerHandle {
 public:
  TimerHandle() = default;
  explicit TimerHandle(std::shared_ptr<std::atomic<bool>> cancelled) : cancelled_(std::move(cancelled)) {}
  void cancel() {
    if (cancelled_) cancelled_->store(true);
  }

 private:
  std::shared_ptr<std::atomic<bool>> cancelled_;
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Runs `work` soon, never inside this call. Work posted from one thread runs in posting order.
  virtual void post(std::function<void()> work) = 0;
  // Runs `work` once `delay` of this executor's monotonic time has passed.
  virtual TimerHandle schedule_after(Nanoseconds delay, std::function<void()> work) = 0;
};

}  // namespace outpost
