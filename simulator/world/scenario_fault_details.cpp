#include "simulator/world/scenario_fault_details.h"

#include <algorithm>
#include <map>
#include <set>
#include <stdexcept>

#include "reference/common/toxic_vocabulary.h"
#include "simulator/world/partition_shapes.h"
#include "simulator/world/quantities.h"

namespace outpost::sim::world {

using nlohmann::json;

namespace {

struct ShapeName {
  PartitionShapeKind kind;
  std::string_view name;
};
constexpr ShapeName kShapes[] = {{PartitionShapeKind::Nodes, "nodes"},     {PartitionShapeKind::Subtree, "subtree"},
                                 {PartitionShapeKind::Level, "level"},     {PartitionShapeKind::Uplink, "uplink"},
                                 {PartitionShapeKind::Halves, "halves"},   {PartitionShapeKind::Bridge, "bridge"},
                                 {PartitionShapeKind::RandomMinority, "random-minority"}};
constexpr PartitionShapeKind kNemesisShapes[] = {PartitionShapeKind::Level, PartitionShapeKind::Halves,
                                                 PartitionShapeKind::Bridge, PartitionShapeKind::RandomMinority};
constexpr std::string_view kToxicTypes =
    "latency, bandwidth, timeout, reset_peer, limit_data, slicer, slow_close, down";

std::string shape_list() {
  std::string list;
  for (const ShapeName& shape : kShapes) list += (list.empty() ? "" : ", ") + std::string(shape.name);
  return list;
}

// Nodes (the cloud and every connected registry) a shape needs at least: two sides, or two sides and a bridge.
size_t nodes_needed(PartitionShapeKind kind) {
  return kind == PartitionShapeKind::Bridge || kind == PartitionShapeKind::RandomMinority ? 3 : 2;
}

void check_node_count(const Fields& fields, const char* key, PartitionShapeKind kind, const SimTopology& topology) {
  const size_t nodes = topology.cluster.nodes.size() + 1;
  if (nodes < nodes_needed(kind))
    fields.fail(key, "a " + std::string(to_string(kind)) + " partition needs " + std::to_string(nodes_needed(kind)) +
                         " nodes at least (the cloud included); the topology has " + std::to_string(nodes));
}

bool is_connected_registry(const SimTopology& topology, const std::string& name) {
  return topology.cluster.node(name) != nullptr;
}

std::string toxic_name_of(const Fields& toxic, const std::string& fallback) {
  const std::string name = toxic.string("name").value_or(fallback);
  // The names the proxy accepts, so a plan that runs here also runs against a live cluster.
  if (!toxics::is_valid_name(name)) toxic.fail("name", "must be " + std::string(toxics::kNameRule));
  return name;
}

void require_toxic_type(const Fields& toxic, const std::string& type) {
  if (type != "down" && !sim::parse_toxic_type(type))
    toxic.fail("type", "'" + type + "' is not a toxic: " + std::string(kToxicTypes));
}

std::string stream_of(const Fields& toxic) {
  const std::string stream = toxic.string("stream").value_or("downstream");
  if (!sim::parse_stream(stream)) toxic.fail("stream", "must be upstream (the request) or downstream (the response)");
  return stream;
}

void parse_toxic(const Fields& step, FaultStep& out) {
  const json* value = step.get("toxic");
  if (!value)
    step.fail("toxic", "is required: {\"type\": \"latency\", \"attributes\": {\"latency\": 200}, \"stream\": "
                       "\"downstream\", \"toxicity\": 1}");
  const Fields toxic(*value, step.at("toxic"), {"type", "attributes", "stream", "toxicity", "name"});
  const std::string type = toxic.required_string("type");
  require_toxic_type(toxic, type);
  out.link.toxic_json = *value;
  if (type == "down") {
    // The proxy's `down` is the proxy switched off: nothing passes, whatever the stream; it has no toxicity.
    for (const char* key : {"attributes", "stream", "toxicity"})
      if (toxic.has(key)) toxic.fail(key, "a down toxic takes none: it cuts the uplink, as link-down does");
    out.link.down = true;
    out.link.toxic_name = toxic_name_of(toxic, "down");
    return;
  }
  std::map<std::string, double> attributes;
  if (const json* given = toxic.get("attributes")) {
    if (!given->is_object())
      toxic.fail("attributes", "must be an object of numbers in the proxy's units, e.g. {\"latency\": 200}");
    for (const auto& [key, number] : given->items()) {
      if (!number.is_number())
        scenario_fail(toxic.at("attributes") + "." + key, "must be a number (milliseconds, KB/s or bytes, as the "
                                                          "proxy takes it)");
      attributes[key] = number.get<double>();
    }
  }
  const std::string stream = stream_of(toxic);
  const double toxicity = toxic.number("toxicity", 0, 1).value_or(1.0);
  const std::string name = toxic_name_of(toxic, type + "_" + stream);
  try {
    out.link.toxic = sim::make_toxic(type, attributes, stream, toxicity, name);
  } catch (const std::invalid_argument& error) {  // what is left to refuse is in the attributes
    toxic.fail("attributes", error.what());
  }
  out.link.toxic_name = name;
}

// remove-toxic: {"name"}, or {"type", "stream"} for a toxic that took its default name.
void parse_toxic_name(const Fields& step, FaultStep& out) {
  const json* value = step.get("toxic");
  if (!value) step.fail("toxic", "is required: {\"name\": \"latency_downstream\"} or {\"type\", \"stream\"}");
  const Fields toxic(*value, step.at("toxic"), {"name", "type", "stream"});
  std::string fallback;
  if (const auto type = toxic.string("type")) {
    require_toxic_type(toxic, *type);
    fallback = *type == "down" ? "down" : *type + "_" + stream_of(toxic);
  } else if (!toxic.has("name")) {
    toxic.fail("name", "is required (or the toxic's type and stream, when it took its default name)");
  }
  out.link.toxic_name = toxic_name_of(toxic, fallback);
  out.link.toxic_json = {{"name", out.link.toxic_name}};
}

// stop, slow, jam, restore: {"stream": "upstream" | "downstream" | "both"} and, for slow, {"latency": "200ms"}.
void parse_link_state(const Fields& step, FaultStep& out) {
  const bool slow = out.action == FaultAction::Slow;
  const json empty = json::object();
  const json* value = step.get("attributes");
  if (!value && slow) step.fail("attributes", "slow needs {\"latency\": \"200ms\"}: what it adds to every message");
  const Fields attributes(value ? *value : empty, step.at("attributes"),
                          slow ? std::initializer_list<std::string_view>{"stream", "latency"}
                               : std::initializer_list<std::string_view>{"stream"});
  const std::string stream = attributes.string("stream").value_or("both");
  if (stream != "both" && stream != "upstream" && stream != "downstream")
    attributes.fail("stream", "must be upstream (child -> parent: requests), downstream (parent -> child: "
                              "responses) or both");
  out.link.upstream = stream != "downstream";
  out.link.downstream = stream != "upstream";
  if (slow) {
    const auto latency = attributes.duration("latency");
    if (!latency || *latency <= Nanoseconds(0))
      attributes.fail("latency", "is required and longer than zero: what slow adds to every message, e.g. \"200ms\"");
    out.link.extra = *latency;
  }
}

void parse_lost_responses(const Fields& step, FaultStep& out) {
  const json empty = json::object();
  const json* value = step.get("attributes");
  const Fields attributes(value ? *value : empty, step.at("attributes"), {"toxicity"});
  out.link.toxicity = attributes.number("toxicity", 0, 1).value_or(1.0);
}

PartitionGroups parse_groups(const Fields& step, const SimTopology& topology) {
  const json& value = *step.get("groups");
  const std::string where = step.at("groups");
  if (!value.is_array() || value.size() < 2)
    step.fail("groups", "must be an array of two groups at least, each an array of node names");
  PartitionGroups groups;
  std::set<std::string> seen;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    if (!value[i].is_array() || value[i].empty()) scenario_fail(at, "must be a non-empty array of node names");
    std::vector<std::string> group;
    for (const json& name : value[i]) {
      if (!name.is_string()) scenario_fail(at, "must hold node names (strings)");
      const std::string node = name.get<std::string>();
      if (node != cli::kCloudNodeName && !is_connected_registry(topology, node))
        scenario_fail(at, "'" + node + "' is not a node of the topology");
      if (std::find(group.begin(), group.end(), node) != group.end())
        scenario_fail(at, "'" + node + "' is named twice");
      group.push_back(node);
      seen.insert(node);
    }
    if (group.size() == topology.cluster.nodes.size() + 1)
      scenario_fail(at, "holds every node: nothing would be cut");
    std::sort(group.begin(), group.end());
    groups.push_back(std::move(group));
  }
  std::vector<std::string> all = {std::string(cli::kCloudNodeName)};
  for (const cli::NodeSpec& node : topology.cluster.nodes) all.push_back(node.name);
  for (const std::string& node : all)
    if (!seen.contains(node))
      step.fail("groups", "'" + node + "' is in no group: give every node one (a node alone is a group of one)");
  return groups;
}

std::string joined(const std::vector<std::string>& names, std::string_view separator = ",") {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : std::string(separator)) + name;
  return out;
}

