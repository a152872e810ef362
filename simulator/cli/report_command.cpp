#include "simulator/cli/report_command.h"

#include <filesystem>
#include <fstream>
#include <ostream>

#include "reference/common/json_depth.h"
#include "reference/common/json_error.h"
#include "simulator/cli/sim_command.h"
#include "simulator/report/html_report.h"
#include "simulator/world/scenario.h"

namespace outpost::sim::commands {

using nlohmann::json;

namespace {

// The scenario file's nodes as a run's topology; when it cannot be loaded, a source that says where it was looked for.
json scenario_topology(const std::string& scenario_file, const std::string& report_file) {
  const std::filesystem::path named(scenario_file);
  std::vector<std::filesystem::path> candidates{named};
  if (named.is_relative()) candidates.push_back(std::filesystem::path(report_file).parent_path() / named);
  std::string looked;
  for (const std::filesystem::path& candidate : candidates) {
    looked += (looked.empty() ? "" : " and ") + candidate.string();
    std::error_code error;
    if (!std::filesystem::is_regular_file(candidate, error)) continue;
    try {
      return {{"source", "Topology from the scenario file " + candidate.string() +
                             " as it is now (the run's report does not carry one)."},
              {"nodes", topology_nodes(world::load_scenario(candidate))}};
    } catch (const std::exception& error) {
      return {{"source", "The run's report carries no topology, and its scenario file " + candidate.string() +
                             " does not load now: " + error.what()}};
    }
  }
  return {{"source", "The run's report carries no topology, and its scenario file was not found (looked for " + looked +
                         "): run `sim report` where the run was made, or run it again to write a report that does."}};
}

}  // namespace

json topology_nodes(const world::Scenario& scenario) {
  json nodes = json::array();
  for (const cli::NodeSpec& node : scenario.topology.cluster.nodes)
    nodes.push_back({{"name", node.name}, {"parent", node.parent ? json(*node.parent) : json()}, {"mode", node.mode}});
  return nodes;
}

std::string default_report_output(const std::string& input) {
  return std::filesystem::path(input).replace_extension(".html").string();
}

void add_scenario_topology(json& report, const std::string& report_file) {
  if (!report.is_object() || !report.contains("runs") || !report["runs"].is_array()) return;
  json topology;  // found once, for every run that needs it
  if (const auto carried = report.find("topology"); carried != report.end() && carried->is_array())
    topology = {{"source", "Topology as the run had it (from the run's report)."}, {"nodes", *carried}};
  const json* file = report.contains("scenarioFile") ? &report["scenarioFile"] : nullptr;
  const bool named = file && file->is_string() && !file->get<std::string>().empty();
  if (topology.is_null() && !named) return;
  for (json& run : report["runs"]) {
    if (!run.is_object() || run.contains("topology")) continue;
    if (topology.is_null()) topology = scenario_topology(file->get<std::string>(), report_file);
    run["topology"] = topology;
  }
}

int render_report(const SimReportOptions& options, std::ostream& out, std::ostream& err) {
  json document;
  {
    std::ifstream file(options.input);
    if (!file) {
      err << "outpost: cannot read " << options.input << ": no such file, or not readable" << std::endl;
      return kExitUsage;
    }
    try {
      document = parse_json_within_depth(file, kMaxJsonFileDepth);
    } catch (const std::exception& error) {
      err << "outpost: " << options.input << " is not JSON: " << json_error_message(error) << std::endl;
      return kExitUsage;
    }
  }
  add_scenario_topology(document, options.input);
  std::string page;
  try {
    page = report::html_report(document);
  } catch (const std::exception& error) {
    err << "outpost: " << options.input << ": " << error.what() << std::endl;
    return kExitUsage;
  }
  const std::string output = options.output.empty() ? default_report_output(options.input) : options.output;
  std::ofstream file(output, std::ios::binary);
  file << page;
  file.close();
  if (!file) {
    err << "outpost: cannot write the report to " << output << std::endl;
    return kExitViolation;
  }
  out << "wrote " << output << " (" << page.size() / 1024 << " KiB)" << std::endl;
  return 0;
}

}  // namespace outpost::sim::commands
