#pragma once
// Seam: time. Live nodes read the system clock; simulated nodes read virtual time (with per-node skew).
#include <chrono>
#include <cstdint>

namespace outpost {

using Nanoseconds = std::chrono::nanoseconds;
using WallTime = std::chrono::time_point<std::chrono::system_clock, Nanoseconds>;

class Clock {
 public:
  virtual ~Clock() = default;
  // Wall time: JWT expiry, password expiry, TTLs, cron windows, timestamps in the API.
  virtual WallTime now() const = 0;
  // Monotonic time for durations (latency, backoff); never jumps when the wall clock is skewed.
  virtual Nanoseconds monotonic() const = 0;
};

class SystemClock final : public Clock {
 public:
  WallTime now() const override {
    return std::chrono::time_point_cast<Nanoseconds>(std::chrono::system_clock::now());
  }
  Nanoseconds monotonic() const override {
    return std::chrono::duration_cast<Nanoseconds>(std::chrono::steady_clock::now().time_since_epoch());
  }
};

}  // namespace outpost