std::string streams_of(const LinkFault& link) {
  return link.upstream && link.downstream ? "both" : link.upstream ? "upstream" : "downstream";
}

}  // namespace

std::string_view to_string(PartitionShapeKind kind) {
  for (const ShapeName& shape : kShapes)
    if (shape.kind == kind) return shape.name;
  return "nodes";
}

std::optional<PartitionShapeKind> parse_partition_shape(std::string_view text) {
  for (const ShapeName& shape : kShapes)
    if (shape.name == text) return shape.kind;
  return std::nullopt;
}

bool is_random_shape(PartitionShapeKind kind) {
  return kind == PartitionShapeKind::Halves || kind == PartitionShapeKind::Bridge ||
         kind == PartitionShapeKind::RandomMinority;
}

std::string nemesis_rate_name(PartitionShapeKind kind) { return "partition-" + std::string(to_string(kind)); }

bool acts_on_uplink(FaultAction action) {
  switch (action) {
    case FaultAction::LinkDown:
    case FaultAction::LinkUp:
    case FaultAction::Toxic:
    case FaultAction::RemoveToxic:
    case FaultAction::LostResponses:
    case FaultAction::Stop:
    case FaultAction::Slow:
    case FaultAction::Jam:
    case FaultAction::Restore: return true;
    default: return false;
  }
}

