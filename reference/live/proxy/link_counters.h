#pragma once
// A link's counters: updated by its connections' threads without locks, read as a snapshot by the API, and waitable
// (tests and harnesses block until a condition on them holds, instead of sleeping and hoping).
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include <nlohmann/json.hpp>

namespace outpost::live::proxy {

struct LinkCounters {
  uint64_t connections_total = 0;    // accepted while enabled (each one is then forwarded or fails to reach upstream)
  uint64_t connections_active = 0;   // open now
  uint64_t connections_refused = 0;  // accepted while the link was down, and reset at once
  uint64_t upstream_failures = 0;    // accepted, but the upstream could not be reached (the client is closed)
  uint64_t bytes_upstream = 0;       // client -> server bytes forwarded to the server
  uint64_t bytes_downstream = 0;     // server -> client bytes forwarded to the client
  uint64_t bytes_upstream_received = 0;    // client -> server bytes read from clients (forwarded, held or dropped)
  uint64_t bytes_downstream_received = 0;  // server -> client bytes read from the upstream
};
nlohmann::json to_json(const LinkCounters& counters);

class CounterBoard {
 public:
  enum Field {
    Total, Active, Refused, UpstreamFailures, BytesUp, BytesDown, BytesUpReceived, BytesDownReceived, kFields
  };

  void add(Field field, uint64_t amount = 1);
  void subtract(Field field, uint64_t amount = 1);
  LinkCounters snapshot() const;

  // Blocks until `condition` holds for a snapshot, or `timeout` passes; returns whether it held.
  bool wait_for(const std::function<bool(const LinkCounters&)>& condition, std::chrono::milliseconds timeout) const;

 private:
  void changed();

  std::atomic<uint64_t> values_[kFields] = {};
  // Writers only touch the mutex when someone waits: waiters_ is raised before a waiter reads the counters, so a
  // writer that sees 0 changed them before the waiter's first read (sequentially consistent atomics).
  mutable std::atomic<int> waiters_{0};
  mutable std::mutex mutex_;
  mutable std::condition_variable changed_;
};

}  // namespace outpost::live::proxy
