// tree(depth, fanout, modes, repositories): wide and deep hierarchies without writing them out (SPEC 1.1 asks for
// depth 6 at least). The tree is written in the cluster format and parsed by the cluster's parser, so it gets exactly
// the defaults and checks a file would.
#include <algorithm>

#include "reference/common/ascii.h"
#include "simulator/world/scenario.h"

namespace outpost::sim::world {

namespace {
constexpr uint64_t kMaxTreeNodes = 20'000;  // the cluster parser is quadratic in the node count
}  // namespace

SimTopology tree(unsigned depth, unsigned fanout, const std::vector<std::string>& modes,
                 const std::vector<std::string>& repositories) {
  if (depth == 0 || fanout == 0) throw ScenarioError("tree: depth and fanout must be at least 1");
  if (repositories.empty()) throw ScenarioError("tree: give at least one repository or prefix/* pattern");
  uint64_t total = 0, width = 1;
  for (unsigned level = 1; level <= depth; ++level) {
    width *= fanout;
    total += width;
    if (total > kMaxTreeNodes)
      throw ScenarioError("tree: " + std::to_string(depth) + " levels of " + std::to_string(fanout) +
                          " make more than " + std::to_string(kMaxTreeNodes) + " nodes");
  }

  struct Parent {
    std::string name;  // empty: the cloud
    bool read_only = false;
  };
  nlohmann::json nodes = nlohmann::json::array();
  std::vector<Parent> parents = {Parent{}};
  for (unsigned level = 1; level <= depth; ++level) {
    std::optional<std::string> mode;
    if (!modes.empty()) mode = modes[std::min<size_t>(level - 1, modes.size() - 1)];
    const bool read_only = mode && (ascii_iequals(*mode, "readonly") || ascii_iequals(*mode, "mirror"));
    if (mode && !read_only && !ascii_iequals(*mode, "readwrite") && !ascii_iequals(*mode, "registry"))
      throw ScenarioError("tree: '" + *mode + "' is not a mode: ReadWrite or ReadOnly");
    std::vector<Parent> next;
    for (const Parent& parent : parents) {
      const bool node_read_only = mode ? read_only : parent.read_only;
      if (parent.read_only && !node_read_only)
        throw ScenarioError("tree: level " + std::to_string(level) + " is ReadWrite under a ReadOnly level (a ReadOnly "
                            "parent may only have ReadOnly children, SPEC 2.3)");
      for (unsigned i = 1; i <= fanout; ++i) {
        const std::string name = (parent.name.empty() ? "node" : parent.name + "n") + std::to_string(i);
        if (name.size() > 40)
          throw ScenarioError("tree: node name '" + name + "' is longer than 40 characters (SPEC 2.1); use fewer "
                              "levels or a smaller fanout");
        nlohmann::json node = {{"name", name},
                               {"parent", parent.name.empty() ? nlohmann::json(nullptr) : nlohmann::json(parent.name)},
                               {"mode", node_read_only ? "ReadOnly" : "ReadWrite"},
                               {"repositories", repositories},
                               {"clientToken", node_read_only ? "pull" : "push"}};
        nodes.push_back(std::move(node));
        next.push_back({name, node_read_only});
      }
    }
    parents = std::move(next);
  }
  SimTopology topology;
  try {
    topology.cluster = cli::parse_topology(
        {{"name", "tree-" + std::to_string(depth) + "x" + std::to_string(fanout)}, {"nodes", std::move(nodes)}});
  } catch (const cli::TopologyError& error) {
    throw ScenarioError(std::string("tree: ") + error.what());
  }
  return topology;
}

}  // namespace outpost::sim::world
