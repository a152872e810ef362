#pragma once
// `outpost sim report`: the JSON that `outpost sim run --report` wrote, as one self-contained HTML page
// (simulator/report/html_report.h):
//
//   outpost sim report RUN.json [-o REPORT.html]
//
// A run is drawn with the topology its report carries (`sim run --report` writes the scenario's nodes once, at the
// top); a report written before it did gets the one of its scenario file (the report's scenarioFile, looked up from
// the working directory, then beside RUN.json), and the page says it came from the file as it is now, or, when the
// file is not found, where it was looked for. Exit status 0 with the page written, 1 when the page cannot be written, 2 for a wrong command line
// or a RUN.json that cannot be read (missing, not JSON, not a report).
#include <iosfwd>
#include <nlohmann/json.hpp>
#include <string>

#include "simulator/world/scenario.h"

namespace outpost::sim::commands {

struct SimReportOptions {
  std::string input;   // RUN.json
  std::string output;  // default: RUN.json's path with the extension .html
};

// Where the page goes when -o is not given: "runs.json" -> "runs.html".
std::string default_report_output(const std::string& input);

// The scenario's nodes as a report carries them: [{name, parent (null: under the cloud), mode}], parents first.
nlohmann::json topology_nodes(const world::Scenario& scenario);

// Adds `topology` ({"source", "nodes": [{name, parent, mode}]}, or {"source"} alone when none is found) to each run of
// `report` that lacks one: the report's own (its top-level `topology`), else its scenario file's when it can be
// loaded; `report_file` is where the report was read from.
void add_scenario_topology(nlohmann::json& report, const std::string& report_file);

int render_report(const SimReportOptions& options, std::ostream& out, std::ostream& err);

}  // namespace outpost::sim::commands
