#pragma once
// Capped exponential backoff with full jitter: how a connected registry paces its retries against an unreachable parent
// (SPEC 5.6). Full jitter (a delay drawn uniformly from [0, ceiling]) keeps many children that lost the same parent from
// retrying in lockstep; drawing it from the Random seam lets a seeded simulation replay the exact same retry times.
#include "reference/common/clock.h"
#include "reference/common/random.h"

namespace outpost::sync {

class Backoff {
 public:
  // Throws std::invalid_argument unless 0 < initial <= cap and factor >= 1.
  Backoff(Nanoseconds initial, Nanoseconds cap, double factor = 2.0);

  // The delay before the next attempt, uniform in [0, ceiling()]; then the ceiling grows by `factor`, up to `cap`.
  Nanoseconds next(Random& random);
  // After a success: the next delay is drawn from [0, initial] again.
  void reset();
  // How many delays were handed out since construction or the last reset.
  unsigned attempts() const { return attempts_; }
  // The upper bound of the next delay (for logs and status details).
  Nanoseconds ceiling() const { return ceiling_; }

 private:
  Nanoseconds initial_;
  Nanoseconds cap_;
  double factor_;
  Nanoseconds ceiling_;
  unsigned attempts_ = 0;
};

}  // namespace outpost::sync
