#pragma once
// The World over time: each version and the instant it became the cloud's truth. Nodes below the cloud learn of a
// change some time after it (SPEC 5.2), so a decision at a node is judged against every version the node may still
// hold, not only the newest.
#include <cstddef>
#include <vector>

#include "reference/common/clock.h"
#include "simulator/check/world.h"
#include "simulator/check/world_memo.h"

namespace outpost::check {

class WorldHistory {
 public:
  WorldHistory(World initial, WallTime since);

  // A new version, current from `from` (not before the previous version's start: it is moved up if it is).
  void record(World next, WallTime from);
  const World& current() const { return versions_.back().world; }
  size_t size() const { return versions_.size(); }
  const World& world(size_t version) const { return versions_.at(version).world; }
  WallTime since(size_t version) const { return versions_.at(version).since; }
  // What the oracle worked out from that version so far (world_memo.h).
  const WorldMemo& memo(size_t version) const { return versions_.at(version).memo; }

  // The versions a node may hold at `at` if it may lag by `lag`: every version that was current at some instant of
  // [at - lag, at] (both ends included, so a change and a request at the same instant may be seen either way).
  // As [first, last], inclusive.
  std::pair<size_t, size_t> current_during(WallTime at, Nanoseconds lag) const;

 private:
  struct Version {
    World world;
    WallTime since;
    WorldMemo memo;
  };
  std::vector<Version> versions_;
};

}  // namespace outpost::check
