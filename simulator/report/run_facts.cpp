// The run's header facts, its topology and its invariants (run_sections.h).
#include <cmath>
#include <map>
#include <set>

#include "simulator/report/charts.h"
#include "simulator/report/html_parts.h"
#include "simulator/report/report_values.h"
#include "simulator/report/run_sections.h"
#include "simulator/report/svg.h"

namespace outpost::sim::report {

using nlohmann::json;

namespace {

constexpr std::string_view kCloud = "cloud";

std::string or_count(const json& run, Path path) {
  const auto value = number_at(run, path);
  return value ? count_text(*value) : text_at(run, path);
}

// A list of strings (or of anything, each written as text) at `path`.
std::vector<std::string> texts_at(const json& run, Path path) {
  std::vector<std::string> out;
  const json* list = find(run, path);
  if (!list || !list->is_array()) return out;
  for (const json& item : *list) out.push_back(item.is_string() ? item.get<std::string>() : item.dump(2));
  return out;
}

}  // namespace

std::string not_in_report(const std::string& what) {
  return "<p class=\"missing\">" + escape(what) + ": not in this report.</p>\n";
}

std::string replay_command(const json& run, const std::string& scenario_file) {
  std::string command = "outpost sim run " + (scenario_file.empty() ? std::string("SCENARIO.json") : scenario_file);
  command += " --seed " + text_at(run, {"seed"});
  if (const std::string duration = text_at(run, {"virtualTime", "run"}); !duration.empty())
    command += " --duration " + duration;
  if (const std::string network = text_at(run, {"network"}); !network.empty()) command += " --network " + network;
  if (const std::string storage = text_at(run, {"storage"}); !storage.empty()) command += " --storage " + storage;
  return command;
}

std::string facts_section(const json& run, const std::string& scenario_file) {
  std::vector<std::vector<Cell>> rows;
  const auto fact = [&rows](const std::string& name, const std::string& value) {
    if (!value.empty()) rows.push_back({name, value});
  };
  const auto fact_html = [&rows](const std::string& name, const std::string& html) {
    rows.push_back({name, Cell::markup(html)});
  };

  std::string scenario = text_at(run, {"scenario"});
  if (!scenario_file.empty())
    scenario += (scenario.empty() ? "" : " (") + scenario_file + (scenario.empty() ? "" : ")");
  fact("Scenario", scenario);
  fact("Seed", text_at(run, {"seed"}));
  const bool ok = flag_at(run, {"ok"});
  fact_html("Result", badge(ok, ok ? "passed" : "FAILED"));
  fact("Network", text_at(run, {"network"}));
  fact("Nodes", or_count(run, {"nodes"}));
  fact("Password-hash iterations", or_count(run, {"passwordHashIterations"}));
  fact("Trace hash", text_at(run, {"traceHash"}));
  if (const std::string hash = text_at(run, {"runHash"}); !hash.empty() && hash != text_at(run, {"traceHash"}))
    fact("Run hash", hash);
  if (find(run, {"deterministic"}))
    fact_html("Determinism",
              badge(flag_at(run, {"deterministic"}), flag_at(run, {"deterministic"})
                                                         ? "second run agrees"
                                                         : "second run differs: " + text_at(run, {"secondRunHash"})));
  if (const std::string end = text_at(run, {"virtualTime", "end"}); !end.empty())
    fact("Virtual time", end + " (warm-up " + text_at(run, {"virtualTime", "warmUp"}) + ", run " +
                             text_at(run, {"virtualTime", "run"}) + ", settle " +
                             text_at(run, {"virtualTime", "settle"}) + ")");
  if (const auto wall = number_at(run, {"wallSeconds"})) {
    std::string text = number(*wall) + " s";
    // The world's building, apart: a large fleet's is a good part of a short run.
    if (const auto build = number_at(run, {"build", "wallSeconds"})) text += " (build " + number(*build) + " s)";
    fact("Wall time", text);
  }
  if (const auto events = number_at(run, {"events"})) {
    std::string text = count_text(*events);
    if (const auto rate = number_at(run, {"eventsPerSecond"})) {
      text += " (" + count_text(std::round(*rate)) + "/s";
      if (const auto after = number_at(run, {"eventsPerSecondAfterBuild"}); after && *after > 0)
        text += ", " + count_text(std::round(*after)) + "/s after the build";
      text += ")";
    }
    fact("Events", text);
  }
  if (const auto requests = number_at(run, {"requests", "total"}))
    fact("Requests", count_text(*requests) + " (" + or_count(run, {"requests", "transportFailures"}) +
                         " transport failures; " + bytes_text(number_at(run, {"requests", "bytesUp"}).value_or(0)) +
                         " up, " + bytes_text(number_at(run, {"requests", "bytesDown"}).value_or(0)) + " down)");
  fact("Sync rounds", or_count(run, {"syncRounds"}));
  fact("Faults applied", or_count(run, {"faults", "applied"}));
  if (const json* convergence = find(run, {"convergence"}); convergence && convergence->is_object()) {
    const bool converged = flag_at(*convergence, {"converged"});
    fact_html("Convergence",
              badge(converged, converged ? "converged " + text_at(*convergence, {"convergedAfter"}) + " after the heal"
                                         : "NOT converged") +
                  escape("; pushes acknowledged " + or_count(*convergence, {"pushesAcknowledged"}) + ", at the cloud " +
                         or_count(*convergence, {"pushesAtCloud"})));
  }
  if (find(run, {"workload", "pushes"}))
    fact("Workload", "pushes " + or_count(run, {"workload", "pushes", "acknowledged"}) + "/" +
                         or_count(run, {"workload", "pushes", "attempted"}) + " acknowledged; pulls " +
                         or_count(run, {"workload", "pulls", "ok"}) + "/" +
                         or_count(run, {"workload", "pulls", "attempted"}) + " ok");
  fact_html("Replay", code(replay_command(run, scenario_file)));

  std::string html = table({"Fact", "Value"}, rows, "facts");
  const std::vector<std::string> violations = texts_at(run, {"violations"});
  if (!violations.empty()) {
    html += "<div class=\"violations\"><h4>Violations (" + std::to_string(violations.size()) + ")</h4>\n";
    for (const std::string& violation : violations) html += preformatted(violation);
    html += "</div>\n";
  }
  return html;
}

std::string topology_section(const json& run, const std::string& anchor) {
  const std::string id = anchor + "-topology";
  const json* nodes = find(run, {"topology", "nodes"});
  if (!nodes || !nodes->is_array() || nodes->empty()) {
    // Why, when the report's reader could tell (sim report: the scenario file it looked for and did not find).
    const std::string source = text_at(run, {"topology", "source"});
    return section(id, "Topology",
                   not_in_report("Topology") + (source.empty() ? "" : "<p class=\"note\">" + escape(source) + "</p>\n"));
  }

  // The cloud on top, every node under its parent (or the cloud); depth as the tree has it.
  TreeChart chart{"Topology", {{std::string(kCloud), "", "cloud", "cloud"}}};
  std::map<std::string, std::string> parents;
  for (const json& node : *nodes) {
    const std::string name = text_at(node, {"name"});
    if (name.empty() || name == kCloud) continue;
    std::string parent = text_at(node, {"parent"});
    if (parent.empty()) parent = kCloud;
    const std::string mode = text_at(node, {"mode"});
    chart.nodes.push_back({name, parent, mode, mode.empty() ? "node" : mode});
    parents[name] = parent;
  }
  std::map<std::string, int> depth{{std::string(kCloud), 0}};
  const auto depth_of = [&](const std::string& name) {
    // Walk up, at most as many steps as there are nodes (a cycle stops there).
    int steps = 0;
    std::string at = name;
    while (at != kCloud && parents.contains(at) && steps <= static_cast<int>(parents.size())) {
      at = parents[at];
      ++steps;
    }
    return steps;
  };
  for (const auto& [name, parent] : parents) depth[name] = depth_of(name);

  std::string html;
  if (const std::string source = text_at(run, {"topology", "source"}); !source.empty())
    html += "<p class=\"note\">" + escape(source) + "</p>\n";
  if (chart.nodes.size() > kMostNodesDrawn) {
    // Keep the levels that fit.
    int deepest = 0;
    for (int level = 1;; ++level) {
      size_t count = 0;
      for (const auto& [name, d] : depth) count += d <= level;
      if (count > kMostNodesDrawn || count == depth.size()) break;
      deepest = level;
    }
    std::erase_if(chart.nodes, [&](const TreeChartNode& node) { return depth[node.name] > deepest; });
    html += "<p class=\"note\">" +
            escape(std::to_string(depth.size()) + " nodes: the drawing shows the levels down to depth " +
                   std::to_string(deepest) + " (" + std::to_string(chart.nodes.size()) + " nodes).") +
            "</p>\n";
  }
  html += tree_chart(chart);

  std::vector<std::vector<Cell>> rows;
  for (const json& node : *nodes) {
    const std::string name = text_at(node, {"name"});
    if (name.empty() || name == kCloud) continue;
    const json* link = find(run, {"metrics", "throughput", "links", name});
    rows.push_back({name, parents[name], text_at(node, {"mode"}), Cell::figure(std::to_string(depth[name])),
                    Cell::figure(link ? bytes_text(number_at(*link, {"bytes"}).value_or(0)) : ""),
                    Cell::figure(or_count(run, {"metrics", "retries", "byHost", name}))});
  }
  html += details("Nodes (" + std::to_string(rows.size()) + ")",
                  table({"Node", "Parent", "Mode", "Depth", "Uplink bytes", "Retried requests"}, rows), false);
  return section(id, "Topology", html);
}

std::string invariants_section(const json& run, const std::string& anchor) {
  const std::string id = anchor + "-invariants";
  const json* invariants = find(run, {"invariants"});
  if (!invariants || !invariants->is_object() || invariants->empty())
    return section(id, "Invariants", not_in_report("Invariants"));

  std::string html;
  const bool held = flag_at(*invariants, {"held"});
  html += "<p>" + badge(held, held ? "every invariant held" : "an invariant was violated") + "</p>\n";

  if (const json* checks = find(*invariants, {"checks"}); checks && checks->is_array()) {
    std::vector<std::vector<Cell>> rows;
    for (const json& check : *checks) {
      const json* violations = find(check, {"violations"});
      // A count, or the list itself.
      double count = 0;
      if (violations && violations->is_number()) count = violations->get<double>();
      if (violations && violations->is_array()) count = static_cast<double>(violations->size());
      rows.push_back({text_at(check, {"name"}), Cell::figure(or_count(check, {"checked"})),
                      Cell::figure(count_text(count)),
                      Cell::markup(badge(count == 0, count == 0 ? "held" : "violated"))});
    }
    html += table({"Invariant", "Checked", "Violations", "Result"}, rows, "invariants");
  } else {
    html += not_in_report("The list of checks");
  }

  const std::vector<std::string> messages = texts_at(*invariants, {"violations"});
  if (!messages.empty()) {
    html += "<div class=\"violations\"><h4>Violation messages (" + std::to_string(messages.size()) + ")</h4>\n";
    for (const std::string& message : messages) html += preformatted(message);
    html += "</div>\n";
  }

  // How long changes took to be enforced, per depth (the bound of changes-enforced-in-time).
  if (const json* delays = find(*invariants, {"enforcement", "delaysMs"}); delays && delays->is_object()) {
    std::vector<std::vector<Cell>> rows;
    for (const auto& [depth, figures] : delays->items())
      rows.push_back({depth, Cell::figure(or_count(figures, {"count"})),
                      Cell::figure(milliseconds_text(number_at(figures, {"p50"}).value_or(0))),
                      Cell::figure(milliseconds_text(number_at(figures, {"p90"}).value_or(0))),
                      Cell::figure(milliseconds_text(number_at(figures, {"p99"}).value_or(0))),
                      Cell::figure(milliseconds_text(number_at(figures, {"max"}).value_or(0)))});
    std::string caption = "Enforcement delay of management changes, per depth";
    if (const std::string lag = text_at(*invariants, {"enforcement", "lagPerLevel"}); !lag.empty())
      caption += " (allowed lag per level " + lag + ")";
    html += details(caption, table({"Depth", "Changes", "p50", "p90", "p99", "max"}, rows), false);
  }
  return section(id, "Invariants", html);
}

}  // namespace outpost::sim::report
