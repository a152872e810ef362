#pragma once
// What the world tests share: small scenarios (a cloud, a ReadWrite factory and a ReadOnly line under it), parse
// errors and single-target faults.
#include <string>

#include <nlohmann/json.hpp>

#include "simulator/world/oci_client.h"
#include "simulator/world/scenario.h"

namespace outpost::sim::world::test {

inline nlohmann::json factory_topology() {
  return {{"nodes",
           {{{"name", "factory"}, {"mode", "ReadWrite"}, {"repositories", {"apps/*"}}, {"clientToken", "push"}},
            {{"name", "line1"}, {"parent", "factory"}, {"mode", "ReadOnly"}, {"clientToken", "pull"}}}}};
}

// Random pushes at the cloud and at the factory, pulls at line1, for `duration`.
inline nlohmann::json busy_scenario(const std::string& duration = "5m") {
  return {{"name", "busy"},
          {"duration", duration},
          {"settle", "10m"},
          {"topology", factory_topology()},
          {"workload",
           {{{"action", "push"}, {"node", "cloud"}, {"repositories", {"apps/web", "apps/api"}}, {"rate", "60/h"},
             {"layers", 1}, {"layerSize", "2KiB"}},
            {{"action", "push"}, {"node", "factory"}, {"repository", "apps/tool"}, {"rate", "60/h"},
             {"layers", {{"min", 1}, {"max", 2}}}, {"layerSize", {{"distribution", "uniform"}, {"min", 1000}, {"max", 5000}}}},
            {{"action", "pull"}, {"node", "line1"}, {"rate", "120/h"}}}}};
}

// Whether a node's content, as read from it, has `tag` of `repository` pointing at `digest`.
inline bool tagged(const ContentRead& read, const std::string& repository, const std::string& tag,
                   const std::string& digest) {
  const auto it = read.content.find(repository);
  return read.ok && it != read.content.end() && it->second.contains(tag) && it->second.at(tag) == digest;
}

// The message of the ScenarioError that parsing `document` throws ("" when it parses).
inline std::string error_of(const nlohmann::json& document) {
  try {
    parse_scenario(document);
  } catch (const ScenarioError& error) {
    return error.what();
  }
  return "";
}

inline bool mentions(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// A fault on one node or link, as a test applies it by hand.
inline FaultStep fault_on(FaultAction action, const std::string& target) {
  FaultStep step;
  step.action = action;
  step.targets = {target};
  step.origin = "test";
  return step;
}

}  // namespace outpost::sim::world::test
