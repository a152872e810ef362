#include "reference/gateway/message_log.h"

#include <charconv>

namespace outpost::gateway {

MessageLog::MessageLog(std::string epoch, size_t capacity) : epoch_(std::move(epoch)), capacity_(capacity) {}

void MessageLog::append(const oci::ContentChange& change, WallTime now) {
  std::map<uint64_t, std::function<void()>> waiters;
  {
    std::lock_guard lock(mutex_);
    messages_.push_back({++last_sequence_, now, change});
    while (messages_.size() > capacity_) {
      dropped_through_ = messages_.front().sequence;
      messages_.pop_front();
    }
    waiters.swap(waiters_);
  }
  for (auto& [id, wake] : waiters) wake();
}

ReadResult MessageLog::read(const std::string& cursor, const std::function<bool(const oci::ContentChange&)>& wanted,
                            size_t limit, Nanoseconds ttl, WallTime now) const {
  std::lock_guard lock(mutex_);
  ReadResult result;
  if (cursor.empty()) {
    result.cursor = cursor_for(last_sequence_);
    return result;
  }
  const size_t dot = cursor.rfind('.');
  uint64_t after = 0;
  if (dot == std::string::npos || cursor.substr(0, dot) != epoch_ ||
      std::from_chars(cursor.data() + dot + 1, cursor.data() + cursor.size(), after).ec != std::errc{} ||
      after > last_sequence_ || after < dropped_through_) {
    result.expired = true;
    result.cursor = cursor_for(last_sequence_);
    return result;
  }
  uint64_t position = after;
  for (const Message& message : messages_) {
    if (message.sequence <= after) continue;
    if (now - message.time > ttl) {  // waited longer than the child's TTL: the queue is no longer whole for it
      result.expired = true;
      result.messages.clear();
      result.cursor = cursor_for(last_sequence_);
      return result;
    }
    if (result.messages.size() >= limit) break;
    position = message.sequence;
    if (wanted(message.change)) result.messages.push_back(message);
  }
  result.cursor = cursor_for(position);
  return result;
}

uint64_t MessageLog::wait(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  const uint64_t id = ++next_waiter_;
  waiters_.emplace(id, std::move(wake));
  return id;
}

void MessageLog::cancel_wait(uint64_t id) {
  std::lock_guard lock(mutex_);
  waiters_.erase(id);
}

void MessageLog::wake_all() {
  std::map<uint64_t, std::function<void()>> waiters;
  {
    std::lock_guard lock(mutex_);
    waiters.swap(waiters_);
  }
  for (auto& [id, wake] : waiters) wake();
}

void MessageLog::close() {
  closed_.store(true, std::memory_order_release);
  wake_all();
}

void MessageLog::prune(WallTime now, Nanoseconds max_ttl) {
  std::lock_guard lock(mutex_);
  while (!messages_.empty() && now - messages_.front().time > max_ttl) {
    dropped_through_ = messages_.front().sequence;
    messages_.pop_front();
  }
}

std::string MessageLog::current_cursor() const {
  std::lock_guard lock(mutex_);
  return cursor_for(last_sequence_);
}

}  // namespace outpost::gateway
