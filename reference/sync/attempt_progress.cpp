#include "reference/sync/attempt_progress.h"

namespace outpost::sync {

bool AttemptProgress::failed(uint64_t work, uint64_t answers, uint64_t subject) {
  const std::pair<uint64_t, uint64_t> point{subject, answers - answers_};
  const bool same_point = last_failure_ == point;
  last_failure_ = point;
  if (work != work_) return true;
  return point.second > 0 && !same_point;
}

}  // namespace outpost::sync
