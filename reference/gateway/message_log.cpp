#include "reference/gateway/message_log.h"

#include <algorithm>
#include <charconv>
#include <string_view>
#include <utility>

namespace outpost::gateway {

MessageLog::MessageLog(std::string epoch, size_t capacity) : epoch_(std::move(epoch)), capacity_(capacity) {}

void MessageLog::append(const oci::ContentChange& change, WallTime now) {
  std::vector<std::function<void()>> waiters;
  {
    std::lock_guard lock(mutex_);
    messages_.push_back({++last_sequence_, now, change});
    while (messages_.size() > capacity_) {
      dropped_through_ = messages_.front().sequence;
      messages_.pop_front();
    }
    waiters = take_waiters();
  }
  for (auto& wake : waiters) wake();
}

ReadResult MessageLog::read(const std::string& cursor, const std::function<bool(const oci::ContentChange&)>& wanted,
                            size_t limit, Nanoseconds ttl, WallTime now) const {
  std::lock_guard lock(mutex_);
  ReadResult result;
  if (cursor.empty()) {
    result.cursor = cursor_for(last_sequence_);
    return result;
  }
  // Exactly a cursor this log gives out: its epoch, '.', and the sequence's digits with nothing after them.
  const size_t dot = cursor.rfind('.');
  uint64_t after = 0;
  const char* const end = cursor.data() + cursor.size();
  const auto sequence = dot == std::string::npos ? std::from_chars_result{nullptr, std::errc::invalid_argument}
                                                 : std::from_chars(cursor.data() + dot + 1, end, after);
  if (dot == std::string::npos || std::string_view(cursor).substr(0, dot) != epoch_ || sequence.ec != std::errc{} ||
      sequence.ptr != end || after > last_sequence_ || after < dropped_through_) {
    result.expired = true;
    result.cursor = cursor_for(last_sequence_);
    return result;
  }
  uint64_t position = after;
  // Sequences are consecutive in messages_ (appended in order, dropped from the front only): the first message after
  // the cursor is found by its index, not by walking every message the child has already read.
  const uint64_t first = messages_.empty() ? 0 : messages_.front().sequence;
  const size_t skip = messages_.empty() || after < first ? 0 : static_cast<size_t>(after - first + 1);
  for (auto it = messages_.begin() + static_cast<std::ptrdiff_t>(std::min(skip, messages_.size()));
       it != messages_.end(); ++it) {
    const Message& message = *it;
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

std::optional<uint64_t> MessageLog::wait(std::function<void()> wake) {
  std::lock_guard lock(mutex_);
  if (closed_.load(std::memory_order_relaxed)) return std::nullopt;  // written under mutex_ too
  uint32_t slot = 0;
  if (free_slots_.empty()) {
    slot = static_cast<uint32_t>(waiters_.size());
    waiters_.emplace_back();
  } else {
    slot = free_slots_.back();
    free_slots_.pop_back();
  }
  Waiter& waiter = waiters_[slot];
  waiter.order = ++next_waiter_;
  if (++waiter.uses == 0) waiter.uses = 1;  // wrapped: an id is never 0
  waiter.wake = std::move(wake);
  return (uint64_t{waiter.uses} << 32) | slot;
}

void MessageLog::cancel_wait(uint64_t id) {
  std::lock_guard lock(mutex_);
  const auto slot = static_cast<uint32_t>(id);
  if (slot >= waiters_.size()) return;
  Waiter& waiter = waiters_[slot];
  if (waiter.order == 0 || waiter.uses != static_cast<uint32_t>(id >> 32)) return;  // woken or cancelled already
  waiter.order = 0;
  waiter.wake = nullptr;
  free_slots_.push_back(slot);
}

std::vector<std::function<void()>> MessageLog::take_waiters() {
  std::vector<std::pair<uint64_t, uint32_t>> waiting;  // (order, slot)
  for (uint32_t slot = 0; slot < waiters_.size(); ++slot)
    if (waiters_[slot].order != 0) waiting.emplace_back(waiters_[slot].order, slot);
  std::sort(waiting.begin(), waiting.end());
  std::vector<std::function<void()>> wakes;
  wakes.reserve(waiting.size());
  for (const auto& [order, slot] : waiting) {
    Waiter& waiter = waiters_[slot];
    wakes.push_back(std::move(waiter.wake));
    waiter.wake = nullptr;
    waiter.order = 0;
    free_slots_.push_back(slot);
  }
  return wakes;
}

void MessageLog::wake_all() {
  std::vector<std::function<void()>> waiters;
  {
    std::lock_guard lock(mutex_);
    waiters = take_waiters();
  }
  for (auto& wake : waiters) wake();
}

void MessageLog::close() {
  std::vector<std::function<void()>> waiters;
  {
    std::lock_guard lock(mutex_);
    closed_.store(true, std::memory_order_release);
    waiters = take_waiters();
  }
  for (auto& wake : waiters) wake();
}

void MessageLog::prune(WallTime now, Nanoseconds max_ttl) {
  std::lock_guard lock(mutex_);
  while (!messages_.empty() && now - messages_.front().time > max_ttl) {
    dropped_through_ = messages_.front().sequence;
    messages_.pop_front();
  }
}

std::string MessageLog::cursor_for(uint64_t sequence) const {
  // Written into one string: every read answers a cursor.
  char digits[20];
  const auto end = std::to_chars(digits, digits + sizeof digits, sequence).ptr;
  std::string cursor;
  cursor.reserve(epoch_.size() + 1 + static_cast<size_t>(end - digits));
  cursor += epoch_;
  cursor += '.';
  cursor.append(digits, end);
  return cursor;
}

std::string MessageLog::current_cursor() const {
  std::lock_guard lock(mutex_);
  return cursor_for(last_sequence_);
}

}  // namespace outpost::gateway
