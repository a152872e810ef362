#pragma once
// `outpost cluster ...`: a whole hierarchy on this machine from one topology file (docs/connected-registries.md,
// "Clusters").
//
//   outpost cluster up TOPOLOGY [--dir DIR] [--timeout 60]     start it; DIR defaults to ./outpost-cluster/<name>
//   outpost cluster status [--dir DIR] [--output table|json]    each node's process and connection state
//   outpost cluster down [--dir DIR] [--grace 10] [--purge]     stop every process (SIGTERM, SIGKILL after --grace)
//   outpost cluster demo [--dir DIR] [--keep]                   the three-level demo (what `outpost` alone runs)
//
// TOPOLOGY is a JSON file, or the name of a built-in topology (edge-factory). Without --dir, status and down use the
// one cluster under ./outpost-cluster. Exit status: 0 done, 1 failed, 2 wrong command line.
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "CLI/CLI.hpp"

namespace outpost::cli {

// The readable summary `up` prints: nodes, addresses, links, where credentials and logs are, what to try next.
void print_cluster_summary(const nlohmann::ordered_json& cluster, std::ostream& out);
// The table `status` prints.
void print_cluster_status(const nlohmann::ordered_json& status, std::ostream& out);

class ClusterCommand {
 public:
  // Adds `cluster` and its verbs to `app`; the object holds what the parser fills, so it must outlive parsing.
  explicit ClusterCommand(CLI::App& app);
  ClusterCommand(const ClusterCommand&) = delete;
  ClusterCommand& operator=(const ClusterCommand&) = delete;

  bool selected() const { return group_->parsed(); }
  int run() const;  // the exit status

 private:
  int up() const;
  int down() const;
  int status() const;

  CLI::App* group_;
  CLI::App* up_;
  CLI::App* down_;
  CLI::App* status_;
  CLI::App* demo_;
  std::string topology_;
  std::string dir_;
  unsigned timeout_seconds_ = 60;
  unsigned grace_seconds_ = 10;
  bool purge_ = false;
  bool keep_ = false;
  std::string output_ = "table";
};

}  // namespace outpost::cli
