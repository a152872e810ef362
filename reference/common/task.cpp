#include "reference/common/task.h"

#include <algorithm>

namespace outpost {

namespace {
// A coroutine that starts at once and frees its own frame at the end: the root of a tree of Tasks.
struct Detached {
  struct promise_type {
    Detached get_return_object() { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() {}
    void unhandled_exception() noexcept { std::terminate(); }  // run_detached catches everything itself
  };
};

Detached run_detached(Task<void> task, std::function<void(std::exception_ptr)> done) {
  std::exception_ptr error;
  try {
    co_await std::move(task);
  } catch (...) {
    error = std::current_exception();
  }
  if (done) done(error);
}
}  // namespace

void spawn(Task<void> task, std::function<void(std::exception_ptr)> done) {
  run_detached(std::move(task), std::move(done));
}

void StopSignal::raise() {
  if (raised_) return;
  raised_ = true;
  std::vector<std::shared_ptr<Sleeper>> sleepers;
  sleepers.swap(sleepers_);
  for (auto& sleeper : sleepers) {
    sleeper->timer.cancel();
    executor_.post(std::move(sleeper->wake));
  }
}

std::shared_ptr<StopSignal::Sleeper> StopSignal::add_sleeper() {
  auto sleeper = std::make_shared<Sleeper>();
  add_sleeper(sleeper);
  return sleeper;
}

void StopSignal::add_sleeper(std::shared_ptr<Sleeper> sleeper) { sleepers_.push_back(std::move(sleeper)); }

void StopSignal::remove_sleeper(const std::shared_ptr<Sleeper>& sleeper) {
  sleepers_.erase(std::remove(sleepers_.begin(), sleepers_.end(), sleeper), sleepers_.end());
}

void SleepFor::await_suspend(std::coroutine_handle<> awaiting) {
  sleeper_ = stop_.add_sleeper();
  sleeper_->wake = [awaiting] { awaiting.resume(); };
  std::weak_ptr<StopSignal::Sleeper> weak = sleeper_;
  sleeper_->timer = stop_.executor().schedule_after(delay_, [this, weak, awaiting] {
    if (weak.expired()) return;
    stop_.remove_sleeper(weak.lock());
    awaiting.resume();
  });
}

void SleepFor::await_resume() {
  if (stop_.raised()) throw Cancelled();
}

void Exchange::await_suspend(std::coroutine_handle<> awaiting) {
  http::ClientRequest request = std::move(*request_);
  request_.reset();
  // Takes the result by reference: the client's std::function passes it on as an rvalue, one move less per answer.
  client_.send(std::move(request), std::move(sink_), [this, awaiting](http::ClientResult&& result) {
    result_ = std::move(result);
    awaiting.resume();
  });
}

http::ClientResult Exchange::await_resume() {
  if (stop_.raised()) throw Cancelled();
  return std::move(result_);
}

void Trigger::notify() {
  if (stop_.raised()) return;  // the stop already woke (or will wake) the waiter
  if (waiter_) {
    resume_waiter();
  } else {
    pending_ = true;
  }
}

void Trigger::resume_waiter() {
  auto waiter = std::exchange(waiter_, nullptr);
  waiter->timer.cancel();
  stop_.remove_sleeper(waiter);
  stop_.executor().post(std::move(waiter->wake));
}

bool Trigger::Wait::await_ready() {
  if (trigger_.stop_.raised()) return true;
  return std::exchange(trigger_.pending_, false);
}

void Trigger::Wait::await_suspend(std::coroutine_handle<> awaiting) {
  Trigger& trigger = trigger_;
  if (!trigger.sleeper_) trigger.sleeper_ = std::make_shared<StopSignal::Sleeper>();
  auto waiter = trigger.sleeper_;
  trigger.stop_.add_sleeper(waiter);
  waiter->wake = [awaiting] { awaiting.resume(); };
  // Captures two words, no reference count: the timer's callback needs no allocation of its own.
  waiter->timer = trigger.stop_.executor().schedule_after(timeout_, [&trigger, wait = ++trigger.waits_] {
    if (!trigger.waiter_ || trigger.waits_ != wait) return;
    trigger.resume_waiter();
  });
  trigger.waiter_ = std::move(waiter);
}

void Trigger::Wait::await_resume() {
  if (trigger_.stop_.raised()) throw Cancelled();
}

}  // namespace outpost
