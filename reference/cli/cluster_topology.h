#pragma once
// Cluster topologies for `outpost cluster up`: a cloud and a tree of connected registries described in JSON
// (docs/connected-registries.md, "Clusters"). Parsing checks the tree and fills every default, so the launcher reads a
// complete, consistent description and never has to guess.
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/common/clock.h"
#include "reference/common/string_hash.h"

namespace outpost::cli {

// The root of every cluster. Not a connected registry, so no node of the topology may take the name.
inline constexpr std::string_view kCloudNodeName = "cloud";

// What is wrong with a topology, prefixed with where: "nodes[2] (line1).parent: ...".
class TopologyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ClientTokenSpec {
  std::string name;
  std::string scope_map;         // "<name>-map", created with `actions`, or an existing one (e.g. _repositories_pull)
  bool create_scope_map = true;  // false when the topology named an existing scope map
  std::vector<std::string> actions;  // scope-map actions (SPEC 3.1); empty when !create_scope_map
};

struct NodeSpec {
  std::string name;                   // lowercase, SPEC 2.1
  std::optional<std::string> parent;  // nullopt: the cloud
  std::string mode;                   // "ReadWrite" | "ReadOnly"
  std::vector<std::string> repositories;
  std::vector<ClientTokenSpec> client_tokens;
  // "sync", "notifications", "logging", "gc" exactly as given: the management API validates them (SPEC 2.1).
  nlohmann::ordered_json settings = nlohmann::ordered_json::object();
};

// Where each node is in a list of nodes, by name, for Topology::node: a simulated world asks for nodes by name per
// node per event, and scanning the list each time made those loops quadratic (8,421 nodes in the wide fleet). Nodes
// are indexed by position on first use and as the list grows; a hit is checked against the node's name and a miss
// confirmed by a scan (names can be edited in place), so it answers as a scan would: names are unique in a topology
// (parse_topology refuses duplicates). Copies start empty. The lock keeps the const lookup safe from several threads.
class NodeIndex {
 public:
  NodeIndex() = default;
  NodeIndex(const NodeIndex&) {}
  NodeIndex& operator=(const NodeIndex&);
  const NodeSpec* find(const std::vector<NodeSpec>& nodes, std::string_view name) const;

 private:
  void index_from(const std::vector<NodeSpec>& nodes, size_t first) const;

  mutable std::mutex mutex_;
  mutable StringMap<size_t> positions_;
  mutable size_t indexed_size_ = 0;  // nodes [0, indexed_size_) are in positions_
};

struct Topology {
  std::string name = "cluster";
  std::string description;
  unsigned password_hash_iterations = 1000;  // every node's hash cost: cheap, this is a test bed
  bool proxies = true;                       // a fault proxy on every child -> parent link
  uint64_t proxy_seed = 0;
  std::string sync_status_interval = "2s";
  std::string sync_long_poll = "30s";
  std::string log_level = "info";
  // Worker threads of each node's server (`outpost serve --threads`; 0: one per core). One by default: a cluster puts
  // several nodes on one machine, and their work is mostly waiting on each other.
  unsigned threads = 1;
  std::vector<NodeSpec> nodes;  // parents before children; siblings in file order

  const NodeSpec* node(std::string_view name) const;  // null when absent
  // The nodes directly under `parent` (nullopt: the cloud), in order.
  std::vector<const NodeSpec*> children_of(const std::optional<std::string>& parent) const;

 private:
  NodeIndex index_;  // for node(); not part of the description
};

// How long the cloud shows a node's last status report before it shows it Offline (`serve --status-offline-after`),
// for this topology: a relay passes its subtree's reports up once per status interval of its own, so the deepest
// node's report may take (depth + 1) intervals to arrive; one more as margin, and never less than 5 minutes (the
// default of a cloud started by hand).
Nanoseconds cloud_status_offline_after(const Topology& topology);

// Throws TopologyError.
Topology parse_topology(const nlohmann::json& document);
// The keys a node of the topology format may have (a format extending it, the simulator's scenarios, adds its own).
inline constexpr std::string_view kNodeKeys[] = {"name",         "parent", "mode",          "repositories",
                                                 "clientToken",  "clientTokens", "sync", "notifications",
                                                 "logging",      "gc"};
// Reads and parses a file; throws TopologyError (also for unreadable files and invalid JSON).
Topology load_topology(const std::filesystem::path& file);

// The topology with every default filled in, in the input format: parse_topology(to_json(t)) gives t back.
nlohmann::ordered_json topology_json(const Topology& topology);

}  // namespace outpost::cli
