#include "reference/sync/attempt_progress.h"

namespace outpost::sync {

bool AttemptProgress::failed(const Counts& counts, uint64_t subject) {
  const std::pair<uint64_t, uint64_t> point{subject, counts.answered - before_.answered};
  const bool same_point = last_failure_ == point;
  last_failure_ = point;
  if (counts.work != before_.work) return true;
  const bool lost_an_exchange = counts.lost != before_.lost;
  return lost_an_exchange && point.second > 0 && !same_point;
}

}  // namespace outpost::sync
