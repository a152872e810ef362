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

// The scenario's nodes as a report's topology, or null when the file cannot be loaded.
json scenario_topology(const std::string& scenario_file, const std::string& report_file) {
  const std::filesystem::path named(scenario_file);
  std::vector<std::filesystem::path> candidates{named};
  if (named.is_relative()) candidates.push_back(std::filesystem::path(report_file).parent_path() / named);
  for (const std::filesystem::path& candidate : candidates) {
    std::error_code error;
    if (!std::filesystem::is_regular_file(candidate, error)) continue;
    try {
      const world::Scenario scenario = world::load_scenario(candidate);
      json nodes = json::array();
      for (const cli::NodeSpec& node : scenario.topology.cluster.nodes)
        nodes.push_back(
            {{"name", node.name}, {"parent", node.parent ? json(*node.parent) : json()}, {"mode", node.mode}});
      return {{"source", "Topology from the scenario file " + candidate.string() +
                             " as it is now (the run's report does not carry one)."},
              {"nodes", std::move(nodes)}};
    } catch (const std::exception&) {
      // A scenario that no longer loads: the page says the topology is missing.
    }
  }
  return nullptr;
}

}  // namespace

std::string default_report_output(const std::string& input) {
  return std::filesystem::path(input).replace_extension(".html").string();
}

void add_scenario_topology(json& report, const std::string& report_file) {
  if (!report.is_object() || !report.contains("runs") || !report["runs"].is_array()) return;
  const json* file = report.contains("scenarioFile") ? &report["scenarioFile"] : nullptr;
  if (!file || !file->is_string() || file->get<std::string>().empty()) return;
  json topology;  // loaded once, for every run that needs it
  bool looked = false;
  for (json& run : report["runs"]) {
    if (!run.is_object() || run.contains("topology")) continue;
    if (!looked) {
      topology = scenario_topology(file->get<std::string>(), report_file);
      looked = true;
    }
    if (!topology.is_null()) run["topology"] = topology;
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
