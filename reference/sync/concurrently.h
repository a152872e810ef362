#pragma once
// Bounded concurrency for the sync agent's coroutines, on its one executor thread. Every resumption comes from a seam
// callback on that thread (an exchange's `done`, a timer), so the coroutines interleave but never run at the same
// time: nothing here needs a lock, and the simulator replays it event by event like everything else.
// ContentSync uses it where it would otherwise wait for one exchange at a time (the blobs of a manifest, the tags of a
// full resync): with a few in flight, a sync of many small objects is bound by the work itself rather than by the
// round trips and scheduling delays between them, and large layers are received on two client threads at once.
#include <algorithm>
#include <coroutine>
#include <exception>
#include <functional>
#include <memory>
#include <vector>

#include "reference/common/task.h"

namespace outpost::sync {

// Awaitable: starts every task now and resumes the awaiting coroutine once all have ended (the last one to end resumes
// it), then rethrows the failure that says the most: the first to end that is not a lost exchange (an answer that
// turned a request down, a store that failed), else the first lost exchange. The agent retries at once after a lost
// exchange and backs off after a refusal (attempt_progress.h), so a lost exchange must not hide a concurrent 503 by
// ending first. No task outlives the await, whichever fails.
class AllOf {
 public:
  explicit AllOf(std::vector<Task<void>> tasks);
  bool await_ready() const noexcept { return tasks_.empty(); }
  bool await_suspend(std::coroutine_handle<> awaiting);
  void await_resume();

 private:
  struct State {
    size_t running = 0;
    std::exception_ptr failure;
    std::coroutine_handle<> awaiting;
  };
  std::vector<Task<void>> tasks_;
  std::shared_ptr<State> state_;
};

namespace concurrently_detail {
template <class Item>
struct Queue {
  std::vector<Item> items;
  size_t next = 0;
  bool failed = false;
  std::function<Task<void>(const Item&)> work;
};

// One worker: takes the next item until none is left or one has failed (anywhere).
template <class Item>
Task<void> drain(std::shared_ptr<Queue<Item>> queue) {
  while (!queue->failed && queue->next < queue->items.size()) {
    const Item& item = queue->items[queue->next++];
    try {
      co_await queue->work(item);
    } catch (...) {
      queue->failed = true;
      throw;
    }
  }
}
}  // namespace concurrently_detail

// Runs `work(item)` for every item, at most `limit` at a time, in the items' order, and returns when all have ended.
// After a failure no further item starts; the failure (as AllOf chooses it) is rethrown once the running ones have
// ended.
template <class Item>
Task<void> for_each_concurrently(std::vector<Item> items, size_t limit,
                                 std::function<Task<void>(const Item&)> work) {
  auto queue = std::make_shared<concurrently_detail::Queue<Item>>();
  queue->items = std::move(items);
  queue->work = std::move(work);
  std::vector<Task<void>> workers;
  const size_t count = std::min(std::max<size_t>(limit, 1), queue->items.size());
  for (size_t i = 0; i < count; ++i) workers.push_back(concurrently_detail::drain(queue));
  AllOf all(std::move(workers));  // named: GCC 12 destroys temporaries built inside a co_await operand twice
  co_await all;
}

}  // namespace outpost::sync
