#include "simulator/check/world_history.h"

#include <algorithm>

namespace outpost::check {

WorldHistory::WorldHistory(World initial, WallTime since) { versions_.push_back({std::move(initial), since, {}}); }

void WorldHistory::record(World next, WallTime from) {
  versions_.push_back({std::move(next), std::max(from, versions_.back().since), {}});
}

std::pair<size_t, size_t> WorldHistory::current_during(WallTime at, Nanoseconds lag) const {
  // Versions begin in order (record() never moves one before the previous), so both ends are binary searches: this
  // runs several times per decision, and a run of small worlds records a version per management call.
  const auto begun_after = [](WallTime instant, const Version& version) { return instant < version.since; };
  const auto begun_before = [](const Version& version, WallTime instant) { return version.since < instant; };
  // The newest version that had begun by `at` (the first version counts as current from the start of time).
  const auto later = std::upper_bound(versions_.begin() + 1, versions_.end(), at, begun_after);
  const size_t last = static_cast<size_t>(later - versions_.begin()) - 1;
  // The oldest version still current at `at - lag`: it ended (its successor began) at or after that instant, i.e.
  // the one before the first of versions 1..last that began at or after it (or version 0, or `last` if none did).
  const WallTime from = lag >= at.time_since_epoch() ? WallTime{} : at - lag;  // a lag past the epoch: all history
  const auto ended = std::lower_bound(versions_.begin() + 1, later, from, begun_before);
  const size_t first = ended == later ? last : static_cast<size_t>(ended - versions_.begin()) - 1;
  return {first, last};
}

}  // namespace outpost::check
