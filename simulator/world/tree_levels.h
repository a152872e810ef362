#pragma once
// Large hierarchies from a few lines of JSON: `"topology": {"tree": {"levels": [...]}}`. Each level says how many
// children every node of the level above gets, their name, mode, repositories, uplink and NIC; 8,421 nodes are four
// lines, not 8,421 entries. The levels expand into the cluster topology's own format (nodes with "link" and "nic"),
// which the scenario's topology parser then reads like any inline topology, so a generated tree gets exactly the checks
// and defaults a written one would.
//
//   "tree": {"repositories": ["apps/*"],
//            "levels": [{"count": 20, "name": "region", "mode": "ReadWrite", "link": {"latency": "20ms"}},
//                       {"count": 20, "name": "site", "link": {...}, "nic": {...}},
//                       {"count": 20, "name": "line", "mode": "ReadOnly", "repositories": ["apps/line/*"]}]}
//
// Names join the path: region7, region7site3, region7site3line12 (SPEC 2.1: letters and digits, 5 to 40 characters).
// A level's mode defaults to its parent's (ReadWrite at the top); a ReadOnly parent may only have ReadOnly children
// (SPEC 2.3). Every node gets one client token, <name>-client: push on ReadWrite nodes, pull on ReadOnly ones, unless
// its level says otherwise ("clientToken": "push", "pull" or "none"). SPEC 2.9 allows 20,000 tokens per registry, and
// every node also takes a sync token and the simulator's reader token: 8,000 leaves can have no client token of their
// own.
#include <string>

#include <nlohmann/json.hpp>

namespace outpost::sim::world {

// At most this many connected registries (the scenario parser and the world's checks are linear in it per node).
inline constexpr uint64_t kMaxLevelTreeNodes = 20'000;

// {"nodes": [...]} in the cluster topology format, each node with its "link" and "nic" when its level has them.
// Throws ScenarioError naming the place ("topology.tree.levels[1].name: ...").
nlohmann::json level_tree_nodes(const nlohmann::json& tree, const std::string& where);

}  // namespace outpost::sim::world
