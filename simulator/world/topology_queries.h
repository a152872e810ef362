#pragma once
// Questions about a topology that the parser, the workload and the convergence check all ask.
#include <string>
#include <vector>

#include "simulator/world/scenario.h"

namespace outpost::sim::world {

// True for the cloud (which holds every repository) and for a connected registry whose repositories, and every
// ancestor's, match `repository`: a CR syncs only what its parent can read (SPEC 2.5).
bool syncs_repository(const SimTopology& topology, const std::string& node, const std::string& repository);
// Whether `node` could hold some repository `filter` names: a repository name it syncs (as syncs_repository), or a
// "prefix/*" that overlaps what it and each of its ancestors sync. For what a pull may draw from.
bool may_sync_some(const SimTopology& topology, const std::string& node, const std::string& filter);

// "ReadWrite" or "ReadOnly"; the cloud counts as ReadWrite.
bool accepts_writes(const SimTopology& topology, const std::string& node);

// The client tokens of `node` that may push (their actions include content/write, or they use a system scope map
// that does), in topology order.
std::vector<std::string> push_tokens(const SimTopology& topology, const std::string& node);
// Every client token of `node`, in topology order.
std::vector<std::string> client_tokens(const SimTopology& topology, const std::string& node);

// Every node name, the cloud first, then parents before children.
std::vector<std::string> node_names(const SimTopology& topology);

}  // namespace outpost::sim::world
