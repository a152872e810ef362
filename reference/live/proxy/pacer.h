#pragma once
// The bandwidth toxic's clock (and, shared by a link's connections, the link's own rate: link_pacer.h): when the next
// piece of a stream may go out so that the stream averages `rate` bytes per second. A virtual-time token bucket (GCRA):
// each piece of n bytes advances a "theoretical arrival time" by n / rate, and a piece may leave once that time has
// come. Timers that fire late are made up for (the schedule is kept against absolute time, with up to kCatchUp of
// credit) instead of the lateness accumulating, which is what keeps a 64 MiB transfer within a fraction of a percent
// of its rate; pieces are a few milliseconds of data, so the stream is smooth rather than one-second bursts.
#include <chrono>
#include <cstddef>

namespace outpost::live::proxy {

class Pacer {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::chrono::milliseconds kPieceTime{5};  // the largest piece is this much data at the rate
  static constexpr std::chrono::milliseconds kCatchUp{25};   // how far behind schedule a stream may catch up

  // The largest piece worth sending in one go at `bytes_per_second` (at least 1 byte, at most 64 KiB).
  static size_t piece_size(double bytes_per_second);

  // When the next piece may go out: `now` for an idle stream.
  Clock::time_point ready_at(Clock::time_point now) const;

  // `bytes` went out at `now` (at or after ready_at(now)).
  void sent(Clock::time_point now, size_t bytes, double bytes_per_second);

 private:
  bool started_ = false;
  Clock::time_point next_{};  // the theoretical arrival time
};

}  // namespace outpost::live::proxy
