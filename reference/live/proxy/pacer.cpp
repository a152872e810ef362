#include "reference/live/proxy/pacer.h"

#include <algorithm>
#include <cmath>

namespace outpost::live::proxy {

size_t Pacer::piece_size(double bytes_per_second) {
  const double bytes = bytes_per_second * std::chrono::duration<double>(kPieceTime).count();
  return static_cast<size_t>(std::clamp(std::floor(bytes), 1.0, 64.0 * 1024));
}

Pacer::Clock::time_point Pacer::ready_at(Clock::time_point now) const { return started_ ? next_ : now; }

void Pacer::sent(Clock::time_point now, size_t bytes, double bytes_per_second) {
  // A stream idle (or late) for longer than kCatchUp restarts its schedule from kCatchUp ago, not from when it last
  // sent: a pause must not earn an unbounded burst.
  const Clock::time_point base = started_ ? std::max(next_, now - kCatchUp) : now;
  const auto cost = std::chrono::duration<double>(static_cast<double>(bytes) / bytes_per_second);
  next_ = base + std::chrono::duration_cast<Clock::duration>(cost);
  started_ = true;
}

}  // namespace outpost::live::proxy
