#include "reference/live/proxy/link_pacer.h"

#include <algorithm>

namespace outpost::live::proxy {

bool LinkPacer::set_rate(double bytes_per_second) {
  std::lock_guard lock(mutex_);
  if (bytes_per_second == rate_) return false;
  rate_ = bytes_per_second;
  ++schedule_;
  pacer_ = Pacer{};
  return true;
}

std::optional<LinkPacer::Slot> LinkPacer::book(Clock::time_point now, size_t wanted) {
  std::lock_guard lock(mutex_);
  if (rate_ <= 0 || wanted == 0) return std::nullopt;
  const size_t bytes = std::min(wanted, Pacer::piece_size(rate_));
  // A schedule left behind by more than the catch-up (the link idle, not a holder a little late) starts again from
  // now: a link has no burst to give after a pause (the simulator's links have none either), where the Pacer alone
  // would let the next kCatchUp of data go at once.
  if (pacer_.ready_at(now) < now - Pacer::kCatchUp) pacer_ = Pacer{};
  // The slot starts where the schedule stands (the end of the last booking), or now when the schedule is behind (idle
  // for a while, or its last holder late); booking it moves the schedule on by the piece's time at the rate, so the
  // next booking starts after it.
  const Slot slot{std::max(now, pacer_.ready_at(now)), bytes, schedule_};
  pacer_.sent(now, bytes, rate_);
  return slot;
}

bool LinkPacer::valid(const Slot& slot) const {
  std::lock_guard lock(mutex_);
  return slot.schedule == schedule_;
}

}  // namespace outpost::live::proxy
