// The run's charts over its metrics: the timeline of faults and sync rounds per node, sync throughput, and
// propagation latency per depth (run_sections.h).
#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "reference/common/iso_duration.h"
#include "simulator/report/charts.h"
#include "simulator/report/html_parts.h"
#include "simulator/report/report_values.h"
#include "simulator/report/run_sections.h"
#include "simulator/report/svg.h"

namespace outpost::sim::report {

using nlohmann::json;

namespace {

constexpr size_t kMostSeriesPerChart = 8;
constexpr size_t kMostBarCategories = 24;
constexpr size_t kMostFaultRows = 500;

// What a fault's undoing action ends: the action that started it ("" when it starts something itself).
std::vector<std::string> started_by(const std::string& action) {
  if (action == "link-up") return {"link-down"};
  if (action == "heal") return {"partition"};
  if (action == "restart") return {"crash"};
  if (action == "resume") return {"pause"};
  if (action == "remove-toxic") return {"toxic"};
  if (action == "restore") return {"stop", "slow", "jam"};
  if (action == "disk-freed") return {"disk-full"};
  return {};
}

// Depth keys ("1", "2", ... "10") in numeric order; keys that are not numbers after them, as they come.
std::vector<std::string> depth_keys(const json& object) {
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.push_back(key);
  const auto as_number = [](const std::string& key) {
    if (key.empty() || key.size() > 9 ||
        !std::all_of(key.begin(), key.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return 1'000'000'000;
    return std::stoi(key);
  };
  std::stable_sort(keys.begin(), keys.end(),
                   [&](const std::string& a, const std::string& b) { return as_number(a) < as_number(b); });
  return keys;
}

// The node names of the run's topology, the cloud first, in the report's order.
std::vector<std::string> topology_names(const json& run) {
  std::vector<std::string> names;
  const json* nodes = find(run, {"topology", "nodes"});
  if (!nodes || !nodes->is_array()) return names;
  names.push_back("cloud");
  for (const json& node : *nodes)
    if (const std::string name = text_at(node, {"name"}); !name.empty() && name != "cloud") names.push_back(name);
  return names;
}

std::vector<std::string> targets_of(const json& fault) {
  std::vector<std::string> out;
  const json* targets = find(fault, {"targets"});
  if (!targets) targets = find(fault, {"target"});
  if (targets && targets->is_array()) {
    for (const json& target : *targets) out.push_back(scalar_text(target));
  } else if (targets) {
    out.push_back(scalar_text(*targets));
  }
  return out;
}

}  // namespace

std::string timeline_section(const json& run, const std::string& anchor) {
  const std::string id = anchor + "-timeline";
  const json* faults = find(run, {"metrics", "faults", "list"});
  const json* rounds = find(run, {"metrics", "rounds"});
  const bool have_faults = faults && faults->is_array();
  const bool have_rounds = rounds && rounds->is_object();
  if (!have_faults && !have_rounds) return section(id, "Timeline", not_in_report("Faults and sync rounds over time"));

  double end = number_at(run, {"virtualTime", "endNanoseconds"}).value_or(0);
  if (have_faults)
    for (const json& fault : *faults) end = std::max(end, number_at(fault, {"atNanoseconds"}).value_or(0));
  const TimeUnit unit = time_unit_for(end);
  const auto in_unit = [&unit](double nanoseconds) { return nanoseconds / unit.nanoseconds; };

  std::map<std::string, std::vector<TimelineSpan>> lanes;
  std::vector<std::string> order = topology_names(run);
  const auto lane = [&](const std::string& name) -> std::vector<TimelineSpan>& {
    if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
    return lanes[name];
  };
  const std::string everyone = "(all nodes)";

  std::string html;
  if (have_faults) {
    // Pair each fault with what ends it, per target: (lane, started action) -> the open span's index in the lane.
    std::map<std::pair<std::string, std::string>, size_t> open;
    std::vector<std::vector<Cell>> rows;
    for (const json& fault : *faults) {
      const double at = number_at(fault, {"atNanoseconds"}).value_or(0);
      const std::string action = text_at(fault, {"action"});
      const std::string origin = text_at(fault, {"origin"});
      const std::string when = text_at(fault, {"at"});
      std::vector<std::string> targets = targets_of(fault);
      std::string detail = text_at(fault, {"skew"});
      if (rows.size() < kMostFaultRows) {
        std::string joined;
        for (const std::string& target : targets) joined += (joined.empty() ? "" : ", ") + target;
        rows.push_back({when, action, joined, origin + (detail.empty() ? "" : " (skew " + detail + ")")});
      }

      const bool ends_own_kind = origin.ends_with(" (end)") && started_by(action).empty();
      const std::vector<std::string> ends = ends_own_kind ? std::vector<std::string>{action} : started_by(action);
      if (!ends.empty() && targets.empty()) {
        // Everything heals (the end of the run): every open span ends here.
        for (const auto& [key, index] : open) {
          TimelineSpan& span = lanes[key.first][index];
          span.end = in_unit(at);
          span.open = false;
          span.tooltip += " until " + when;
        }
        open.clear();
        lane(everyone).push_back({in_unit(at), in_unit(at), action, action + " at " + when + " (" + origin + ")"});
        continue;
      }
      if (targets.empty()) targets.push_back(everyone);
      for (const std::string& target : targets) {
        bool closed = false;
        for (const std::string& started : ends) {
          const auto found = open.find({target, started});
          if (found == open.end()) continue;
          TimelineSpan& span = lanes[target][found->second];
          span.end = in_unit(at);
          span.open = false;
          span.tooltip += " until " + when;
          open.erase(found);
          closed = true;
          break;
        }
        if (closed) continue;
        const std::string tooltip =
            action + " " + target + (detail.empty() ? "" : " " + detail) + " at " + when + " (" + origin + ")";
        std::vector<TimelineSpan>& spans = lane(target);
        if (!ends.empty()) {  // an end without its start: a mark
          spans.push_back({in_unit(at), in_unit(at), action, tooltip});
          continue;
        }
        if (const auto previous = open.find({target, action}); previous != open.end()) {
          spans[previous->second].end = in_unit(at);  // a second start replaces the first (a new skew)
          spans[previous->second].open = false;
          open.erase(previous);
        }
        spans.push_back({in_unit(at), in_unit(end), action, tooltip, true});
        open[{target, action}] = spans.size() - 1;
      }
    }
    // What no step ended runs to the end of the timeline, drawn open.
    for (const auto& [key, index] : open) lanes[key.first][index].tooltip += " (not ended)";
    html += details("Fault steps, the closing heal included (" + std::to_string(faults->size()) + ")",
                    table({"At", "Action", "Targets", "Origin"}, rows, "faults"), false);
  }

  // Rounds are strips along each lane's bottom: the completed ones, then the failed ones (an outage shows its
  // attempts between the completed rounds' gaps).
  const auto add_rounds = [&](const json& by_node, const std::string& kind) {
    for (const auto& [node, list] : by_node.items()) {
      if (!list.is_array()) continue;
      for (const json& round : list) {
        if (!round.is_array() || round.size() < 2 || !round[0].is_number() || !round[1].is_number()) continue;
        const double start = round[0].get<double>(), stop = round[1].get<double>();
        lane(node).push_back(
            {in_unit(start), in_unit(std::max(stop, start + 1)), kind, kind + " of " + node, false, true});
      }
    }
  };
  if (have_rounds) {
    add_rounds(*rounds, "sync round");
    if (const json* failed = find(run, {"metrics", "failedRounds"}); failed && failed->is_object())
      add_rounds(*failed, "sync round failed");
  }

  Timeline chart{"Faults and sync rounds per node", {"virtual time (" + unit.name + ")", {}}, in_unit(end), {}};
  std::vector<std::string> dropped;
  for (const std::string& name : order) {
    const auto found = lanes.find(name);
    const bool busy = found != lanes.end() && !found->second.empty();
    if (!busy && order.size() > kMostLanes) continue;  // a large world: only the nodes something happened to
    if (chart.lanes.size() >= kMostLanes) {
      dropped.push_back(name);
      continue;
    }
    chart.lanes.push_back({name, busy ? found->second : std::vector<TimelineSpan>{}});
  }
  std::string notes;
  if (!have_rounds) {
    const std::string total = text_at(run, {"syncRounds"});
    notes += not_in_report("Sync rounds per node" +
                           (total.empty() ? "" : " (the run finished " + total + " rounds, every node together)"));
  }
  if (!have_faults) notes += not_in_report("Faults over time");
  if (!dropped.empty())
    notes += "<p class=\"note\">" + escape(std::to_string(dropped.size()) + " more lanes not drawn.") + "</p>\n";
  return section(id, "Timeline", timeline_chart(chart) + notes + html);
}

std::string throughput_section(const json& run, const std::string& anchor) {
  const std::string id = anchor + "-throughput";
  const json* links = find(run, {"metrics", "throughput", "links"});
  const json* levels = find(run, {"metrics", "throughput", "levels"});
  if ((!links || !links->is_object()) && (!levels || !levels->is_object()))
    return section(id, "Sync throughput", not_in_report("Sync throughput"));

  const std::string window_text = text_at(run, {"metrics", "window"});
  const std::optional<Nanoseconds> window = parse_human_duration(window_text);
  const double end = number_at(run, {"virtualTime", "endNanoseconds"}).value_or(0);
  const TimeUnit unit = time_unit_for(end);
  const Format rate = [](double value) { return rate_text(value); };

  // Links by bytes moved, most first.
  std::vector<std::pair<double, std::string>> by_bytes;
  if (links && links->is_object())
    for (const auto& [name, figures] : links->items())
      by_bytes.emplace_back(-number_at(figures, {"bytes"}).value_or(0), name);
  std::sort(by_bytes.begin(), by_bytes.end());

  std::string html;
  // Over time, when the report has each link's windows.
  LineChart over_time{
      "Sync throughput per link over time", {"virtual time (" + unit.name + ")", {}}, {"bytes/s", rate}, {}};
  for (const auto& [bytes, name] : by_bytes) {
    const json* series = find((*links)[name], {"series"});
    if (!series || !series->is_array() || over_time.series.size() >= kMostSeriesPerChart) continue;
    Series line{name, {}, true};
    double next_start = -1;
    for (const json& point : *series) {
      if (!point.is_array() || point.size() < 2 || !point[0].is_number() || !point[1].is_number()) continue;
      const double start = point[0].get<double>(), value = point[1].get<double>();
      // A window in which the link moved nothing is left out of the series: it drops to zero.
      if (window && next_start >= 0 && start > next_start + 1) {
        line.points.emplace_back(next_start / unit.nanoseconds, 0);
        line.points.emplace_back(start / unit.nanoseconds, 0);
      }
      line.points.emplace_back(start / unit.nanoseconds, value);
      next_start = window ? start + static_cast<double>(window->count()) : start;
    }
    if (!line.points.empty()) {
      line.points.emplace_back(next_start / unit.nanoseconds, line.points.back().second);  // the last window's end
      over_time.series.push_back(std::move(line));
    }
  }
  if (!over_time.series.empty()) {
    html += line_chart(over_time);
  } else {
    html += not_in_report("Throughput per link over time");
  }

  const auto percentile_chart = [&](const std::string& title, const json& object, const std::vector<std::string>& names,
                                    const std::string& prefix) {
    BarChart chart{title, {"bytes/s", rate}, {}, {"p50", "p90", "p99", "max"}, {}};
    for (const std::string& name : names) {
      if (chart.categories.size() >= kMostBarCategories) break;
      const json& figures = object[name];
      chart.categories.push_back(prefix + name);
      chart.values.push_back({number_at(figures, {"p50"}).value_or(NAN), number_at(figures, {"p90"}).value_or(NAN),
                              number_at(figures, {"p99"}).value_or(NAN), number_at(figures, {"max"}).value_or(NAN)});
    }
    return bar_chart(chart);
  };
  const std::string over = window_text.empty() ? "" : " " + window_text;
  html += "<p class=\"note\">" +
          escape("Percentiles over the" + over +
                 " windows in which a link moved anything (an agent's exchanges "
                 "with its parent, request and response bodies).") +
          "</p>\n";

  std::vector<std::vector<Cell>> rows;
  const auto figures_row = [&rows](const std::string& name, const json& figures) {
    rows.push_back({name, Cell::figure(bytes_text(number_at(figures, {"bytes"}).value_or(0))),
                    Cell::figure(rate_text(number_at(figures, {"meanOverRun"}).value_or(0))),
                    Cell::figure(text_at(figures, {"activeWindows"})),
                    Cell::figure(rate_text(number_at(figures, {"p50"}).value_or(0))),
                    Cell::figure(rate_text(number_at(figures, {"p90"}).value_or(0))),
                    Cell::figure(rate_text(number_at(figures, {"p99"}).value_or(0))),
                    Cell::figure(rate_text(number_at(figures, {"max"}).value_or(0)))});
  };
  if (links && links->is_object()) {
    std::vector<std::string> names;
    for (const auto& [bytes, name] : by_bytes) names.push_back(name);
    html += percentile_chart("Sync throughput per link (uplink of the node named)", *links, names, "");
    for (const std::string& name : names) figures_row(name, (*links)[name]);
  } else {
    html += not_in_report("Throughput per link");
  }
  if (levels && levels->is_object()) {
    const std::vector<std::string> names = depth_keys(*levels);
    html += percentile_chart("Sync throughput per level (links into nodes of that depth)", *levels, names, "depth ");
    for (const std::string& name : names) figures_row("depth " + name, (*levels)[name]);
  }
  html +=
      details("Throughput figures",
              table({"Link", "Bytes", "Mean over the run", "Active windows", "p50", "p90", "p99", "max"}, rows), false);
  if (const auto moved = number_at(run, {"metrics", "bytes", "moved"})) {
    const double minimal = number_at(run, {"metrics", "bytes", "minimal"}).value_or(0);
    html += paragraph("Bytes moved by the agents: " + bytes_text(*moved) + ", against " + bytes_text(minimal) +
                      " if every node received each push once (ratio " +
                      number(number_at(run, {"metrics", "bytes", "ratio"}).value_or(0)) + ").");
  }
  return section(id, "Sync throughput", html);
}

std::string propagation_section(const json& run, const std::string& anchor) {
  const std::string id = anchor + "-propagation";
  const json* propagation = find(run, {"metrics", "propagation"});
  if (!propagation || !propagation->is_object())
    return section(id, "Propagation latency", not_in_report("Propagation latency per depth"));

  const Format ms = [](double value) { return milliseconds_text(value); };
  std::string html;
  const auto direction = [&](const char* key, const std::string& title, const std::string& depth_means) {
    const json* by_depth = find(*propagation, {key});
    if (!by_depth || !by_depth->is_object() || by_depth->empty()) {
      html += not_in_report(title);
      return;
    }
    BarChart chart{title, {"latency (logarithmic scale)", ms}, {}, {"p50", "p90", "p99", "max"}, {}};
    chart.logarithmic = true;  // p50 and max are often decades apart (a push that waited out an outage)
    std::vector<std::vector<Cell>> rows;
    for (const std::string& depth : depth_keys(*by_depth)) {
      const json& figures = (*by_depth)[depth];
      chart.categories.push_back("depth " + depth);
      const bool any = number_at(figures, {"count"}).value_or(0) > 0;
      chart.values.push_back({any ? number_at(figures, {"p50"}).value_or(NAN) : NAN,
                              any ? number_at(figures, {"p90"}).value_or(NAN) : NAN,
                              any ? number_at(figures, {"p99"}).value_or(NAN) : NAN,
                              any ? number_at(figures, {"max"}).value_or(NAN) : NAN});
      rows.push_back({depth, Cell::figure(text_at(figures, {"count"})), Cell::figure(text_at(figures, {"notArrived"})),
                      Cell::figure(any ? ms(number_at(figures, {"p50"}).value_or(0)) : ""),
                      Cell::figure(any ? ms(number_at(figures, {"p90"}).value_or(0)) : ""),
                      Cell::figure(any ? ms(number_at(figures, {"p99"}).value_or(0)) : ""),
                      Cell::figure(any ? ms(number_at(figures, {"max"}).value_or(0)) : "")});
    }
    html += bar_chart(chart);
    html += "<p class=\"note\">" + escape(depth_means) + "</p>\n";
    html += table({"Depth", "Arrived", "Not arrived", "p50", "p90", "p99", "max"}, rows, "figures");
  };
  direction("down", "Propagation latency per depth, down from the cloud",
            "From a push acknowledged at the cloud to its manifest and blobs present at a node of that depth.");
  direction("up", "Propagation latency per depth, up to the cloud",
            "From a push acknowledged at a connected registry of that depth to the same content at the cloud.");
  return section(id, "Propagation latency", html);
}

}  // namespace outpost::sim::report
