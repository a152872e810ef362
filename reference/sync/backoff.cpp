#include "reference/sync/backoff.h"

#include <cmath>
#include <stdexcept>

namespace outpost::sync {

Backoff::Backoff(Nanoseconds initial, Nanoseconds cap, double factor)
    : initial_(initial), cap_(cap), factor_(factor), ceiling_(initial) {
  if (initial <= Nanoseconds::zero() || cap < initial)
    throw std::invalid_argument("backoff needs 0 < initial delay <= cap");
  if (!(factor >= 1.0) || !std::isfinite(factor)) throw std::invalid_argument("backoff factor must be at least 1");
}

Nanoseconds Backoff::next(Random& random) {
  const Nanoseconds delay(static_cast<Nanoseconds::rep>(random.uniform(static_cast<uint64_t>(ceiling_.count()) + 1)));
  // Grow in floating point and compare before converting back, so a long outage cannot overflow the count.
  const double grown = static_cast<double>(ceiling_.count()) * factor_;
  ceiling_ = grown >= static_cast<double>(cap_.count()) ? cap_ : Nanoseconds(static_cast<Nanoseconds::rep>(grown));
  if (attempts_ < ~0u) ++attempts_;
  return delay;
}

void Backoff::reset() {
  ceiling_ = initial_;
  attempts_ = 0;
}

}  // namespace outpost::sync
