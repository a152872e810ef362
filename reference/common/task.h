#pragma once
// C++20 coroutines over the Executor and HttpClient seams, for the long sequential work of a sync agent (read the
// configuration, fetch a manifest, then its blobs, then commit, then report...). Written as callbacks that would be a
// maze; as coroutines it reads top to bottom, and it still runs in both worlds: a coroutine is resumed from the
// callback the seam delivers (a timer of the Executor, the `done` of an HttpClient exchange), so in the simulator every
// resumption is an ordinary event of the event loop, in order, deterministic.
//
// Task<T> is lazy (starts when awaited) and owns its frame; spawn() starts a top-level task. Cancellation is explicit
// and cooperative: a StopSignal wakes sleepers at once and makes every later await on it throw Cancelled, so the
// coroutine unwinds through its destructors (the simulator crashes nodes this way without leaking frames).
#include <coroutine>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <type_traits>
#include <stdexcept>
#include <utility>
#include <vector>

#include "reference/common/executor.h"
#include "reference/common/http_client.h"

namespace outpost {

template <class T = void>
class Task;

namespace task_detail {
struct PromiseBase {
  std::coroutine_handle<> continuation;
  std::exception_ptr error;

  std::suspend_always initial_suspend() noexcept { return {}; }
  struct FinalAwaiter {
    bool await_ready() noexcept { return false; }
    template <class Promise>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> self) noexcept {
      const std::coroutine_handle<> next = self.promise().continuation;
      return next ? next : std::noop_coroutine();
    }
    void await_resume() noexcept {}
  };
  FinalAwaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
};

template <class Promise>
class TaskBase {
 public:
  TaskBase(TaskBase&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  TaskBase& operator=(TaskBase&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  ~TaskBase() {
    if (handle_) handle_.destroy();
  }

  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> awaiting) noexcept {
    handle_.promise().continuation = awaiting;
    return handle_;  // symmetric transfer: no stack growth however long a chain of awaits gets
  }

 protected:
  explicit TaskBase(std::coroutine_handle<Promise> handle) : handle_(handle) {}
  std::coroutine_handle<Promise> handle_;
};
}  // namespace task_detail

namespace task_detail {
template <class T>
struct Promise : PromiseBase {
  std::optional<T> value;
  Task<T> get_return_object();
  template <class U>
  void return_value(U&& result) {
    value.emplace(std::forward<U>(result));
  }
};
template <>
struct Promise<void> : PromiseBase {
  Task<void> get_return_object();
  void return_void() {}
};
}  // namespace task_detail

template <class T>
class [[nodiscard]] Task : public task_detail::TaskBase<task_detail::Promise<T>> {
 public:
  using promise_type = task_detail::Promise<T>;
  explicit Task(std::coroutine_handle<promise_type> handle) : task_detail::TaskBase<promise_type>(handle) {}
  T await_resume() {
    auto& promise = this->handle_.promise();
    if (promise.error) std::rethrow_exception(promise.error);
    if constexpr (!std::is_void_v<T>) return std::move(*promise.value);
  }
};

namespace task_detail {
template <class T>
Task<T> Promise<T>::get_return_object() {
  return Task<T>(std::coroutine_handle<Promise<T>>::from_promise(*this));
}
inline Task<void> Promise<void>::get_return_object() {
  return Task<void>(std::coroutine_handle<Promise<void>>::from_promise(*this));
}
}  // namespace task_detail

// Starts `task` now, on the caller's stack until its first suspension. `done` runs when it ends, with the exception
// that ended it (null when it returned). The frame frees itself.
void spawn(Task<void> task, std::function<void(std::exception_ptr)> done = {});

// Thrown into a coroutine whose StopSignal was raised, at its next await on that signal.
class Cancelled : public std::runtime_error {
 public:
  Cancelled() : std::runtime_error("cancelled") {}
};

// A cooperative stop request shared by every await of one agent. Raising it wakes every sleeper now (through the
// executor, never inside raise()) and makes awaits throw Cancelled; exchanges already sent complete first (the
// HttpClient always calls `done`), then throw.
class StopSignal {
 public:
  explicit StopSignal(Executor& executor) : executor_(executor) {}
  bool raised() const { return raised_; }
  void raise();
  Executor& executor() { return executor_; }

