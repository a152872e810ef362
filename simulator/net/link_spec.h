#pragma once
// What a simulated link is made of: per direction, a one-way latency distribution and a bandwidth. Latencies are drawn
// through the world's Random seam, one draw per message, so a seed replays exactly.
#include <cstdint>

#include "reference/common/clock.h"
#include "reference/common/random.h"

namespace outpost::sim {

class Latency {
 public:
  enum class Kind { Fixed, Uniform, Exponential };

  Latency() = default;  // zero
  static Latency fixed(Nanoseconds delay);
  // Uniform over [min, max], both included.
  static Latency uniform(Nanoseconds min, Nanoseconds max);
  // `min` plus an exponential tail of mean `mean` (TigerBeetle's packet simulator shape): most messages near the
  // minimum, a few much later.
  static Latency exponential(Nanoseconds mean, Nanoseconds min = Nanoseconds(0));

  // Draws one delay; a fixed latency draws nothing, so adding one does not shift the world's random sequence.
  Nanoseconds draw(Random& random) const;
  Kind kind() const { return kind_; }
  Nanoseconds min() const { return min_; }
  Nanoseconds spread() const { return spread_; }  // max - min (uniform), the mean of the tail (exponential)

 private:
  Latency(Kind kind, Nanoseconds min, Nanoseconds spread) : kind_(kind), min_(min), spread_(spread) {}
  Kind kind_ = Kind::Fixed;
  Nanoseconds min_{0};
  Nanoseconds spread_{0};
};

// One direction of a link: bytes from one host to the other.
struct DirectionSpec {
  Latency latency;
  uint64_t bytes_per_second = 0;  // shared fairly by the transfers in this direction; 0: unlimited
};

struct LinkSpec {
  DirectionSpec forward;   // from the first host named to the second
  DirectionSpec backward;  // from the second to the first
  static LinkSpec symmetric(Latency latency, uint64_t bytes_per_second = 0) {
    return LinkSpec{{latency, bytes_per_second}, {latency, bytes_per_second}};
  }
};

}  // namespace outpost::sim
