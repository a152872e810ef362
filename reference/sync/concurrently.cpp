#include "reference/sync/concurrently.h"

#include "reference/sync/parent_link.h"

namespace outpost::sync {

namespace {
// How much a task's failure says, to keep the one that says most: the sync window's end (3: the whole attempt waits
// for the next window, whatever else failed) over an answer that turned the task down (2) over an exchange that got
// no answer (1, SyncFailure::lost()), over a change here under the task (0, Raced: retried soon): a lost exchange
// must not hide a concurrent 503, nor a race a parent out of reach. Asked only when a task failed.
int weight(const std::exception_ptr& failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const SyncFailure& sync_failure) {
    if (sync_failure.kind() == SyncFailure::Kind::WindowClosed) return 3;
    if (sync_failure.kind() == SyncFailure::Kind::Raced) return 0;
    return sync_failure.lost() ? 1 : 2;
  } catch (...) {
    return 2;
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
      if (error && (!state->failure || weight(error) > weight(state->failure))) state->failure = error;
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
