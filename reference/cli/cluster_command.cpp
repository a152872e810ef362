#include "reference/cli/cluster_command.h"

#include <algorithm>
#include <filesystem>
#include <iostream>

#include "reference/cli/builtin_topologies.h"
#include "reference/cli/cluster_demo.h"
#include "reference/cli/decimal_number.h"
#include "reference/cli/cluster_launcher.h"
#include "reference/cli/command_errors.h"
#include "reference/common/counted.h"

namespace outpost::cli {

using nlohmann::ordered_json;
namespace fs = std::filesystem;

namespace {

const fs::path kDefaultRoot = "outpost-cluster";

// Rows of cells printed in columns two spaces apart, the last column unpadded.
void print_table(std::ostream& out, const std::vector<std::vector<std::string>>& rows, const std::string& indent) {
  std::vector<size_t> widths;
  for (const auto& row : rows)
    for (size_t i = 0; i < row.size(); ++i) {
      if (widths.size() <= i) widths.push_back(0);
      widths[i] = std::max(widths[i], row[i].size());
    }
  for (const auto& row : rows) {
    std::string line = indent;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

std::string text_of(const ordered_json& value, const std::string& absent = "-") {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_number()) return value.dump();
  return absent;
}

std::string joined(const ordered_json& list) {
  std::string out;
  for (const auto& item : list) out += (out.empty() ? "" : ", ") + text_of(item);
  return out;
}

Topology topology_from(const std::string& argument) {
  if (!fs::exists(argument)) {
    if (const auto text = builtin_topology(argument)) return parse_topology(nlohmann::json::parse(*text));
    std::string names;
    for (std::string_view name : builtin_topology_names()) names += (names.empty() ? "" : ", ") + std::string(name);
    throw UsageError("no topology file " + argument + " (built-in topologies: " + names + ")");
  }
  return load_topology(argument);
}

fs::path existing_cluster_dir(const std::string& dir) {
  return dir.empty() ? find_cluster_directory(kDefaultRoot) : fs::path(dir);
}

}  // namespace

void print_cluster_summary(const ordered_json& cluster, std::ostream& out) {
  const std::string dir = cluster.value("directory", "");
  out << "\nCluster " << cluster.value("name", "") << " is up in " << dir << "\n\n";
  std::vector<std::vector<std::string>> rows = {{"NODE", "PARENT", "MODE", "CLIENTS USE", "LISTENS ON", "PID"}};
  for (const auto& [name, node] : cluster["nodes"].items()) {
    const bool cloud = node.value("role", "") == "cloud";
    rows.push_back({name, cloud ? "-" : text_of(node["parent"]), cloud ? "-" : text_of(node["mode"]),
                    "http://" + text_of(node["loginServer"]), text_of(node["listen"]), text_of(node["pid"])});
  }
  print_table(out, rows, "  ");
  const ordered_json& cloud = cluster["nodes"]["cloud"];
  out << "  (the cloud's data endpoint, for gateway traffic only: " << text_of(cloud["dataEndpoint"]) << ")\n";

  const ordered_json& proxy = cluster["proxy"];
  std::string proxy_api;
  if (proxy.is_object()) {
    proxy_api = text_of(proxy["api"]);
    out << "\nFault proxy: control API " << proxy_api << " (pid " << text_of(proxy["pid"]) << "); links:\n";
    std::vector<std::vector<std::string>> links = {{"LINK", "LISTEN", "UPSTREAM", "IN FRONT OF", "USED BY"}};
    for (const auto& [name, link] : proxy["links"].items())
      links.push_back(
          {name, text_of(link["listen"]), text_of(link["upstream"]), text_of(link["fronts"]), joined(link["usedBy"])});
    print_table(out, links, "  ");
  } else {
    out << "\nNo fault proxy (\"proxies\": false): children reach their parents directly.\n";
  }

  out << "\nCredentials (every password is in " << dir << "/cluster.json):\n";
  out << "  admin (cloud only): password file " << text_of(cluster["admin"]["passwordFile"]) << "\n";
  for (const auto& [name, node] : cluster["nodes"].items()) {
    if (node.value("role", "") == "cloud") continue;
    std::string tokens;
    for (const auto& token : node["clientTokens"]) tokens += (tokens.empty() ? "" : ", ") + text_of(token["name"]);
    out << "  " << name << ": client tokens " << (tokens.empty() ? "(none)" : tokens) << "; sync token "
        << text_of(node["syncToken"]["name"]) << "\n";
  }
  out << "\nLogs: " << dir << "/logs/<node>.log; each node's options: " << dir << "/nodes/<node>/serve.json\n";
  out << "Next:\n"
      << "  skopeo copy --dest-tls-verify=false --dest-creds admin:$(cat " << text_of(cluster["admin"]["passwordFile"])
      << ") oci:IMAGE-LAYOUT:TAG docker://" << text_of(cloud["loginServer"]) << "/REPOSITORY:TAG\n"
      << "  outpost cluster status --dir " << dir << "\n";
  for (const auto& [name, node] : cluster["nodes"].items())
    if (!proxy_api.empty() && node.contains("uplinks") && !node["uplinks"].empty()) {
      out << "  outpost proxy down " << text_of(node["uplinks"][0]) << " --api " << proxy_api << "   # cut " << name
          << "'s gateway traffic to its parent\n";
      break;
    }
  out << "  outpost cluster down --dir " << dir << std::endl;
}

void print_cluster_status(const ordered_json& status, std::ostream& out) {
  out << "Cluster " << text_of(status["name"]) << " (" << text_of(status["state"]) << ")\n";
  if (status.contains("proxy"))
    out << "Fault proxy " << text_of(status["proxy"]["api"]) << ": " << text_of(status["proxy"]["process"]) << " (pid "
        << text_of(status["proxy"]["pid"]) << ")\n";
  std::vector<std::vector<std::string>> rows = {
      {"NODE", "PARENT", "MODE", "PROCESS", "CONNECTION", "ACTIVATION", "LAST SYNC", "URL"}};
  for (const auto& node : status["nodes"]) {
    rows.push_back({text_of(node["name"]), text_of(node["parent"]), text_of(node["mode"]),
                    text_of(node["process"]) + " (" + text_of(node["pid"]) + ")",
                    node.contains("connectionState") ? text_of(node["connectionState"]) : "-",
                    node.contains("activation") ? text_of(node["activation"]) : "-",
                    node.contains("lastSyncTime") ? text_of(node["lastSyncTime"]) : "-", text_of(node["url"])});
  }
  print_table(out, rows, "  ");
  if (status.contains("error")) out << text_of(status["error"]) << "\n";
}

ClusterCommand::ClusterCommand(CLI::App& app) {
  group_ = app.add_subcommand("cluster", "Run a cloud, connected registries and a fault proxy from a topology file");
  group_->require_subcommand(1);

  up_ = group_->add_subcommand("up", "Start every node of a topology as background processes on 127.0.0.1");
  up_->add_option("topology", topology_, "topology JSON file, or a built-in topology's name (edge-factory)")
      ->required();
  up_->add_option("--dir", dir_, "cluster directory (default ./outpost-cluster/<name>); must be new or empty");
  up_->add_option("--timeout", timeout_seconds_, "seconds the whole start may take")
      ->capture_default_str()
      ->transform(decimal_whole_number())
      ->check(CLI::Range(1u, 86'400u));

  status_ = group_->add_subcommand("status", "Each node's process and, from the cloud, its connection state");
  status_->add_option("--dir", dir_, "cluster directory (default: the one under ./outpost-cluster)");
  status_->add_option("--output,-o", output_, "table or json")
      ->check(CLI::IsMember({"table", "json"}))
      ->capture_default_str();

  down_ = group_->add_subcommand("down", "Stop every process of a cluster (SIGTERM, then SIGKILL after --grace)");
  down_->add_option("--dir", dir_, "cluster directory (default: the one under ./outpost-cluster)");
  down_->add_option("--grace", grace_seconds_, "seconds to wait after SIGTERM before SIGKILL")
      ->capture_default_str()
      ->transform(decimal_whole_number());
  down_->add_flag("--purge", purge_, "then delete the cluster directory (data, logs, credentials)");

  demo_ =
      group_->add_subcommand("demo", "The three-level demo: edge-factory up, push at the cloud, pull at line1, down");
  demo_->add_option("--dir", dir_, "directory for the demo (default: a new temporary one)");
  demo_->add_flag("--keep", keep_, "leave the cluster running at the end");
}

int ClusterCommand::run() const {
  return run_reporting_errors(
      [this] {
        if (up_->parsed()) return up();
        if (down_->parsed()) return down();
        if (status_->parsed()) return status();
        ClusterDemoOptions demo;
        demo.work_dir = dir_;
        demo.keep = keep_;
        return run_cluster_demo(demo);
      },
      std::cerr);
}

int ClusterCommand::up() const {
  const Topology topology = topology_from(topology_);
  ClusterUpOptions options;
  options.directory = dir_.empty() ? kDefaultRoot / topology.name : fs::path(dir_);
  options.deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_seconds_);
  options.progress = [](const std::string& line) { std::cout << "  " << line << std::endl; };
  std::cout << "Starting cluster " << topology.name << " ("
            << counted(topology.nodes.size(), "connected registry", "connected registries") << ") in "
            << fs::absolute(options.directory).string() << std::endl;
  const ordered_json cluster = cluster_up(topology, options);
  print_cluster_summary(cluster, std::cout);
  return 0;
}

int ClusterCommand::down() const {
  const fs::path dir = existing_cluster_dir(dir_);
  const ordered_json cluster = read_cluster_file(dir);
  const auto stopped = cluster_down(dir, std::chrono::seconds(grace_seconds_));
  bool all_gone = true;
  for (const StoppedProcess& entry : stopped) {
    std::cout << entry.name << " (pid " << entry.process.pid << "): " << describe(entry.outcome) << "\n";
    all_gone = all_gone && entry.outcome != StopOutcome::Survived;
  }
  if (!all_gone) {
    std::cerr << "outpost: error: some processes of cluster " << cluster.value("name", "") << " are still running"
              << std::endl;
    return kExitFailure;
  }
  if (purge_) {
    fs::remove_all(dir);
    std::cout << "Cluster " << cluster.value("name", "") << " is down; removed " << dir.string() << std::endl;
  } else {
    std::cout << "Cluster " << cluster.value("name", "") << " is down; data and logs stay in " << dir.string()
              << std::endl;
  }
  return 0;
}

int ClusterCommand::status() const {
  const ordered_json status = cluster_status(existing_cluster_dir(dir_));
  if (output_ == "json")
    std::cout << status.dump(2) << std::endl;
  else
    print_cluster_status(status, std::cout);
  return status.contains("error") ? kExitFailure : 0;
}

}  // namespace outpost::cli