  // For the awaiters below.
  struct Sleeper {
    TimerHandle timer;
    std::function<void()> wake;
  };
  std::shared_ptr<Sleeper> add_sleeper();
  void add_sleeper(std::shared_ptr<Sleeper> sleeper);  // one kept by its waiter for its next wait too
  void remove_sleeper(const std::shared_ptr<Sleeper>& sleeper);

 private:
  Executor& executor_;
  bool raised_ = false;
  std::vector<std::shared_ptr<Sleeper>> sleepers_;
};

// Awaitable: resumes after `delay` of the executor's time, or at once (throwing Cancelled) when `stop` is raised.
class SleepFor {
 public:
  SleepFor(StopSignal& stop, Nanoseconds delay) : stop_(stop), delay_(delay) {}
  bool await_ready() const { return stop_.raised(); }
  void await_suspend(std::coroutine_handle<> awaiting);
  void await_resume();

 private:
  StopSignal& stop_;
  Nanoseconds delay_;
  std::shared_ptr<StopSignal::Sleeper> sleeper_;
};
inline SleepFor sleep_for(StopSignal& stop, Nanoseconds delay) { return SleepFor(stop, delay); }

// Awaitable: one HTTP exchange through the HttpClient seam; resumes with its result (a response, or a transport
// failure). Throws Cancelled if `stop` was raised meanwhile.
class Exchange {
 public:
  Exchange(StopSignal& stop, http::HttpClient& client, http::ClientRequest request,
           std::shared_ptr<http::BodySink> sink)
      : stop_(stop), client_(client), request_(std::move(request)), sink_(std::move(sink)) {}
  bool await_ready() const { return stop_.raised(); }
  void await_suspend(std::coroutine_handle<> awaiting);
  http::ClientResult await_resume();

 private:
  StopSignal& stop_;
  http::HttpClient& client_;
  // Emptied as the request leaves: what is left of it would otherwise be destroyed with the awaitable, after the
  // answer (a long poll's minutes later), and every line of it read again cold.
  std::optional<http::ClientRequest> request_;
  std::shared_ptr<http::BodySink> sink_;
  http::ClientResult result_;
};
inline Exchange exchange(StopSignal& stop, http::HttpClient& client, http::ClientRequest request,
                         std::shared_ptr<http::BodySink> sink = nullptr) {
  return Exchange(stop, client, std::move(request), std::move(sink));
}

// An auto-reset wake-up for one waiting coroutine: notify() (on the executor's thread) resumes the waiter now, or the
// next wait() returns at once. wait() also returns after `timeout`, and throws Cancelled once `stop` is raised.
class Trigger {
 public:
  explicit Trigger(StopSignal& stop) : stop_(stop) {}
  void notify();

  class Wait {
   public:
    Wait(Trigger& trigger, Nanoseconds timeout) : trigger_(trigger), timeout_(timeout) {}
    bool await_ready();
    void await_suspend(std::coroutine_handle<> awaiting);
    void await_resume();

   private:
    Trigger& trigger_;
    Nanoseconds timeout_;
  };
  Wait wait(Nanoseconds timeout) { return Wait(*this, timeout); }

 private:
  void resume_waiter();
  StopSignal& stop_;
  bool pending_ = false;
  std::shared_ptr<StopSignal::Sleeper> waiter_;  // set while a coroutine waits
  // The waiter's record, made once and reused by every wait (a wait is one sync round's idle time), and which wait
  // is the current one: a timeout of an earlier wait finds the number moved on.
  std::shared_ptr<StopSignal::Sleeper> sleeper_;
  uint64_t waits_ = 0;
};

}  // namespace outpost
