#include "simulator/check/world_history.h"

namespace outpost::check {

WorldHistory::WorldHistory(World initial, WallTime since) { versions_.push_back({std::move(initial), since}); }

void WorldHistory::record(World next, WallTime from) {
  versions_.push_back({std::move(next), std::max(from, versions_.back().since)});
}

std::pair<size_t, size_t> WorldHistory::current_during(WallTime at, Nanoseconds lag) const {
  // The newest version that had begun by `at` (the first version counts as current from the start of time).
  size_t last = 0;
  while (last + 1 < versions_.size() && versions_[last + 1].since <= at) ++last;
  // The oldest version still current at `at - lag`: it ended (its successor began) at or after that instant.
  const WallTime from = lag >= at.time_since_epoch() ? WallTime{} : at - lag;  // a lag past the epoch: all history
  size_t first = last;
  while (first > 0 && versions_[first].since >= from) --first;
  return {first, last};
}

}  // namespace outpost::check
