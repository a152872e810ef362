#pragma once
// The end-of-run judgement (docs/design.md, "Invariants"): after every fault healed, each node holds exactly the
// cloud's content filtered by its repositories (and its ancestors': a CR syncs only what its parent can read), and
// every push a client saw acknowledged is at the cloud with the same digest.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "simulator/check/world_history.h"
#include "simulator/world/oci_client.h"
#include "simulator/world/scenario.h"
#include "simulator/world/workload.h"

namespace outpost::sim::world {

struct NodeDifference {
  std::string node;
  std::string unreadable;               // why its content could not be read (then the lists are empty)
  std::vector<std::string> missing;     // "repo:tag@digest" expected, absent
  std::vector<std::string> unexpected;  // "repo:tag@digest" present, not expected
  std::vector<std::string> different;   // "repo:tag: digest here, expected digest"
  bool empty() const { return unreadable.empty() && missing.empty() && unexpected.empty() && different.empty(); }
  nlohmann::json to_json() const;
};

struct ConvergenceReport {
  bool converged = false;
  std::optional<Nanoseconds> converged_after;  // from the heal at the end of the run
  uint64_t checks = 0;
  std::vector<NodeDifference> differences;     // of the last check; empty when converged
  uint64_t pushes_acknowledged = 0;
  uint64_t pushes_at_cloud = 0;                // of those, at the cloud with the same digest
  std::vector<std::string> lost_pushes;        // "node repo:tag@digest"
  nlohmann::json to_json() const;
};

NodeDifference compare_content(const std::string& node, const NodeContent& expected, const NodeContent& actual);

// How `node`'s content differs from the cloud's in its scope. The scope is its connected registry's as the control
// plane holds it now (`control`: the run's management calls, such as permissions or a PATCH of repositories, move it
// away from the topology's); a registry the control plane does not know keeps the topology's. Tags in repositories it
// synced under an earlier scope (the topology's, or any version since) and no longer syncs may stay: SPEC 2.5 takes a
// repository out of a scope, not out of the node. In its scope now, every tag must be the cloud's.
NodeDifference judge_node(const std::string& node, const NodeContent& cloud, const NodeContent& actual,
                          const SimTopology& topology, const check::WorldHistory& control);

}  // namespace outpost::sim::world
