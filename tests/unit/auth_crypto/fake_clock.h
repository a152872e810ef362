#pragma once
// A clock the test moves by hand: wall and monotonic time advance together unless a test skews one.
#include "reference/common/clock.h"

namespace outpost::testing {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(WallTime start = WallTime(std::chrono::seconds(1'700'000'000))) : wall_(start) {}
  WallTime now() const override { return wall_; }
  Nanoseconds monotonic() const override { return monotonic_; }
  void advance(Nanoseconds by) {
    wall_ += by;
    monotonic_ += by;
  }
  void set_wall(WallTime time) { wall_ = time; }

 private:
  WallTime wall_;
  Nanoseconds monotonic_{std::chrono::seconds(1000)};
};

}  // namespace outpost::testing
