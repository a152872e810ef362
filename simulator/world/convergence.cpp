#include "simulator/world/convergence.h"

#include <vector>

#include "simulator/check/content.h"
#include "simulator/world/quantities.h"
#include "simulator/world/topology_queries.h"

namespace outpost::sim::world {

namespace {
constexpr size_t kListedAtMost = 20;  // a report names the first differences, and counts them all

nlohmann::json listed(const std::vector<std::string>& items) {
  nlohmann::json out = nlohmann::json::array();
  for (size_t i = 0; i < items.size() && i < kListedAtMost; ++i) out.push_back(items[i]);
  return out;
}
}  // namespace

nlohmann::json NodeDifference::to_json() const {
  nlohmann::json out = {{"node", node}};
  if (!unreadable.empty()) out["unreadable"] = unreadable;
  out["missing"] = {{"count", missing.size()}, {"first", listed(missing)}};
  out["unexpected"] = {{"count", unexpected.size()}, {"first", listed(unexpected)}};
  out["different"] = {{"count", different.size()}, {"first", listed(different)}};
  return out;
}

nlohmann::json ConvergenceReport::to_json() const {
  nlohmann::json out = {{"converged", converged},
                        {"checks", checks},
                        {"pushesAcknowledged", pushes_acknowledged},
                        {"pushesAtCloud", pushes_at_cloud},
                        {"lostPushes", listed(lost_pushes)}};
  out["convergedAfter"] = converged_after
                              ? nlohmann::json(format_duration(std::chrono::round<std::chrono::milliseconds>(*converged_after)))
                              : nlohmann::json();
  out["differences"] = nlohmann::json::array();
  for (const NodeDifference& difference : differences) out["differences"].push_back(difference.to_json());
  return out;
}

NodeDifference compare_content(const std::string& node, const NodeContent& expected, const NodeContent& actual) {
  NodeDifference difference;
  difference.node = node;
  for (const auto& [repository, tags] : expected) {
    const auto here = actual.find(repository);
    for (const auto& [tag, digest] : tags) {
      if (here == actual.end() || !here->second.contains(tag)) {
        difference.missing.push_back(repository + ":" + tag + "@" + digest);
      } else if (here->second.at(tag) != digest) {
        difference.different.push_back(repository + ":" + tag + ": " + here->second.at(tag) + " here, " + digest +
                                       " expected");
      }
    }
  }
  for (const auto& [repository, tags] : actual) {
    const auto there = expected.find(repository);
    for (const auto& [tag, digest] : tags)
      if (there == expected.end() || !there->second.contains(tag))
        difference.unexpected.push_back(repository + ":" + tag + "@" + digest);
  }
  return difference;
}

NodeDifference judge_node(const std::string& node, const NodeContent& cloud, const NodeContent& actual,
                          const SimTopology& topology, const check::WorldHistory& control) {
  const check::NodeRef ref{node, false};
  const bool modelled = control.current().connected_registry(node) != nullptr;
  const auto syncs_now = [&](const std::string& repository) {
    return modelled ? check::syncs(control.current(), ref, repository) : syncs_repository(topology, node, repository);
  };
  NodeContent expected;
  for (const auto& [repository, tags] : cloud)
    if (syncs_now(repository)) expected[repository] = tags;
  NodeDifference difference = compare_content(node, expected, actual);
  std::erase_if(difference.unexpected, [&](const std::string& entry) {
    const std::string repository = entry.substr(0, entry.find(':'));
    if (!modelled || syncs_now(repository)) return false;
    if (syncs_repository(topology, node, repository)) return true;
    for (size_t version = 0; version + 1 < control.size(); ++version)
      if (check::syncs(control.world(version), ref, repository)) return true;
    return false;
  });
  return difference;
}

}  // namespace outpost::sim::world
