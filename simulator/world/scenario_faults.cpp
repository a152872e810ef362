// The faults section: a timeline of {at, action, target, attributes} and/or a seeded random nemesis. Steps with
// "for" carry their own undoing (link-down for 2m is a link-down and, two minutes later, a link-up).
#include <algorithm>
#include <set>

#include "simulator/world/quantities.h"
#include "simulator/world/scenario_fault_details.h"
#include "simulator/world/scenario_fields.h"
#include "simulator/world/scenario_sections.h"

namespace outpost::sim::world {

using nlohmann::json;

namespace {

struct ActionName {
  FaultAction action;
  std::string_view name;
};
constexpr ActionName kActions[] = {
    {FaultAction::LinkDown, "link-down"}, {FaultAction::LinkUp, "link-up"},   {FaultAction::Partition, "partition"},
    {FaultAction::Heal, "heal"},          {FaultAction::Crash, "crash"},      {FaultAction::Restart, "restart"},
    {FaultAction::Pause, "pause"},        {FaultAction::Resume, "resume"},    {FaultAction::ClockSkew, "clock-skew"},
    {FaultAction::Toxic, "toxic"},        {FaultAction::RemoveToxic, "remove-toxic"},
    {FaultAction::LostResponses, "lost-responses"},                          {FaultAction::Stop, "stop"},
    {FaultAction::Slow, "slow"},          {FaultAction::Jam, "jam"},          {FaultAction::Restore, "restore"},
    {FaultAction::DiskFull, "disk-full"}, {FaultAction::DiskFreed, "disk-freed"}};

// What undoes a step that has "for" (nullopt: nothing can).
std::optional<FaultAction> undoing(FaultAction action) {
  switch (action) {
    case FaultAction::LinkDown: return FaultAction::LinkUp;
    case FaultAction::Partition: return FaultAction::Heal;
    case FaultAction::Crash: return FaultAction::Restart;
    case FaultAction::Pause: return FaultAction::Resume;
    case FaultAction::ClockSkew: return FaultAction::ClockSkew;  // back to no skew
    case FaultAction::Toxic: return FaultAction::RemoveToxic;
    case FaultAction::LostResponses: return FaultAction::LostResponses;  // back to none lost
    case FaultAction::Stop:
    case FaultAction::Slow:
    case FaultAction::Jam: return FaultAction::Restore;
    case FaultAction::DiskFull: return FaultAction::DiskFreed;
    default: return std::nullopt;
  }
}

std::string action_list() {
  std::string list;
  for (const ActionName& known : kActions) list += (list.empty() ? "" : ", ") + std::string(known.name);
  return list;
}

bool is_node(const SimTopology& topology, const std::string& name) {
  return name == cli::kCloudNodeName || topology.cluster.node(name) != nullptr;
}

// heal: no target heals every partition and cut link; a target names one side of a partition to heal alone.
std::vector<std::string> check_heal_targets(const Fields& fields, std::vector<std::string> targets,
                                            const SimTopology& topology) {
  for (const std::string& target : targets)
    if (!is_node(topology, target)) fields.fail("target", "'" + target + "' is not a node of the topology");
  return targets;
}

std::vector<std::string> parse_targets(const Fields& fields, FaultAction action, const SimTopology& topology) {
  std::vector<std::string> targets = fields.strings("target").value_or(std::vector<std::string>{});
  if (action == FaultAction::Heal) return check_heal_targets(fields, targets, topology);
  if (targets.empty()) fields.fail("target", "is required for " + std::string(to_string(action)));
  std::set<std::string> seen;
  for (const std::string& target : targets) {
    if (!is_node(topology, target)) fields.fail("target", "'" + target + "' is not a node of the topology");
    if (!seen.insert(target).second) fields.fail("target", "'" + target + "' is named twice");
    if (acts_on_uplink(action) && target == cli::kCloudNodeName)
      fields.fail("target", "the cloud has no uplink: name the connected registry whose uplink " +
                                std::string(to_string(action)) + " acts on");
  }
  if (action == FaultAction::Partition && targets.size() > topology.cluster.nodes.size())
    fields.fail("target", "one side of a partition cannot hold every node: the other side would be empty");
  return targets;
}

FaultStep parse_step(const json& entry, const std::string& at, const SimTopology& topology,
                     std::optional<Nanoseconds>& lasts) {
  const Fields fields(
      entry, at, {"at", "action", "target", "attributes", "for", "shape", "level", "direction", "groups", "toxic"});
  const std::string name = fields.required_string("action");
  const auto action = parse_fault_action(name);
  if (!action) fields.fail("action", "'" + name + "' is not a fault action: " + action_list());
  FaultStep step;
  step.origin = at;
  step.action = *action;
  const auto when = fields.plan_time("at");
  if (!when) fields.fail("at", "is required: when the fault happens, from the start of the run");
  step.at = *when;
  const bool sides = (step.action == FaultAction::Partition || step.action == FaultAction::Heal) && names_sides(fields);
  if (sides) {
    parse_partition_sides(fields, step, topology);
  } else {
    step.targets = parse_targets(fields, step.action, topology);
  }
  const bool read_attributes = parse_step_details(fields, step);
  const json* attributes = fields.get("attributes");
  if (step.action == FaultAction::ClockSkew) {
    if (!attributes) fields.fail("attributes", "clock-skew needs {\"skew\": \"-5m\"}");
    const Fields given(*attributes, fields.at("attributes"), {"skew"});
    const auto skew = given.signed_duration("skew");
    if (!skew) given.fail("skew", "is required: how far the node's wall clock is from true time, e.g. \"-5m\"");
    // A node's wall time is the run's start date plus virtual time plus its skew, in 64-bit nanoseconds from 1970:
    // a skew of 106751 days passed their end. A century either way keeps every clock within 1678-2261.
    if (*skew > kMaxClockSkew || *skew < -kMaxClockSkew) given.fail("skew", "must be within 36500 days either way");
    step.skew = *skew;
  } else if (attributes && !read_attributes) {
    const Fields none(*attributes, fields.at("attributes"), {});
  }
  lasts = fields.plan_time("for");
  if (lasts && !undoing(step.action))
    fields.fail("for", std::string(to_string(step.action)) + " has no undoing; use for with link-down, partition, "
                                                             "crash, pause, clock-skew, toxic, lost-responses, stop, "
                                                             "slow, jam or disk-full");
  if (lasts && *lasts <= Nanoseconds(0)) fields.fail("for", "must be longer than zero");
  return step;
}

NemesisSpec parse_nemesis(const json& value, const std::string& where, const SimTopology& topology) {
  const Fields fields(value, where, {"rates", "start", "stop", "duration", "maxSkew", "targets"});
  NemesisSpec nemesis;
  const json* rates = fields.get("rates");
  if (!rates) fields.fail("rates", "is required: {\"link-down\": \"6/h\", \"crash\": \"1/h\", ...}");
  parse_nemesis_rates(*rates, fields.at("rates"), nemesis, topology);
  if (!nemesis.enabled()) fields.fail("rates", "name at least one fault kind with a rate");
  nemesis.start = fields.plan_time("start").value_or(Nanoseconds(0));
  nemesis.stop = fields.plan_time("stop");
  if (nemesis.stop && *nemesis.stop <= nemesis.start) fields.fail("stop", "must come after start");
  if (const json* duration = fields.get("duration")) {
    const Fields range(*duration, fields.at("duration"), {"min", "max"});
    nemesis.min_duration = range.plan_time("min").value_or(nemesis.min_duration);
    nemesis.max_duration = range.plan_time("max").value_or(std::max(nemesis.max_duration, nemesis.min_duration));
    if (nemesis.min_duration <= Nanoseconds(0)) range.fail("min", "must be longer than zero");
    if (nemesis.max_duration < nemesis.min_duration) range.fail("max", "must be at least min");
  }
  nemesis.max_skew = fields.duration("maxSkew").value_or(nemesis.max_skew);
  if (nemesis.max_skew > kMaxClockSkew) fields.fail("maxSkew", "must be at most 36500 days");
  nemesis.targets = fields.strings("targets").value_or(std::vector<std::string>{});
  std::set<std::string, std::less<>> named;
  for (const std::string& target : nemesis.targets) {
    if (!is_node(topology, target)) fields.fail("targets", "'" + target + "' is not a node of the topology");
    // Twice would weigh the draw towards it, which is not what a list of targets says.
    if (!named.insert(target).second) fields.fail("targets", "'" + target + "' is named twice");
  }
  if (nemesis.targets.empty() && topology.cluster.nodes.empty())
    fields.fail("targets", "the topology has no connected registry to hit");
  // A kind with a rate but nothing it can hit would be drawn never, silently: the cloud has no uplink to cut.
  const bool only_the_cloud = !nemesis.targets.empty() && std::all_of(nemesis.targets.begin(), nemesis.targets.end(),
                                                                       [](const std::string& target) {
                                                                         return target == cli::kCloudNodeName;
                                                                       });
  if (only_the_cloud)
    for (const FaultAction action : {FaultAction::LinkDown, FaultAction::Partition})
      if (nemesis.per_hour.contains(action))
        fields.fail("targets", "only the cloud is targeted, and it has no uplink for " +
                                   std::string(to_string(action)) + ": add a connected registry, or drop that rate");
  return nemesis;
}

}  // namespace

std::string_view to_string(FaultAction action) {
  for (const ActionName& known : kActions)
    if (known.action == action) return known.name;
  return "heal";
}

std::optional<FaultAction> parse_fault_action(std::string_view text) {
  for (const ActionName& known : kActions)
    if (known.name == text) return known.action;
  return std::nullopt;
}

nlohmann::json FaultStep::to_json() const {
  json out = {{"at", format_duration(at)}, {"action", to_string(action)}, {"origin", origin}};
  if (!targets.empty()) out["target"] = targets;
  if (action == FaultAction::ClockSkew) out["attributes"] = {{"skew", format_signed_duration(skew)}};
  details_to_json(*this, out);
  return out;
}

void parse_faults(const json& value, const std::string& where, const SimTopology& topology,
                  std::vector<FaultStep>& timeline, NemesisSpec& nemesis) {
  const Fields fields(value, where, {"timeline", "nemesis"});
  if (const json* steps = fields.get("timeline")) {
    if (!steps->is_array()) fields.fail("timeline", "must be an array of {at, action, target, attributes}");
    for (size_t i = 0; i < steps->size(); ++i) {
      const std::string at = fields.at("timeline") + "[" + std::to_string(i) + "]";
      std::optional<Nanoseconds> lasts;
      FaultStep step = parse_step((*steps)[i], at, topology, lasts);
      timeline.push_back(step);
      if (lasts) {
        // Both are at most ~292 years of nanoseconds, but their sum need not be.
        if (*lasts > Nanoseconds::max() - step.at) scenario_fail(at + ".for", "ends beyond the last representable time");
        FaultStep undo = step;
        undo.at = step.at + *lasts;
        undo.action = *undoing(step.action);
        undo.skew = Nanoseconds(0);  // a partition's end heals that partition only: the same side
        undo.origin = at + std::string(kEndOfStep);
        end_step_details(undo);
        timeline.push_back(std::move(undo));
      }
    }
    // Same-time steps keep their file order: a stable sort by time only.
    std::stable_sort(timeline.begin(), timeline.end(),
                     [](const FaultStep& a, const FaultStep& b) { return a.at < b.at; });
  }
  if (const json* spec = fields.get("nemesis")) nemesis = parse_nemesis(*spec, fields.at("nemesis"), topology);
}

}  // namespace outpost::sim::world
