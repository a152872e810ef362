#pragma once
// Seam: where work runs. Asynchronous code in Outpost is written as callbacks posted to an Executor (see
// docs/architecture.md, "The async model"): live nodes bind it to an Asio io_context, simulated nodes to the
// simulator's single-threaded event loop on virtual time.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

#include "reference/common/clock.h"

namespace outpost {

// Cancels timers by id. An executor that keeps its timers in a table of its own (the simulator's event loop) hands
// out handles that name a timer instead of owning a flag, so arming a timer allocates nothing.
class TimerCanceller {
 public:
  virtual void cancel_timer(uint64_t id) = 0;

 protected:
  ~TimerCanceller() = default;
};

// Cancels a scheduled callback; cancelling after it ran, or twice, does nothing.
class TimerHandle {
 public:
  TimerHandle() = default;
  explicit TimerHandle(std::shared_ptr<std::atomic<bool>> cancelled) : cancelled_(std::move(cancelled)) {}
  TimerHandle(std::shared_ptr<TimerCanceller> canceller, uint64_t id) : canceller_(std::move(canceller)), id_(id) {}
  void cancel() {
    if (cancelled_) cancelled_->store(true);
    if (canceller_) canceller_->cancel_timer(id_);
  }
  // This handle, cancelling also sets `flag`: for an executor that arms another executor's timers and must still
  // honour a cancel after the timer fired (a simulated host holding due work while paused).
  TimerHandle with_flag(std::shared_ptr<std::atomic<bool>> flag) && {
    cancelled_ = std::move(flag);
    return std::move(*this);
  }

 private:
  std::shared_ptr<std::atomic<bool>> cancelled_;
  std::shared_ptr<TimerCanceller> canceller_;
  uint64_t id_ = 0;
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
