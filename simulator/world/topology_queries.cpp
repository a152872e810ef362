#include "simulator/world/topology_queries.h"

#include <algorithm>

#include "reference/gateway/protocol.h"

namespace outpost::sim::world {

bool syncs_repository(const SimTopology& topology, const std::string& node, const std::string& repository) {
  for (const cli::NodeSpec* at = topology.cluster.node(node); at; at = at->parent ? topology.cluster.node(*at->parent)
                                                                                  : nullptr)
    if (!gateway::repository_matches_any(at->repositories, repository)) return false;
  return node == cli::kCloudNodeName || topology.cluster.node(node) != nullptr;
}

namespace {
// A repository name, or "prefix/*" for everything under prefix/: do two of them name a repository in common?
bool overlap(std::string_view a, std::string_view b) {
  const bool a_pattern = a.ends_with("/*"), b_pattern = b.ends_with("/*");
  if (a_pattern) a.remove_suffix(1);  // "prefix/"
  if (b_pattern) b.remove_suffix(1);
  if (!a_pattern && !b_pattern) return a == b;
  if (a_pattern && b_pattern) return a.starts_with(b) || b.starts_with(a);
  return a_pattern ? b.starts_with(a) : a.starts_with(b);
}
}  // namespace

bool may_sync_some(const SimTopology& topology, const std::string& node, const std::string& filter) {
  if (!filter.ends_with("/*")) return syncs_repository(topology, node, filter);
  for (const cli::NodeSpec* at = topology.cluster.node(node); at;
       at = at->parent ? topology.cluster.node(*at->parent) : nullptr) {
    if (std::none_of(at->repositories.begin(), at->repositories.end(),
                     [&](const std::string& synced) { return overlap(synced, filter); }))
      return false;
  }
  return node == cli::kCloudNodeName || topology.cluster.node(node) != nullptr;
}

bool accepts_writes(const SimTopology& topology, const std::string& node) {
  if (node == cli::kCloudNodeName) return true;
  const cli::NodeSpec* spec = topology.cluster.node(node);
  return spec && spec->mode == "ReadWrite";
}

std::vector<std::string> push_tokens(const SimTopology& topology, const std::string& node) {
  std::vector<std::string> names;
  const cli::NodeSpec* spec = topology.cluster.node(node);
  if (!spec) return names;
  static const std::vector<std::string> kPushMaps = {"_repositories_push", "_repositories_push_metadata_write",
                                                     "_repositories_admin"};
  for (const cli::ClientTokenSpec& token : spec->client_tokens) {
    const bool writes =
        token.create_scope_map
            ? std::any_of(token.actions.begin(), token.actions.end(),
                          [](const std::string& action) { return action.ends_with("/content/write"); })
            : std::find(kPushMaps.begin(), kPushMaps.end(), token.scope_map) != kPushMaps.end();
    if (writes) names.push_back(token.name);
  }
  return names;
}

std::vector<std::string> client_tokens(const SimTopology& topology, const std::string& node) {
  std::vector<std::string> names;
  if (const cli::NodeSpec* spec = topology.cluster.node(node))
    for (const cli::ClientTokenSpec& token : spec->client_tokens) names.push_back(token.name);
  return names;
}

std::vector<std::string> node_names(const SimTopology& topology) {
  std::vector<std::string> names = {std::string(cli::kCloudNodeName)};
  for (const cli::NodeSpec& node : topology.cluster.nodes) names.push_back(node.name);
  return names;
}

}  // namespace outpost::sim::world
