#pragma once
// A node's view of time in a simulated world. Monotonic time is the event loop's virtual time, the same for every
// node and never going back. Wall time starts at the world's fixed start date and may differ per node: a constant
// skew, a drift (the node's clock runs fast or slow), and steps forward or backward (an operator or NTP setting the
// clock), each applied now or planned at a virtual time. Planned changes need no event on the loop, so planning them
// shifts no other event's sequence number.
#include <cstdint>
#include <vector>

#include "reference/common/clock.h"

namespace outpost::sim {

class EventLoop;

class VirtualClock final : public Clock {
 public:
  VirtualClock(const EventLoop& loop, WallTime start, Nanoseconds skew = Nanoseconds(0));

  // start + virtual time + this clock's offset (skew, drift and steps so far).
  WallTime now() const override;
  // The loop's virtual time: identical on every node, unaffected by skew, drift and steps.
  Nanoseconds monotonic() const override;

  // From now on the wall clock reads `skew` ahead of (or, negative, behind) the world's true time. Drift continues.
  void set_skew(Nanoseconds skew);
  // The wall clock jumps by `by`, forward or backward.
  void step(Nanoseconds by);
  // From now on the wall clock gains `ppm` nanoseconds per millisecond of true time (negative: loses); |ppm| <= 10^6.
  void set_drift(int64_t ppm);

  // The same, planned at virtual time `at` of the loop (a time already past means now). Changes planned for one time
  // apply in the order they were planned.
  void set_skew_at(Nanoseconds at, Nanoseconds skew);
  void step_at(Nanoseconds at, Nanoseconds by);
  void set_drift_at(Nanoseconds at, int64_t ppm);

  // How far this clock's wall time is from the world's true wall time now.
  Nanoseconds offset() const;
  WallTime start() const { return start_; }

 private:
  enum class Kind { Skew, Step, Drift };
  struct Change {
    Nanoseconds at;
    Kind kind;
    int64_t value;
  };
  void plan(Nanoseconds at, Kind kind, int64_t value);
  void catch_up() const;  // applies the planned changes whose time has come, in order
  void apply(const Change& change) const;
  Nanoseconds offset_at(Nanoseconds t) const;

  const EventLoop& loop_;
  WallTime start_;
  // The offset is offset_ at since_, plus the drift since then. Mutable: changes apply lazily when the clock is read.
  mutable Nanoseconds offset_;
  mutable Nanoseconds since_{0};
  mutable int64_t drift_ppm_ = 0;
  mutable std::vector<Change> planned_;  // sorted by time, then planning order
  mutable size_t applied_ = 0;           // how many of planned_ have applied (cleared once all have)
};

}  // namespace outpost::sim