bool names_sides(const Fields& step) {
  if (step.has("groups")) return true;
  const json* shape = step.get("shape");
  return shape && !(shape->is_string() && shape->get<std::string>() == "nodes");
}

void parse_partition_sides(const Fields& step, FaultStep& out, const SimTopology& topology) {
  const auto shape_named = [&step]() -> std::optional<PartitionShapeKind> {
    const auto name = step.string("shape");
    if (!name) return std::nullopt;
    const auto kind = parse_partition_shape(*name);
    if (!kind) step.fail("shape", "'" + *name + "' is not a partition shape: " + shape_list());
    return kind;
  };
  if (step.has("groups")) {
    // Sides given in full (as a report lists an expanded partition): a shape with them is only its name.
    if (step.has("target")) step.fail("target", "give the sides as groups or as a target, not both");
    out.groups = parse_groups(step, topology);
    out.targets = out.groups.front();
    out.shape.kind = shape_named().value_or(PartitionShapeKind::Nodes);
    out.shape.level = static_cast<unsigned>(step.whole("level", 1, 1000).value_or(0));
    return;
  }
  if (out.action == FaultAction::Heal)
    step.fail("shape", "a heal names a shaped partition by its groups (as the report lists them); or end the "
                       "partition with its \"for\", or heal every partition with no target");
  const PartitionShapeKind kind = *shape_named();
  out.shape.kind = kind;
  const std::vector<std::string> targets = step.strings("target").value_or(std::vector<std::string>{});
  if (kind == PartitionShapeKind::Subtree || kind == PartitionShapeKind::Uplink) {
    const std::string what = kind == PartitionShapeKind::Subtree ? "the root of the subtree cut off"
                                                                 : "the node whose uplink is cut";
    if (targets.size() != 1)
      step.fail("target", "a " + std::string(to_string(kind)) + " partition names one connected registry: " + what);
    if (!is_connected_registry(topology, targets[0]))
      step.fail("target", "'" + targets[0] + "' is not a connected registry of the topology (" + what + ")");
    out.targets = targets;
  } else if (!targets.empty()) {
    step.fail("target", "a " + std::string(to_string(kind)) + " partition takes no target: " +
                            (kind == PartitionShapeKind::Level ? "it cuts every node at its level"
                                                               : "its sides are drawn from every node"));
  }
  if (kind == PartitionShapeKind::Level) {
    const unsigned deepest = max_depth(topology);
    if (deepest == 0) step.fail("shape", "the topology has no connected registry to cut off");
    const auto level = step.whole("level", 1, deepest);
    if (!level) step.fail("level", "is required: the depth cut off, 1 (the cloud's children) to " +
                                       std::to_string(deepest));
    out.shape.level = static_cast<unsigned>(*level);
  } else {
    if (step.has("level")) step.fail("level", "only a level partition takes a level");
    check_node_count(step, "shape", kind, topology);
  }
}

bool parse_step_details(const Fields& step, FaultStep& out) {
  const auto refuse = [&step](const char* key, const std::string& why) {
    if (step.has(key)) step.fail(key, why);
  };
  const bool partition = out.action == FaultAction::Partition;
  if (!partition && out.action != FaultAction::Heal) {
    refuse("shape", "only a partition takes a shape (and the heal of one, with its groups)");
    refuse("groups", "only a partition takes groups (and the heal of one)");
  }
  if (!partition) refuse("direction", "only a partition takes a direction");
  if (step.has("level") && out.groups.empty() && !(partition && out.shape.kind == PartitionShapeKind::Level))
    step.fail("level", "goes with a level partition (\"shape\": \"level\")");
  if (partition) {
    const std::string direction = step.string("direction").value_or("two-way");
    if (direction != "two-way" && direction != "one-way")
      step.fail("direction", "must be two-way (the default) or one-way (what the first side sends is lost)");
    out.shape.one_way = direction == "one-way";
  }
  if (out.action == FaultAction::Toxic) {
    parse_toxic(step, out);
  } else if (out.action == FaultAction::RemoveToxic) {
    parse_toxic_name(step, out);
  } else {
    refuse("toxic", "only toxic and remove-toxic take a toxic");
  }
  switch (out.action) {
    case FaultAction::LostResponses: parse_lost_responses(step, out); return true;
    case FaultAction::Stop:
    case FaultAction::Slow:
    case FaultAction::Jam:
    case FaultAction::Restore: parse_link_state(step, out); return true;
    default: return false;
  }
}

