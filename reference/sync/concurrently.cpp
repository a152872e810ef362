#include "reference/sync/concurrently.h"

#include "reference/sync/parent_link.h"

namespace outpost::sync {

namespace {
// Whether a task's failure says less than an answer that turned one down: an exchange that got no answer
// (SyncFailure::lost()), or a change here under the task (Raced, retried at once: it must not hide a concurrent 503).
// Asked only when a task failed.
bool lost_exchange(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const SyncFailure& sync_failure) {
    return sync_failure.lost() || sync_failure.kind() == SyncFailure::Kind::Raced;
  } catch (...) {
    return false;
  }
}
}  // namespace

AllOf::AllOf(std::vector<Task<void>> tasks) : tasks_(std::move(tasks)), state_(std::make_shared<State>()) {}

bool AllOf::await_suspend(std::coroutine_handle<> awaiting) {
  state_->awaiting = awaiting;
  // One count more than there are tasks, held until all have started: a task that ends before its first suspension
  // (its blob was there already) must not resume the awaiting coroutine from inside this loop.
  state_->running = tasks_.size() + 1;
  for (auto& task : tasks_) {
    spawn(std::move(task), [state = state_](std::exception_ptr error) {
      if (error && (!state->failure || (lost_exchange(state->failure) && !lost_exchange(error))))
        state->failure = error;
      if (--state->running == 0) state->awaiting.resume();
    });
  }
  tasks_.clear();
  return --state_->running != 0;  // every task ended already: go on without suspending
}

void AllOf::await_resume() {
  if (state_->failure) std::rethrow_exception(state_->failure);
}

}  // namespace outpost::sync
