#include "simulator/engine/event_loop.h"

#include <algorithm>

namespace outpost::sim {

void EventLoop::push(Nanoseconds at, std::function<void()> work, std::shared_ptr<std::atomic<bool>> cancelled) {
  queue_.push_back(Event{at, next_sequence_++, std::move(work), std::move(cancelled)});
  std::push_heap(queue_.begin(), queue_.end(), Later{});
}

void EventLoop::post(std::function<void()> work) {
  ready_.push_back(Event{now_, next_sequence_++, std::move(work), nullptr});
}

bool EventLoop::next_is_ready() const {
  if (ready_.empty()) return false;
  if (queue_.empty()) return true;
  return Later{}(queue_.front(), ready_.front());
}

TimerHandle EventLoop::schedule_after(Nanoseconds delay, std::function<void()> work) {
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  push(now_ + std::max(delay, Nanoseconds(0)), std::move(work), cancelled);
  return TimerHandle(std::move(cancelled));
}

bool EventLoop::run_one() {
  while (!queue_.empty() || !ready_.empty()) {
    Event event;
    if (next_is_ready()) {
      event = std::move(ready_.front());
      ready_.pop_front();
    } else {
      std::pop_heap(queue_.begin(), queue_.end(), Later{});
      event = std::move(queue_.back());
      queue_.pop_back();
    }
    now_ = event.time;
    if (event.cancelled && event.cancelled->load()) continue;
    ++dispatched_;
    event.work();
    return true;
  }
  return false;
}

void EventLoop::run_until(Nanoseconds deadline) {
  while ((!ready_.empty() && ready_.front().time <= deadline) || (!queue_.empty() && queue_.front().time <= deadline))
    run_one();
  now_ = std::max(now_, deadline);
}

uint64_t EventLoop::run(uint64_t max_events) {
  uint64_t count = 0;
  while (count < max_events && run_one()) ++count;
  return count;
}

}  // namespace outpost::sim