void end_step_details(FaultStep& end) {
  switch (end.action) {
    case FaultAction::RemoveToxic:
      end.link.toxic.reset();
      end.link.toxic_json = {{"name", end.link.toxic_name}};
      break;
    case FaultAction::LostResponses: end.link.toxicity = 0; break;
    case FaultAction::Restore: end.link.extra = Nanoseconds(0); break;
    default: break;
  }
}

void parse_nemesis_rates(const json& rates, const std::string& where, NemesisSpec& nemesis,
                         const SimTopology& topology) {
  const Fields fields(rates, where,
                      {"link-down", "partition", "crash", "pause", "clock-skew", "disk-full", "partition-level",
                       "partition-halves", "partition-bridge", "partition-random-minority"});
  for (const char* kind : {"link-down", "partition", "crash", "pause", "clock-skew", "disk-full"})
    if (const auto rate = fields.per_hour(kind)) nemesis.per_hour[*parse_fault_action(kind)] = *rate;
  for (const PartitionShapeKind kind : kNemesisShapes) {
    const std::string key = nemesis_rate_name(kind);
    const auto rate = fields.per_hour(key.c_str());
    if (!rate) continue;
    if (kind == PartitionShapeKind::Level && topology.cluster.nodes.empty())
      fields.fail(key, "the topology has no connected registry to cut off");
    check_node_count(fields, key.c_str(), kind, topology);
    nemesis.partitions_per_hour[kind] = *rate;
  }
}

void details_to_json(const FaultStep& step, json& out) {
  switch (step.action) {
    case FaultAction::Partition:
    case FaultAction::Heal:
      if (step.shape.kind != PartitionShapeKind::Nodes) out["shape"] = to_string(step.shape.kind);
      if (step.shape.kind == PartitionShapeKind::Level) out["level"] = step.shape.level;
      if (step.action == FaultAction::Partition && step.shape.one_way) out["direction"] = "one-way";
      if (!step.groups.empty()) {
        out.erase("target");
        out["groups"] = step.groups;
      }
      break;
    case FaultAction::Toxic:
    case FaultAction::RemoveToxic: out["toxic"] = step.link.toxic_json; break;
    case FaultAction::LostResponses: out["attributes"] = {{"toxicity", step.link.toxicity}}; break;
    case FaultAction::Stop:
    case FaultAction::Slow:
    case FaultAction::Jam:
    case FaultAction::Restore: {
      json attributes = json::object();
      if (!(step.link.upstream && step.link.downstream)) attributes["stream"] = streams_of(step.link);
      if (step.action == FaultAction::Slow) attributes["latency"] = format_duration(step.link.extra);
      if (!attributes.empty()) out["attributes"] = attributes;
      break;
    }
    default: break;
  }
}

std::string describe_fault(const FaultStep& step) {
  std::string detail(to_string(step.action));
  switch (step.action) {
    case FaultAction::ClockSkew: detail += " " + format_signed_duration(step.skew); break;
    case FaultAction::Partition:
    case FaultAction::Heal:
      if (step.shape.kind != PartitionShapeKind::Nodes) detail += " " + std::string(to_string(step.shape.kind));
      if (step.shape.kind == PartitionShapeKind::Level) detail += " " + std::to_string(step.shape.level);
      if (step.action == FaultAction::Partition && step.shape.one_way) detail += " one-way";
      if (!step.groups.empty()) {
        std::string groups;
        for (const auto& group : step.groups) groups += (groups.empty() ? "" : "|") + joined(group);
        detail += " " + groups;
      }
      break;
    case FaultAction::Toxic: detail += " " + step.link.toxic_name + " " + step.link.toxic_json.dump(); break;
    case FaultAction::RemoveToxic: detail += " " + step.link.toxic_name; break;
    case FaultAction::LostResponses: detail += " " + json(step.link.toxicity).dump(); break;
    case FaultAction::Stop:
    case FaultAction::Jam:
    case FaultAction::Restore: detail += " " + streams_of(step.link); break;
    case FaultAction::Slow: detail += " " + streams_of(step.link) + " " + format_duration(step.link.extra); break;
    default: break;
  }
  return detail;
}

}  // namespace outpost::sim::world
