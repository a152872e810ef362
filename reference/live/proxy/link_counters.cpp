#include "reference/live/proxy/link_counters.h"

namespace outpost::live::proxy {

nlohmann::json to_json(const LinkCounters& c) {
  return {{"connections_total", c.connections_total},
          {"connections_active", c.connections_active},
          {"connections_refused", c.connections_refused},
          {"upstream_failures", c.upstream_failures},
          {"bytes_upstream", c.bytes_upstream},
          {"bytes_downstream", c.bytes_downstream},
          {"bytes_upstream_received", c.bytes_upstream_received},
          {"bytes_downstream_received", c.bytes_downstream_received}};
}

void CounterBoard::add(Field field, uint64_t amount) {
  values_[field].fetch_add(amount);
  changed();
}

void CounterBoard::subtract(Field field, uint64_t amount) {
  values_[field].fetch_sub(amount);
  changed();
}

void CounterBoard::changed() {
  if (waiters_.load() == 0) return;
  { std::lock_guard lock(mutex_); }  // a waiter between its check and its wait holds the mutex: no lost wake-up
  changed_.notify_all();
}

LinkCounters CounterBoard::snapshot() const {
  LinkCounters c;
  c.connections_total = values_[Total].load();
  c.connections_active = values_[Active].load();
  c.connections_refused = values_[Refused].load();
  c.upstream_failures = values_[UpstreamFailures].load();
  c.bytes_upstream = values_[BytesUp].load();
  c.bytes_downstream = values_[BytesDown].load();
  c.bytes_upstream_received = values_[BytesUpReceived].load();
  c.bytes_downstream_received = values_[BytesDownReceived].load();
  return c;
}

bool CounterBoard::wait_for(const std::function<bool(const LinkCounters&)>& condition,
                            std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(mutex_);
  waiters_.fetch_add(1);
  bool held = condition(snapshot());
  while (!held && changed_.wait_until(lock, deadline) != std::cv_status::timeout) held = condition(snapshot());
  if (!held) held = condition(snapshot());
  waiters_.fetch_sub(1);
  return held;
}

}  // namespace outpost::live::proxy
