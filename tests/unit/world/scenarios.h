#pragma once
// Small scenarios the world tests share: a cloud, a ReadWrite factory and a ReadOnly line under it.
#include <nlohmann/json.hpp>

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

}  // namespace outpost::sim::world::test
