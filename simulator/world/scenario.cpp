#include "simulator/world/scenario.h"

#include <fstream>

#include "reference/common/json_depth.h"
#include "reference/common/json_error.h"
#include "simulator/world/scenario_fields.h"
#include "simulator/world/scenario_sections.h"

namespace outpost::sim::world {

using nlohmann::json;

Scenario parse_scenario(const json& document, const std::filesystem::path& base) {
  const Fields fields(document, "scenario",
                      {"name", "description", "seed", "duration", "settle", "checkInterval", "warmUp",
                       "passwordHashIterations", "network", "storage", "startNodes", "topology", "workload", "faults"});
  Scenario scenario;
  scenario.name = fields.string("name").value_or(scenario.name);
  scenario.description = fields.string("description").value_or("");
  scenario.seed = fields.whole("seed", 0, UINT64_MAX).value_or(scenario.seed);
  scenario.duration = fields.duration("duration").value_or(scenario.duration);
  if (scenario.duration <= Nanoseconds(0)) fields.fail("duration", "must be longer than zero");
  scenario.settle = fields.duration("settle").value_or(scenario.settle);
  scenario.check_interval = fields.duration("checkInterval").value_or(scenario.check_interval);
  if (scenario.check_interval < std::chrono::milliseconds(100)) fields.fail("checkInterval", "must be 100ms or more");
  scenario.warm_up = fields.duration("warmUp").value_or(scenario.warm_up);
  scenario.network = fields.string("network").value_or(scenario.network);
  if (scenario.network != "direct" && scenario.network != "simulated")
    fields.fail("network", "'" + scenario.network + "' is not a network: direct or simulated");
  scenario.storage = fields.string("storage").value_or(scenario.storage);
  if (scenario.storage != "memory" && scenario.storage != "disk")
    fields.fail("storage", "'" + scenario.storage + "' is not a storage: memory or disk");

  const std::string start_nodes = fields.string("startNodes").value_or("asCreated");
  if (start_nodes != "asCreated" && start_nodes != "together")
    fields.fail("startNodes", "'" + start_nodes + "' is not a start order: asCreated or together");
  scenario.start_nodes_together = start_nodes == "together";

  const json* topology = fields.get("topology");
  if (!topology) fields.fail("topology", "is required: a cluster topology (inline or a file name) or {\"tree\": ...}");
  scenario.topology = parse_sim_topology(*topology, fields.at("topology"), base);

  // The simulator's own knob: a topology's passwordHashIterations is the live cluster's (like its proxies).
  if (const auto iterations = fields.whole("passwordHashIterations", 1, 10'000'000))
    scenario.password_hash_iterations = static_cast<unsigned>(*iterations);
  if (const json* workload = fields.get("workload"))
    scenario.workload = parse_workload(*workload, fields.at("workload"), scenario.topology);
  if (const json* faults = fields.get("faults"))
    parse_faults(*faults, fields.at("faults"), scenario.topology, scenario.timeline, scenario.nemesis);
  check_occurrences(scenario, scenario.duration);  // at the scenario's own duration; a command line's is checked too
  return scenario;
}

Scenario load_scenario(const std::filesystem::path& file) {
  // A directory opens as a stream on Linux and fails only when read, with the library's words and no file name.
  std::error_code ignored;
  if (std::filesystem::is_directory(file, ignored))
    throw ScenarioError("cannot read scenario file " + file.string() + ": it is a directory");
  std::ifstream in(file);
  if (!in) throw ScenarioError("cannot read scenario file " + file.string());
  json document;
  try {
    document = parse_json_within_depth(in, kMaxJsonFileDepth);
  } catch (const std::exception& error) {
    throw ScenarioError(file.string() + " is not valid JSON: " + json_error_message(error));
  }
  try {
    Scenario scenario = parse_scenario(document, file.parent_path());
    scenario.file = file;
    return scenario;
  } catch (const ScenarioError& error) {
    throw ScenarioError(file.string() + ": " + error.what());
  }
}

}  // namespace outpost::sim::world
