#include "simulator/report/html_report.h"

#include <functional>
#include <set>
#include <vector>

#include "simulator/report/html_parts.h"
#include "simulator/report/report_values.h"
#include "simulator/report/run_sections.h"
#include "simulator/report/svg.h"

namespace outpost::sim::report {

using nlohmann::json;

namespace {

// Colours by class: series s0..s7 (a palette that stays apart for colour-blind readers), fault kinds k-<action>,
// node kinds k-cloud, k-readwrite, k-readonly. Charts draw with var(--c); unknown kinds fall back to grey.
constexpr std::string_view kStyle = R"(
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 0 auto; max-width: 1100px;
       padding: 0 20px 40px; color: #1d2329; background: #fff; }
h1 { font-size: 1.6em; margin: 24px 0 4px; }
h2 { font-size: 1.3em; border-bottom: 2px solid #d8dee4; padding-bottom: 4px; margin-top: 40px; }
h3 { font-size: 1.1em; margin: 28px 0 8px; }
h4 { margin: 12px 0 6px; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 13px; }
th, td { border: 1px solid #d8dee4; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f3f5f7; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
table.facts td:first-child { font-weight: 600; white-space: nowrap; }
code, pre { font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
pre { background: #f6f8fa; border: 1px solid #d8dee4; padding: 8px; white-space: pre-wrap; word-break: break-word; }
.violations pre { border-color: #e5a0a0; background: #fff5f5; }
.badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-weight: 600; font-size: 12px; }
.badge.ok { background: #dcf3e1; color: #16632f; }
.badge.bad { background: #fbdada; color: #8f1717; }
.missing { color: #6a737d; font-style: italic; }
.note { color: #57606a; font-size: 13px; }
nav.toc a { margin-right: 14px; }
section.run:target > h2 { background: #fff8c5; }
figure.chart { margin: 12px 0; overflow-x: auto; }
figure.chart figcaption { font-weight: 600; margin-bottom: 4px; }
figure.chart svg { display: block; max-width: 100%; height: auto; font-size: 11px; }
details { margin: 8px 0; }
summary { cursor: pointer; color: #0b57a4; }
svg text { fill: #1d2329; }
svg .tick, svg .axis-label, svg .legend { fill: #57606a; }
svg .empty { fill: #8c959f; font-style: italic; }
svg .grid { stroke: #eaeef2; }
svg .axis { stroke: #8c959f; }
svg .series { fill: none; stroke: var(--c); stroke-width: 2; }
svg .bar, svg .dot, svg .swatch, svg .span, svg .mark, svg .strip { fill: var(--c, #8c959f); }
svg .span { fill-opacity: 0.85; }
svg .span.open { fill-opacity: 0.55; stroke: var(--c, #8c959f); stroke-dasharray: 3 2; }
svg .edge { fill: none; stroke: #8c959f; stroke-width: 1.5; }
svg .node { fill: #f3f5f7; stroke: var(--c, #57606a); stroke-width: 2; rx: 6; }
svg .node-name { font-weight: 600; }
svg .node-detail, svg .lane { fill: #57606a; }
.s0 { --c: #0072b2; } .s1 { --c: #e69f00; } .s2 { --c: #009e73; } .s3 { --c: #cc79a7; }
.s4 { --c: #56b4e9; } .s5 { --c: #d55e00; } .s6 { --c: #f0e442; } .s7 { --c: #000000; }
.k-cloud { --c: #0072b2; } .k-readwrite { --c: #009e73; } .k-readonly { --c: #e69f00; }
.k-link-down, .k-link-up { --c: #d55e00; } .k-partition, .k-heal { --c: #cc79a7; }
.k-crash, .k-restart { --c: #c0392b; } .k-pause, .k-resume { --c: #e69f00; }
.k-clock-skew { --c: #56b4e9; } .k-toxic, .k-remove-toxic { --c: #8e44ad; }
.k-lost-responses { --c: #7f8c8d; } .k-stop, .k-slow, .k-jam, .k-restore { --c: #b7950b; }
.k-disk-full, .k-disk-freed { --c: #6d4c41; } .k-sync-round { --c: #009e73; }
.k-sync-round-failed { --c: #cc4125; }
)";

std::string run_anchor(const json& run, std::set<std::string>& taken) {
  std::string anchor = "seed-" + class_name(text_at(run, {"seed"}));
  for (int n = 2; !taken.insert(anchor).second; ++n)
    anchor = "seed-" + class_name(text_at(run, {"seed"})) + "-" + std::to_string(n);
  return anchor;
}

// A section, or what went wrong reading it: one odd field must not cost the whole page.
std::string guarded(const std::string& name, const std::function<std::string()>& build) {
  try {
    return build();
  } catch (const std::exception& error) {
    return "<p class=\"missing\">" + escape(name + " could not be read: " + error.what()) + "</p>\n";
  }
}

std::string run_html(const json& run, const std::string& anchor, const std::string& scenario_file) {
  const bool ok = flag_at(run, {"ok"});
  std::string html = "<section class=\"run\" id=\"" + escape(anchor) + "\">\n<h2>Seed " +
                     escape(text_at(run, {"seed"})) + " " + badge(ok, ok ? "passed" : "FAILED") + "</h2>\n";
  html += "<nav class=\"toc\">";
  for (const auto& [part, title] : std::vector<std::pair<std::string, std::string>>{{"topology", "Topology"},
                                                                                    {"timeline", "Timeline"},
                                                                                    {"throughput", "Throughput"},
                                                                                    {"propagation", "Propagation"},
                                                                                    {"invariants", "Invariants"}})
    html += "<a href=\"#" + escape(anchor + "-" + part) + "\">" + escape(title) + "</a>";
  html += "</nav>\n";
  html += guarded("The run's facts", [&] { return facts_section(run, scenario_file); });
  html += guarded("The topology", [&] { return topology_section(run, anchor); });
  html += guarded("The timeline", [&] { return timeline_section(run, anchor); });
  html += guarded("The throughput", [&] { return throughput_section(run, anchor); });
  html += guarded("The propagation latency", [&] { return propagation_section(run, anchor); });
  html += guarded("The invariants", [&] { return invariants_section(run, anchor); });
  return html + "</section>\n";
}

}  // namespace

std::string html_report(const json& report) {
  std::vector<const json*> runs;
  std::string scenario_file;
  if (const json* list = find(report, {"runs"}); list && list->is_array()) {
    for (const json& run : *list)
      if (run.is_object()) runs.push_back(&run);
    scenario_file = text_at(report, {"scenarioFile"});
  } else if (find(report, {"seed"})) {
    runs.push_back(&report);
  } else {
    throw std::invalid_argument("not a report of `outpost sim run --report`: it has no \"runs\"");
  }

  std::string scenario;
  for (const json* run : runs)
    if (scenario.empty()) scenario = text_at(*run, {"scenario"});
  if (scenario.empty()) scenario = scenario_file;
  size_t passed = 0;
  for (const json* run : runs) passed += flag_at(*run, {"ok"});

  std::string html =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
      "<title>" +
      escape("Simulation report: " + scenario) + "</title>\n<style>" + std::string(kStyle) +
      "</style>\n</head>\n<body>\n";
  html += "<header><h1>" + escape("Simulation report: " + scenario) + "</h1>\n";
  html += paragraph((scenario_file.empty() ? std::string() : "Scenario file " + scenario_file + ". ") +
                    std::to_string(runs.size()) + (runs.size() == 1 ? " seed, " : " seeds, ") + std::to_string(passed) +
                    " passed.");
  html += "</header>\n";

  std::set<std::string> taken;
  std::vector<std::string> anchors;
  for (const json* run : runs) anchors.push_back(run_anchor(*run, taken));

  std::vector<std::vector<Cell>> rows;
  for (size_t i = 0; i < runs.size(); ++i) {
    const json& run = *runs[i];
    const bool ok = flag_at(run, {"ok"});
    const json* violations = find(run, {"violations"});
    const bool converged = flag_at(run, {"convergence", "converged"});
    rows.push_back({Cell::markup("<a href=\"#" + escape(anchors[i]) + "\">" + escape(text_at(run, {"seed"})) + "</a>"),
                    Cell::markup(badge(ok, ok ? "passed" : "FAILED")),
                    find(run, {"convergence"}) ? Cell::markup(badge(converged, converged ? "yes" : "no")) : Cell(""),
                    Cell::figure(violations && violations->is_array() ? std::to_string(violations->size()) : ""),
                    text_at(run, {"virtualTime", "end"}),
                    Cell::figure(number_at(run, {"events"}) ? count_text(*number_at(run, {"events"})) : ""),
                    Cell::markup(code(text_at(run, {"traceHash"})))});
  }
  html += "<nav class=\"seeds\"><h2>Seeds</h2>\n" +
          table({"Seed", "Result", "Converged", "Violations", "Virtual time", "Events", "Trace hash"}, rows, "seeds") +
          "</nav>\n";
  if (runs.empty()) html += not_in_report("Runs");
  for (size_t i = 0; i < runs.size(); ++i) html += run_html(*runs[i], anchors[i], scenario_file);
  html += "<footer class=\"note\"><p>Written by <code>outpost sim report</code>.</p></footer>\n</body>\n</html>\n";
  return html;
}

}  // namespace outpost::sim::report
