#pragma once
// The parsers of a scenario's sections, each in a file of its own; parse_scenario (scenario.cpp) calls them in turn.
// Every one throws ScenarioError naming the place of the problem.
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "simulator/world/scenario.h"

namespace outpost::sim::world {

// "topology": a cluster topology (inline, {"file": ...} or a file name) with links and NICs, or {"tree": ...}.
SimTopology parse_sim_topology(const nlohmann::json& value, const std::string& where,
                               const std::filesystem::path& base);
LinkSpec parse_link_spec(const nlohmann::json& value, const std::string& where);
NicSpec parse_nic_spec(const nlohmann::json& value, const std::string& where);

// "workload": checked against the topology (nodes, their modes and tokens).
std::vector<WorkloadItem> parse_workload(const nlohmann::json& value, const std::string& where,
                                         const SimTopology& topology);

// "faults": {"timeline": [...], "nemesis": {...}}, checked against the topology.
void parse_faults(const nlohmann::json& value, const std::string& where, const SimTopology& topology,
                  std::vector<FaultStep>& timeline, NemesisSpec& nemesis);

}  // namespace outpost::sim::world
