#include "simulator/net/link_spec.h"

#include <cmath>
#include <stdexcept>

namespace outpost::sim {

Latency Latency::fixed(Nanoseconds delay) {
  if (delay < Nanoseconds(0)) throw std::invalid_argument("latency must not be negative");
  return Latency(Kind::Fixed, delay, Nanoseconds(0));
}

Latency Latency::uniform(Nanoseconds min, Nanoseconds max) {
  if (min < Nanoseconds(0) || max < min) throw std::invalid_argument("uniform latency needs 0 <= min <= max");
  return Latency(Kind::Uniform, min, max - min);
}

Latency Latency::exponential(Nanoseconds mean, Nanoseconds min) {
  if (min < Nanoseconds(0) || mean < Nanoseconds(0)) throw std::invalid_argument("latency must not be negative");
  return Latency(Kind::Exponential, min, mean);
}

Nanoseconds Latency::draw(Random& random) const {
  switch (kind_) {
    case Kind::Fixed:
      return min_;
    case Kind::Uniform:
      if (spread_.count() == 0) return min_;
      return min_ + Nanoseconds(static_cast<int64_t>(random.uniform(static_cast<uint64_t>(spread_.count()) + 1)));
    case Kind::Exponential: {
      if (spread_.count() == 0) return min_;
      // u in (0, 1] from 53 random bits (exact in a double); -ln(u) is at most 36.7, so the tail is bounded. The one
      // floating-point step is rounded to whole nanoseconds at once: event times stay integers.
      constexpr uint64_t kScale = uint64_t{1} << 53;
      const double u = static_cast<double>(random.uniform(kScale) + 1) / static_cast<double>(kScale);
      const double tail = -std::log(u) * static_cast<double>(spread_.count());
      return min_ + Nanoseconds(std::llround(tail));
    }
  }
  return min_;
}

}  // namespace outpost::sim
