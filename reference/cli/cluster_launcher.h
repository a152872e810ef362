#pragma once
// `outpost cluster up|down|status` without the command line: starts a topology (cluster_topology.h) as real processes
// on 127.0.0.1 (a cloud, a fault proxy, one `outpost serve` per connected registry), records everything in
// <directory>/cluster.json, stops it again, and asks the cloud how its nodes are doing.
//
// Traffic design (docs/connected-registries.md, "Clusters"): every node that has children is started with
// `--login-server` set to the address of a proxy link in front of it, so the configuration its children read names
// the link and their content requests cross the proxy as their gateway requests do. Its clients use that address too
// (the node refuses other Host names, SPEC 1.3). The cloud's data endpoint is not Host-guarded, so each child of the
// cloud gets a link of its own to it.
#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/cli/cluster_process.h"
#include "reference/cli/cluster_topology.h"

namespace outpost::cli {

inline constexpr std::string_view kClusterFile = "cluster.json";

struct ClusterUpOptions {
  std::filesystem::path directory;                   // must not exist, or be empty
  std::chrono::steady_clock::time_point deadline;    // for the whole start; every wait is a poll bounded by it
  std::filesystem::path executable;                  // the outpost binary the daemons run; empty: this one
  std::function<void(const std::string&)> progress;  // one line per step; may be empty
};

// Starts the cluster and returns the document written to <directory>/cluster.json. On failure it stops whatever it
// started, records "state": "failed" (the logs stay) and throws std::runtime_error.
nlohmann::ordered_json cluster_up(const Topology& topology, const ClusterUpOptions& options);

// <directory>/cluster.json; throws std::runtime_error when missing or unreadable.
nlohmann::ordered_json read_cluster_file(const std::filesystem::path& directory);

// The one cluster directory under `root` (a directory holding cluster.json), for commands run without --dir.
// Throws std::runtime_error when there is none or more than one.
std::filesystem::path find_cluster_directory(const std::filesystem::path& root);

struct StoppedProcess {
  std::string name;  // a node's name, or "proxy"
  DaemonProcess process;
  StopOutcome outcome;
};

// Stops every process cluster.json names (all at once: SIGTERM, SIGKILL after `grace`) and records "state": "down".
std::vector<StoppedProcess> cluster_down(const std::filesystem::path& directory, std::chrono::milliseconds grace);

// One entry per node, cloud first: {"name", "parent", "mode", "process": "running"|"stopped", "pid", "url", and
// from the cloud's management API "connectionState", "activation", "lastSyncTime"}; plus {"error"} when the cloud
// could not be asked.
nlohmann::ordered_json cluster_status(const std::filesystem::path& directory);

}  // namespace outpost::cli
