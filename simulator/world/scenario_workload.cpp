// The workload section: what clients do during the run. Each item is one action (push, pull, delete, token, scopeMap) and
// when it happens (at, times, every, rate). Everything a World would trip over later is refused here with its place.
#include <algorithm>
#include <set>

#include "reference/auth/actions.h"
#include "reference/oci/name.h"
#include "simulator/world/scenario_fields.h"
#include "simulator/world/scenario_sections.h"
#include "simulator/world/topology_queries.h"

namespace outpost::sim::world {

using nlohmann::json;

namespace {

constexpr uint64_t kMaxLayerSize = 64ull << 20;  // the direct network moves real bytes, held in memory
// A synthetic layer costs a few dozen bytes whatever its size (simulator/net/synthetic_body.h); 1 PiB keeps every
// sum of sizes a run makes far from overflowing.
constexpr uint64_t kMaxSyntheticLayerSize = 1ull << 50;
constexpr std::string_view kAdmin = "admin";

Timing parse_timing(const Fields& fields) {
  Timing timing;
  std::vector<const char*> given;
  for (const char* key : {"at", "times", "every", "rate"})
    if (fields.has(key)) given.push_back(key);
  if (given.empty()) fields.fail("at", "give exactly one of at, times, every or rate (when the action happens)");
  if (given.size() > 1)  // named by the second one given: the first is where the other belongs
    fields.fail(given[1], std::string("give exactly one of at, times, every or rate, not both ") + given[0] + " and " +
                              given[1]);
  if (const auto at = fields.plan_time("at")) timing.times.push_back(*at);
  if (const json* times = fields.get("times")) {
    if (!times->is_array() || times->empty()) fields.fail("times", "must be a non-empty array of durations");
    for (size_t i = 0; i < times->size(); ++i) {
      // Each entry read as a member named "times[i]", so an error names it as the file does.
      const std::string key = "times[" + std::to_string(i) + "]";
      const json wrapped = {{key, (*times)[i]}};
      const Fields item(wrapped, fields.where(), {key});
      if (!(*times)[i].is_string()) item.fail(key, "must be a duration string like \"10m\"");
      timing.times.push_back(*item.plan_time(key.c_str()));
    }
    std::sort(timing.times.begin(), timing.times.end());
  }
  timing.every = fields.duration("every");
  if (timing.every && *timing.every < std::chrono::milliseconds(1))
    fields.fail("every", "must be at least 1ms: times are whole milliseconds");
  fields.plan_time("every");  // and whole milliseconds
  timing.per_hour = fields.per_hour("rate").value_or(0);
  const bool repeating = timing.every || timing.per_hour > 0;
  for (const char* key : {"start", "stop", "count"})
    if (!repeating && fields.has(key)) fields.fail(key, "applies to every and rate only");
  timing.start = fields.plan_time("start").value_or(Nanoseconds(0));
  timing.stop = fields.plan_time("stop");
  if (timing.stop && *timing.stop <= timing.start) fields.fail("stop", "must come after start");
  timing.count = fields.whole("count", 1, kMostOccurrences);
  return timing;
}

SizeDistribution parse_size(const Fields& fields, const char* key, bool synthetic) {
  SizeDistribution size;
  size.kind = SizeDistribution::Kind::Uniform;
  size.min = 1024;
  size.max = 64 * 1024;
  const json* value = fields.get(key);
  if (!value) return size;
  if (!value->is_object()) {
    size.kind = SizeDistribution::Kind::Fixed;
    size.value = *fields.bytes(key);
  } else {
    const Fields spec(*value, fields.at(key), {"distribution", "value", "min", "max", "median", "sigma"});
    const std::string kind = spec.string("distribution").value_or("uniform");
    // A key the distribution does not read is refused: {"value": "8MiB"} alone was a uniform 1KiB..64KiB, silently.
    const std::vector<const char*> unused = kind == "fixed"     ? std::vector<const char*>{"min", "max", "median", "sigma"}
                                            : kind == "uniform" ? std::vector<const char*>{"value", "median", "sigma"}
                                            : kind == "lognormal" ? std::vector<const char*>{"value"}
                                                                  : std::vector<const char*>{};
    for (const char* key : unused)
      if (spec.has(key))
        spec.fail(key, "does not apply to a " + kind + " size (" + (spec.has("distribution") ? "" : "the default; ") +
                           "fixed takes value; uniform min and max; lognormal min, max, median and sigma)");
    if (kind == "fixed") {
      size.kind = SizeDistribution::Kind::Fixed;
      const auto fixed = spec.bytes("value");
      if (!fixed) spec.fail("value", "is required for a fixed size");
      size.value = *fixed;
    } else if (kind == "uniform" || kind == "lognormal") {
      size.kind = kind == "uniform" ? SizeDistribution::Kind::Uniform : SizeDistribution::Kind::LogNormal;
      size.min = spec.bytes("min").value_or(size.min);
      size.max = spec.bytes("max").value_or(std::max(size.max, size.min));
      if (size.max < size.min) spec.fail("max", "must be at least min");
      size.median = spec.bytes("median").value_or((size.min + size.max) / 2);
      size.sigma = spec.number("sigma", 0.0, 10.0).value_or(1.0);
    } else {
      spec.fail("distribution", "'" + kind + "' is not a distribution: fixed, uniform or lognormal");
    }
  }
  const uint64_t largest = size.kind == SizeDistribution::Kind::Fixed ? size.value : size.max;
  if (!synthetic && largest > kMaxLayerSize)
    fields.fail(key, "real layers above 64MiB are refused: they are held in memory (\"payload\": \"synthetic\" "
                     "moves any size)");
  if (largest > kMaxSyntheticLayerSize) fields.fail(key, "layers above 1PiB are refused");
  return size;
}

CountRange parse_layers(const Fields& fields) {
  CountRange layers{1, 3};
  const json* value = fields.get("layers");
  if (!value) return layers;
  if (value->is_number()) {
    layers.min = layers.max = static_cast<uint32_t>(*fields.whole("layers", 1, 100));
    return layers;
  }
  const Fields range(*value, fields.at("layers"), {"min", "max"});
  layers.min = static_cast<uint32_t>(range.whole("min", 1, 100).value_or(1));
  layers.max = static_cast<uint32_t>(range.whole("max", 1, 100).value_or(layers.min));
  if (layers.max < layers.min) range.fail("max", "must be at least min");
  return layers;
}

void check_node(const Fields& fields, const SimTopology& topology, const std::string& node) {
  if (node != cli::kCloudNodeName && !topology.cluster.node(node))
    fields.fail("node", "'" + node + "' is not a node of the topology (\"cloud\" or a connected registry)");
}

// The key a repository list was given under, for messages: "repository" or "repositories".
const char* repository_key(const Fields& fields) { return fields.has("repository") ? "repository" : "repositories"; }

std::vector<std::string> repository_list(const Fields& fields) {
  if (fields.has("repository") && fields.has("repositories"))
    fields.fail("repository", "give repository or repositories, not both");
  return fields.strings(repository_key(fields)).value_or(std::vector<std::string>{});
}

// The node a write goes to: the cloud or a ReadWrite node (SPEC 4.3). `writes` names them in the message ("pushes").
std::string writing_node(const Fields& fields, const SimTopology& topology, const std::string& writes) {
  std::string node = fields.required_string("node");
  check_node(fields, topology, node);
  if (!accepts_writes(topology, node))
    fields.fail("node", "'" + node + "' is ReadOnly: " + writes + " go to the cloud or to a ReadWrite node (SPEC 4.3)");
  return node;
}

PushAction parse_push(const Fields& fields, const SimTopology& topology) {
  PushAction push;
  push.node = writing_node(fields, topology, "pushes");
  push.repositories = repository_list(fields);
  if (push.repositories.empty()) fields.fail("repository", "is required: the repository (or repositories) to push to");
  for (const std::string& repository : push.repositories) {
    if (!oci::valid_repository_name(repository))
      fields.fail(repository_key(fields),
                  "'" + repository + "' is not a repository name (lowercase, OCI grammar; no patterns)");
    if (!syncs_repository(topology, push.node, repository))
      fields.fail(repository_key(fields),
                  "'" + repository + "' is not synced by " + push.node + " (or one of its ancestors)");
  }
  push.tag = fields.string("tag");
  if (push.tag && !oci::valid_tag(*push.tag)) fields.fail("tag", "'" + *push.tag + "' is not a tag");
  if (push.node == cli::kCloudNodeName) {
    push.token = fields.string("token").value_or(std::string(kAdmin));
    if (push.token != kAdmin) fields.fail("token", "pushes at the cloud use the admin user: \"admin\"");
  } else {
    const auto writers = push_tokens(topology, push.node);
    push.token = fields.string("token").value_or(writers.empty() ? std::string() : writers.front());
    if (push.token.empty())
      fields.fail("token", "'" + push.node + "' has no client token that may push; give one with \"access\": \"push\"");
    if (std::find(writers.begin(), writers.end(), push.token) == writers.end())
      fields.fail("token", "'" + push.token + "' is not a client token of " + push.node + " that may push");
  }
  push.layers = parse_layers(fields);
  const std::string payload = fields.string("payload").value_or("real");
  if (payload != "real" && payload != "synthetic")
    fields.fail("payload", "'" + payload + "' is not a payload: real (bytes) or synthetic (a size and a seed)");
  push.synthetic = payload == "synthetic";
  push.layer_size = parse_size(fields, "layerSize", push.synthetic);
  return push;
}

// The repositories a pull or delete draws from: names or prefix/* patterns, each matching something the node syncs.
std::vector<std::string> draw_filter(const Fields& fields, const SimTopology& topology, const std::string& node) {
  std::vector<std::string> filters = repository_list(fields);
  // A filter that can match nothing the node holds made every draw a silent skip: refused, as a push's is.
  if (fields.has(repository_key(fields)) && filters.empty())
    fields.fail(repository_key(fields), "name at least one repository or prefix/*, or leave it out to draw from all");
  for (const std::string& filter : filters) {
    const bool pattern = filter.ends_with("/*");
    if (!oci::valid_repository_name(pattern ? filter.substr(0, filter.size() - 2) : filter))
      fields.fail(repository_key(fields), "'" + filter + "' is not a repository name or prefix/* (lowercase, OCI grammar)");
    if (!may_sync_some(topology, node, filter))
      fields.fail(repository_key(fields), "'" + filter + "' names nothing " + node + " syncs (it and its ancestors)");
  }
  return filters;
}

PullAction parse_pull(const Fields& fields, const SimTopology& topology) {
  PullAction pull;
  pull.node = fields.required_string("node");
  check_node(fields, topology, pull.node);
  pull.repositories = draw_filter(fields, topology, pull.node);
  if (pull.node == cli::kCloudNodeName) {
    pull.token = fields.string("token").value_or(std::string(kAdmin));
    if (pull.token != kAdmin) fields.fail("token", "pulls at the cloud use the admin user: \"admin\"");
  } else {
    const auto tokens = client_tokens(topology, pull.node);
    pull.token = fields.string("token").value_or(tokens.empty() ? std::string() : tokens.front());
    if (pull.token.empty()) fields.fail("token", "'" + pull.node + "' has no client token; give the node one");
    if (std::find(tokens.begin(), tokens.end(), pull.token) == tokens.end())
      fields.fail("token", "'" + pull.token + "' is not a client token of " + pull.node);
  }
  return pull;
}

// A delete at the cloud (as admin) or at a ReadWrite node: by default as the node's first client token that may push,
// which may untag ("push" access holds metadata/write) but deletes a manifest only once its map has content/delete
// (SPEC 3.5); without it the delete is refused and counted so.
// Who writes at `node` (a delete, a tag): the admin user at the cloud; elsewhere a client token of the node, by
// default its first that may push. `writes` names them in the message ("deletes").
std::string writer_token(const Fields& fields, const SimTopology& topology, const std::string& node,
                         const std::string& writes) {
  if (node == cli::kCloudNodeName) {
    std::string token = fields.string("token").value_or(std::string(kAdmin));
    if (token != kAdmin) fields.fail("token", writes + " at the cloud use the admin user: \"admin\"");
    return token;
  }
  const auto writers = push_tokens(topology, node);
  const auto tokens = client_tokens(topology, node);
  std::string token = fields.string("token").value_or(writers.empty() ? std::string() : writers.front());
  if (token.empty())
    fields.fail("token", "'" + node + "' has no client token that may push; give one with \"access\": \"push\"");
  if (std::find(tokens.begin(), tokens.end(), token) == tokens.end())
    fields.fail("token", "'" + token + "' is not a client token of " + node);
  return token;
}

DeleteAction parse_delete(const Fields& fields, const SimTopology& topology) {
  DeleteAction remove;
  remove.node = writing_node(fields, topology, "deletes");
  remove.repositories = draw_filter(fields, topology, remove.node);
  const std::string what = fields.string("what").value_or("manifest");
  if (what != "manifest" && what != "tag")
    fields.fail("what", "'" + what + "' is not what a delete takes: manifest (by digest) or tag (an untag)");
  remove.untag = what == "tag";
  remove.token = writer_token(fields, topology, remove.node, "deletes");
  return remove;
}

// A tag at the cloud (as admin) or at a ReadWrite node, by default as the node's first client token that may push.
TagAction parse_tag(const Fields& fields, const SimTopology& topology) {
  TagAction tag;
  tag.node = writing_node(fields, topology, "tags");
  tag.repositories = draw_filter(fields, topology, tag.node);
  tag.token = writer_token(fields, topology, tag.node, "tags");
  return tag;
}

bool known_token(const SimTopology& topology, const std::string& name) {
  for (const cli::NodeSpec& node : topology.cluster.nodes)
    for (const cli::ClientTokenSpec& token : node.client_tokens)
      if (token.name == name) return true;
  return false;
}

bool known_scope_map(const SimTopology& topology, const std::string& name) {
  for (const cli::NodeSpec& node : topology.cluster.nodes)
    for (const cli::ClientTokenSpec& token : node.client_tokens)
      if (token.create_scope_map && token.scope_map == name) return true;
  return false;
}

TokenChange parse_token_change(const Fields& fields, const SimTopology& topology) {
  TokenChange change;
  change.token = fields.required_string("token");
  if (!known_token(topology, change.token))
    fields.fail("token", "'" + change.token + "' is not a client token of the topology");
  change.status = fields.string("status");
  if (change.status && *change.status != "enabled" && *change.status != "disabled")
    fields.fail("status", "must be enabled or disabled");
  change.regenerate = fields.string("regenerate");
  if (change.regenerate && *change.regenerate != "password1" && *change.regenerate != "password2")
    fields.fail("regenerate", "must be password1 or password2");
  if (!change.status && !change.regenerate) fields.fail("status", "give status and/or regenerate");
  return change;
}

ScopeMapChange parse_scope_map_change(const Fields& fields, const SimTopology& topology) {
  ScopeMapChange change;
  change.scope_map = fields.required_string("scopeMap");
  if (!known_scope_map(topology, change.scope_map))
    fields.fail("scopeMap", "'" + change.scope_map + "' is not a scope map the topology creates (<token>-map)");
  change.actions = fields.strings("actions");
  change.add = fields.strings("add").value_or(std::vector<std::string>{});
  change.remove = fields.strings("remove").value_or(std::vector<std::string>{});
  if (change.actions && (!change.add.empty() || !change.remove.empty()))
    fields.fail("actions", "give actions (the new list) or add/remove, not both");
  if (!change.actions && change.add.empty() && change.remove.empty())
    fields.fail("actions", "give actions, add or remove");
  // Checked as the management API checks them: a wrong action is the file's error, not a change that fails unseen.
  const auto check = [&fields](const char* key, const std::vector<std::string>& actions) {
    for (size_t i = 0; i < actions.size(); ++i)
      if (auto parsed = auth::parse_action(actions[i]); !parsed.rule)
        scenario_fail(fields.at(key) + "[" + std::to_string(i) + "]", parsed.error);
  };
  if (change.actions) check("actions", *change.actions);
  check("add", change.add);
  check("remove", change.remove);
  return change;
}

}  // namespace

std::vector<WorkloadItem> parse_workload(const json& value, const std::string& where, const SimTopology& topology) {
  if (!value.is_array()) scenario_fail(where, "must be an array of actions");
  std::vector<WorkloadItem> items;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string at = where + "[" + std::to_string(i) + "]";
    const json& entry = value[i];
    if (!entry.is_object() || !entry.contains("action") || !entry["action"].is_string())
      scenario_fail(at, "must be an object with \"action\": push, pull, delete, tag, token or scopeMap");
    const std::string action = entry["action"].get<std::string>();
    WorkloadItem item;
    item.where = at;
    if (action == "push") {
      const Fields fields(entry, at, {"action", "at", "times", "every", "rate", "start", "stop", "count", "node",
                                      "repository", "repositories", "tag", "token", "layers", "layerSize", "payload"});
      item.timing = parse_timing(fields);
      item.action = parse_push(fields, topology);
    } else if (action == "pull") {
      const Fields fields(entry, at, {"action", "at", "times", "every", "rate", "start", "stop", "count", "node",
                                      "token", "repository", "repositories"});
      item.timing = parse_timing(fields);
      item.action = parse_pull(fields, topology);
    } else if (action == "delete") {
      const Fields fields(entry, at, {"action", "at", "times", "every", "rate", "start", "stop", "count", "node",
                                      "token", "repository", "repositories", "what"});
      item.timing = parse_timing(fields);
      item.action = parse_delete(fields, topology);
    } else if (action == "tag") {
      const Fields fields(entry, at, {"action", "at", "times", "every", "rate", "start", "stop", "count", "node",
                                      "token", "repository", "repositories"});
      item.timing = parse_timing(fields);
      item.action = parse_tag(fields, topology);
    } else if (action == "token") {
      const Fields fields(entry, at, {"action", "at", "times", "every", "rate", "start", "stop", "count", "token",
                                      "status", "regenerate"});
      item.timing = parse_timing(fields);
      item.action = parse_token_change(fields, topology);
    } else if (action == "scopeMap") {
      const Fields fields(entry, at, {"action", "at", "times", "every", "rate", "start", "stop", "count", "scopeMap",
                                      "actions", "add", "remove"});
      item.timing = parse_timing(fields);
      item.action = parse_scope_map_change(fields, topology);
    } else {
      scenario_fail(at + ".action", "'" + action + "' is not an action: push, pull, delete, tag, token or scopeMap");
    }
    items.push_back(std::move(item));
  }
  return items;
}

}  // namespace outpost::sim::world
