// The topology section: the live cluster's vocabulary (parsed by reference/cli/cluster_topology, so both worlds
// accept exactly the same files), plus what only a simulated network has: link and NIC specs.
#include <fstream>
#include <set>

#include "reference/common/ascii.h"
#include "reference/common/json_depth.h"
#include "reference/common/json_error.h"
#include "simulator/world/scenario_fields.h"
#include "simulator/world/scenario_sections.h"
#include "simulator/world/tree_levels.h"

namespace outpost::sim::world {

using nlohmann::json;

namespace {

// The keys of the cluster topology format (docs/connected-registries.md, "Topology format"), minus "nodes".
constexpr std::string_view kClusterKeys[] = {
    "name", "description", "passwordHashIterations", "proxies", "proxySeed", "syncStatusInterval", "syncLongPoll",
    "logLevel", "threads"};

json read_json_file(const std::filesystem::path& file, const std::string& where) {
  std::error_code ignored;
  if (std::filesystem::is_directory(file, ignored))
    scenario_fail(where, "cannot read topology file " + file.string() + ": it is a directory");
  std::ifstream in(file);
  if (!in) scenario_fail(where, "cannot read topology file " + file.string());
  try {
    return parse_json_within_depth(in, kMaxJsonFileDepth);
  } catch (const std::exception& error) {
    scenario_fail(where, "topology file " + file.string() + " is not valid JSON: " + json_error_message(error));
  }
}

// The cluster parser's messages start with their own path ("nodes[2].name: ..."): joined to `where` as one path
// ("scenario.topology.nodes[2].name: ..."), not as two ("scenario.topology: nodes[2].name: ...").
[[noreturn]] void fail_with_path(const std::string& where, const std::string& message) {
  const size_t colon = message.find(": ");
  const std::string_view head = std::string_view(message).substr(0, colon);
  const bool is_path = colon != std::string::npos && head.starts_with("nodes[");
  if (is_path) throw ScenarioError(where + "." + message);
  scenario_fail(where, message);
}

cli::Topology parse_cluster(const json& document, const std::string& where) {
  try {
    return cli::parse_topology(document);
  } catch (const cli::TopologyError& error) {
    fail_with_path(where, error.what());
  }
}

// Moves each node's "link" and "nic" (which the cluster format does not know) into the maps.
void take_node_extensions(json& document, const std::string& where, std::map<std::string, json>& links,
                          std::map<std::string, json>& nics) {
  if (!document.contains("nodes") || !document["nodes"].is_array()) return;
  json& nodes = document["nodes"];
  for (size_t i = 0; i < nodes.size(); ++i) {
    json& node = nodes[i];
    if (!node.is_object() || !node.contains("name") || !node["name"].is_string()) continue;  // the cluster parser says
    const std::string name = ascii_lowercase(node["name"].get<std::string>());
    const std::string at = where + ".nodes[" + std::to_string(i) + "] (" + name + ")";
    // Checked here, where the whole list is known: the cluster parser would name only its own keys.
    for (const auto& [key, value] : node.items()) {
      if (key == "link" || key == "nic") continue;
      if (std::find(std::begin(cli::kNodeKeys), std::end(cli::kNodeKeys), key) != std::end(cli::kNodeKeys)) continue;
      std::string known;
      for (std::string_view known_key : cli::kNodeKeys) known += std::string(known_key) + ", ";
      scenario_fail(where + ".nodes[" + std::to_string(i) + "]",
                    "unknown key '" + key + "' (known: " + known + "link, nic)");
    }
    if (node.contains("link")) {
      if (!node["link"].is_null()) links[name] = node["link"];
      node.erase("link");
      parse_link_spec(links[name], at + ".link");
    }
    if (node.contains("nic")) {
      if (!node["nic"].is_null()) nics[name] = node["nic"];
      node.erase("nic");
      parse_nic_spec(nics[name], at + ".nic");
    }
  }
}

void check_named(const std::string& name, const SimTopology& topology, bool cloud_allowed, const std::string& where) {
  if (cloud_allowed && name == cli::kCloudNodeName) return;
  if (!cloud_allowed && name == cli::kCloudNodeName)
    scenario_fail(where, "the cloud has no uplink: links are named by their child, a connected registry");
  if (!topology.cluster.node(name))
    scenario_fail(where, "'" + name + "' is not " +
                             (cloud_allowed ? "a node of the topology" : "a connected registry of the topology"));
}

}  // namespace

LinkSpec SimTopology::link_of(const std::string& child) const {
  const auto it = links.find(child);
  return it == links.end() ? default_link : it->second;
}

LinkSpec parse_link_spec(const json& value, const std::string& where) {
  const Fields fields(value, where, {"latency", "jitter", "bandwidth"});
  LinkSpec spec;
  spec.latency = fields.duration("latency").value_or(Nanoseconds(0));
  spec.jitter = fields.duration("jitter").value_or(Nanoseconds(0));
  spec.bandwidth = fields.byte_rate("bandwidth").value_or(0);
  return spec;
}

NicSpec parse_nic_spec(const json& value, const std::string& where) {
  const Fields fields(value, where, {"bandwidth"});
  NicSpec spec;
  spec.bandwidth = fields.byte_rate("bandwidth").value_or(0);
  return spec;
}

SimTopology parse_sim_topology(const json& value, const std::string& where, const std::filesystem::path& base) {
  SimTopology topology;
  if (value.is_string()) {  // a cluster topology file, as is
    const json document = read_json_file(base / value.get<std::string>(), where);
    topology.cluster = parse_cluster(document, where);
    return topology;
  }
  const Fields fields(value, where,
                      {"name", "description", "passwordHashIterations", "proxies", "proxySeed", "syncStatusInterval",
                       "syncLongPoll", "logLevel", "threads", "nodes", "file", "tree", "defaultLink", "links", "nics"});
  const int sources = fields.has("nodes") + fields.has("file") + fields.has("tree");
  if (sources != 1) fields.fail("nodes", "give exactly one of nodes, file or tree");

  json document = json::object();
  if (const auto file = fields.string("file")) document = read_json_file(base / *file, fields.at("file"));
  if (!document.is_object()) scenario_fail(fields.at("file"), "the topology file must hold a JSON object");
  const json* tree_spec = fields.get("tree");
  if (tree_spec && tree_spec->is_object() && tree_spec->contains("levels")) {
    document = level_tree_nodes(*tree_spec, fields.at("tree"));
  } else if (tree_spec) {
    const Fields tree_fields(*tree_spec, fields.at("tree"), {"depth", "fanout", "modes", "repositories"});
    // As deep as the names allow (SPEC 1.1 sets no limit on nesting): tree() refuses a name past 40 characters,
    // naming the level and fanout; 12 refused trees that outpost.tree() built (depth 13 of fanout 1).
    const auto depth = tree_fields.whole("depth", 1, 40);
    const auto fanout = tree_fields.whole("fanout", 1, 1000);
    if (!depth) tree_fields.fail("depth", "is required");
    if (!fanout) tree_fields.fail("fanout", "is required");
    const auto repositories = tree_fields.strings("repositories").value_or(std::vector<std::string>{"apps/*"});
    const auto modes = tree_fields.strings("modes").value_or(std::vector<std::string>{});
    try {
      document = topology_json(tree(static_cast<unsigned>(*depth), static_cast<unsigned>(*fanout), modes,
                                    repositories).cluster);
    } catch (const ScenarioError& error) {
      std::string_view message = error.what();
      if (message.starts_with("tree: ")) message.remove_prefix(6);  // said once, by the path
      scenario_fail(fields.at("tree"), std::string(message));
    }
  }
  if (const json* nodes = fields.get("nodes")) document["nodes"] = *nodes;
  for (std::string_view key : kClusterKeys)
    if (const json* given = fields.get(std::string(key).c_str())) document[std::string(key)] = *given;

  std::map<std::string, json> links, nics;
  take_node_extensions(document, where, links, nics);
  topology.cluster = parse_cluster(document, where);

  if (const json* link = fields.get("defaultLink")) topology.default_link = parse_link_spec(*link, fields.at("defaultLink"));
  // Node names are case-insensitive (the cluster parser lowercases them): so are the keys that name them.
  if (const json* map = fields.get("links")) {
    if (!map->is_object()) fields.fail("links", "must be an object: {\"<child node>\": {\"latency\", ...}}");
    for (const auto& [name, spec] : map->items()) links[ascii_lowercase(name)] = spec;
  }
  if (const json* map = fields.get("nics")) {
    if (!map->is_object()) fields.fail("nics", "must be an object: {\"<node or cloud>\": {\"bandwidth\"}}");
    for (const auto& [name, spec] : map->items()) nics[ascii_lowercase(name)] = spec;
  }
  for (const auto& [name, spec] : links) {
    check_named(name, topology, false, fields.at("links") + "." + name);
    topology.links[name] = parse_link_spec(spec, fields.at("links") + "." + name);
  }
  for (const auto& [name, spec] : nics) {
    check_named(name, topology, true, fields.at("nics") + "." + name);
    topology.nics[name] = parse_nic_spec(spec, fields.at("nics") + "." + name);
  }
  return topology;
}

}  // namespace outpost::sim::world
