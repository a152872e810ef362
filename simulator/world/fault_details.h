#pragma once
// What only some fault steps carry: how a partition chooses its sides (its shape and direction), and what a fault on
// a connected registry's uplink does (a toxic, lost responses, a stopped, slowed or jammed direction). Plain data, so
// scenario.h can hold it; docs/simulator.md ("faults") describes each.
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reference/common/clock.h"
#include "simulator/net/toxic.h"

namespace outpost::sim::world {

// The origin of the step that a step's "for" adds to undo it: "<origin of the step> (end)".
inline constexpr std::string_view kEndOfStep = " (end)";

// How a partition names its sides. `Nodes`: the step's targets are one side, every other node the other. The others
// expand into groups before the run (partition_shapes.h); halves, bridge and random-minority draw from the nemesis's
// stream, so a seed replays the same cut.
enum class PartitionShapeKind { Nodes, Subtree, Level, Uplink, Halves, Bridge, RandomMinority };
std::string_view to_string(PartitionShapeKind kind);
std::optional<PartitionShapeKind> parse_partition_shape(std::string_view text);
// True for the shapes whose groups are drawn at random.
bool is_random_shape(PartitionShapeKind kind);

struct PartitionShape {
  PartitionShapeKind kind = PartitionShapeKind::Nodes;
  unsigned level = 0;    // Level: the depth cut off from its parents and children (1: the cloud's children)
  bool one_way = false;  // only the bytes the first group sends across are lost; the other way still works
  bool operator==(const PartitionShape&) const = default;
};

// The largest clock skew, either way: a century. A node's wall time is the run's start date plus virtual time plus its
// skew, in 64-bit nanoseconds from 1970: a skew of 106751 days passed their end.
inline constexpr Nanoseconds kMaxClockSkew = std::chrono::hours(24) * 36500;

// A fault on the uplinks of the step's targets: the exchanges from a connected registry to its parent.
struct LinkFault {
  // toxic: the toxic to add (replacing one of the same name); remove-toxic: `toxic_name` only.
  std::optional<sim::Toxic> toxic;
  std::string toxic_name;
  bool down = false;            // a toxic of type "down" (the proxy disabled): the uplink cut, as by link-down
  nlohmann::json toxic_json;    // the toxic as the scenario gave it, for reports
  double toxicity = 0;          // lost-responses: the fraction of responses lost (0: off)
  bool upstream = true;         // stop, slow, jam, restore: the child -> parent bytes (requests)
  bool downstream = true;       // ... and the parent -> child bytes (responses)
  Nanoseconds extra{0};         // slow: added to every message
};

}  // namespace outpost::sim::world
