#pragma once
// `outpost sim report`: a report of `outpost sim run --report` (simulator/cli/sim_report.h) as one self-contained
// HTML page: no external resource and no script (a Content-Security-Policy forbids both), charts as inline SVG
// (charts.h), styles inline. Per seed: the header facts and replay command, the topology as a tree, a timeline of
// faults and sync rounds per node, sync throughput, propagation latency per depth, and the invariants' results
// (run_sections.h). Several seeds: a table of them at the top, each linking to its own section (#seed-N).
// Whatever the report lacks, the page says so where it would have been. Every text from the report is escaped.
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

namespace outpost::sim::report {

// Throws std::invalid_argument when `report` is neither a report ({"runs": [...]}) nor a single run ({"seed", ...}).
std::string html_report(const nlohmann::json& report);

}  // namespace outpost::sim::report
