#pragma once
// The parts of a fault step beyond {at, action, target, for} and clock-skew's attributes (scenario_faults.cpp reads
// those): a partition's shape, level, direction and groups; a toxic; the attributes of lost-responses, stop, slow,
// jam and restore; the nemesis's rates for partition shapes and disk-full. Also how a step reads back (JSON) and in
// the trace. Every parser throws ScenarioError naming the place ("scenario.faults.timeline[3].shape: ...").
#include <string>

#include <nlohmann/json.hpp>

#include "simulator/world/scenario.h"
#include "simulator/world/scenario_fields.h"

namespace outpost::sim::world {

// Actions on a connected registry's uplink: their targets are connected registries, never the cloud.
bool acts_on_uplink(FaultAction action);

// True when a partition or a heal names its sides by "shape" or "groups" (then parse_partition_sides reads its
// targets); false when its "target" is one side, read as before.
bool names_sides(const Fields& step);
void parse_partition_sides(const Fields& step, FaultStep& out, const SimTopology& topology);

// Reads what the action carries (direction, toxic, the link actions' attributes) and refuses keys it does not take.
// True when it read "attributes" (the caller reads clock-skew's and refuses any other).
bool parse_step_details(const Fields& step, FaultStep& out);

// The step that a step's "for" adds, from a copy of it: what it must undo (a toxic's name, no lost responses, ...).
void end_step_details(FaultStep& end);

// The nemesis's "rates" object: every kind it may draw, with its rate.
void parse_nemesis_rates(const nlohmann::json& rates, const std::string& where, NemesisSpec& nemesis,
                         const SimTopology& topology);

// Adds a step's details to its JSON, so that the entry parses back into the same step (FaultStep::to_json).
void details_to_json(const FaultStep& step, nlohmann::json& out);

// The trace's words for a step: the action, then what it carries ("partition halves cloud,line1|factory,store").
std::string describe_fault(const FaultStep& step);

// The words of a partition shape's nemesis rate ("partition-halves").
std::string nemesis_rate_name(PartitionShapeKind kind);

}  // namespace outpost::sim::world
