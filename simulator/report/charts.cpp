#include "simulator/report/charts.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "simulator/report/svg.h"
#include "simulator/report/tree_layout.h"

namespace outpost::sim::report {

namespace {

constexpr int kPalette = 8;         // series classes s0..s7 (the stylesheet's colours), then again
constexpr double kCharWidth = 6.5;  // an estimate of one character at the charts' font size, for layout only
constexpr double kLegendHeight = 26;

std::string series_class(size_t index) { return "s" + std::to_string(index % kPalette); }

std::string format_with(const Format& format, double value) { return format ? format(value) : number(value); }

// At most `limit` characters (code points), with an ellipsis when cut; never splits a UTF-8 sequence.
std::string shortened(const std::string& text, size_t limit) {
  size_t characters = 0;
  for (size_t at = 0; at < text.size(); ++at) {
    if ((static_cast<unsigned char>(text[at]) & 0xC0) == 0x80) continue;
    if (++characters > limit) return text.substr(0, at) + "\xE2\x80\xA6";  // U+2026
  }
  return text;
}

// The same, cut in the middle: node names of generated trees share long prefixes ("region1plant1hall2...") and
// differ at the end.
std::string shortened_middle(const std::string& text, size_t limit) {
  std::vector<size_t> starts;  // byte offset of each character
  for (size_t at = 0; at < text.size(); ++at)
    if ((static_cast<unsigned char>(text[at]) & 0xC0) != 0x80) starts.push_back(at);
  if (starts.size() <= limit || limit < 3) return shortened(text, limit);
  const size_t head = (limit - 1) / 2, tail = limit - 1 - head;
  return text.substr(0, starts[head]) + "\xE2\x80\xA6" + text.substr(starts[starts.size() - tail]);
}

double text_width(const std::string& text) { return static_cast<double>(text.size()) * kCharWidth; }

// One entry per name: a swatch of its class and the name, left to right along the top.
void legend(Svg& svg, const std::vector<std::pair<std::string, std::string>>& entries, double left) {
  double x = left;
  for (const auto& [name, css_class] : entries) {
    svg.rect(x, 8, 10, 10, "swatch " + css_class);
    svg.text(x + 14, 17, name, "start", "legend");
    x += 14 + text_width(name) + 14;
  }
}

struct Plot {
  double left, top, right, bottom;  // the plot area in the drawing's units
};

// Grid lines and tick labels of a y scale, and the axis lines; `y` maps values to the plot's rows.
void y_axis(Svg& svg, const Plot& plot, const LinearScale& y, const Axis& axis) {
  for (const double tick : y.ticks(5)) {
    svg.line(plot.left, y(tick), plot.right, y(tick), "grid");
    svg.text(plot.left - 6, y(tick) + 4, format_with(axis.format, tick), "end", "tick");
  }
  svg.line(plot.left, plot.top, plot.left, plot.bottom, "axis");
  svg.line(plot.left, plot.bottom, plot.right, plot.bottom, "axis");
  if (!axis.label.empty()) svg.text(plot.left, plot.top - 6, axis.label, "start", "axis-label");
}

void x_ticks(Svg& svg, const Plot& plot, const LinearScale& x, const Axis& axis) {
  for (const double tick : x.ticks(8)) {
    svg.line(x(tick), plot.bottom, x(tick), plot.bottom + 4, "axis");
    svg.text(x(tick), plot.bottom + 16, format_with(axis.format, tick), "middle", "tick");
  }
  if (!axis.label.empty()) svg.text(plot.right, plot.bottom + 32, axis.label, "end", "axis-label");
}

}  // namespace

std::string figure(const std::string& title, const std::string& svg) {
  return "<figure class=\"chart\"><figcaption>" + escape(title) + "</figcaption>\n" + svg + "\n</figure>\n";
}

std::string line_chart(const LineChart& chart) {
  Svg svg(chart.width, chart.height, chart.title);
  const Plot plot{72, kLegendHeight + 20, chart.width - 16, chart.height - 40};
  double x_min = 0, x_max = 0, y_max = 0;
  bool any = false;
  for (const Series& series : chart.series) {
    for (const auto& [x, y] : series.points) {
      x_min = any ? std::min(x_min, x) : x;
      x_max = any ? std::max(x_max, x) : x;
      y_max = std::max(y_max, y);
      any = true;
    }
  }
  const LinearScale x = LinearScale(x_min, x_max, plot.left, plot.right).nice(8);
  const LinearScale y = LinearScale(0, y_max, plot.bottom, plot.top).nice(5);

  std::vector<std::pair<std::string, std::string>> entries;
  for (size_t i = 0; i < chart.series.size(); ++i) entries.emplace_back(chart.series[i].name, series_class(i));
  legend(svg, entries, plot.left);
  y_axis(svg, plot, y, chart.y);
  x_ticks(svg, plot, x, chart.x);
  if (!any) svg.text((plot.left + plot.right) / 2, (plot.top + plot.bottom) / 2, "no data", "middle", "empty");

  for (size_t i = 0; i < chart.series.size(); ++i) {
    const Series& series = chart.series[i];
    std::vector<std::pair<double, double>> points;
    for (size_t p = 0; p < series.points.size(); ++p) {
      const auto& [px, py] = series.points[p];
      if (series.step && p > 0) points.emplace_back(x(px), y(series.points[p - 1].second));
      points.emplace_back(x(px), y(py));
    }
    if (points.size() == 1) {
      svg.circle(points[0].first, points[0].second, 3, "dot " + series_class(i), series.name);
    } else if (!points.empty()) {
      svg.polyline(points, "series " + series_class(i), series.name);
    }
  }
  return figure(chart.title, svg.str());
}

std::string bar_chart(const BarChart& chart) {
  Svg svg(chart.width, chart.height, chart.title);
  const Plot plot{72, kLegendHeight + 20, chart.width - 16, chart.height - 40};
  double y_max = 0, y_min_positive = INFINITY;
  for (const auto& values : chart.values) {
    for (const double value : values) {
      if (!std::isfinite(value)) continue;
      y_max = std::max(y_max, value);
      if (value > 0) y_min_positive = std::min(y_min_positive, value);
    }
  }
  // On a logarithmic axis the scale runs over exponents, from a power of ten below the smallest value (strictly, so
  // its bar shows) to the one at or above the largest; `row_of` maps a value to its row either way.
  const double low = std::isfinite(y_min_positive) ? std::ceil(std::log10(y_min_positive)) - 1 : 0;
  const double high = std::max(y_max > 0 ? std::ceil(std::log10(y_max)) : 1, low + 1);
  const LinearScale y = chart.logarithmic ? LinearScale(low, high, plot.bottom, plot.top)
                                          : LinearScale(0, y_max, plot.bottom, plot.top).nice(5);
  const auto row_of = [&](double value) { return chart.logarithmic ? y(std::log10(value)) : y(value); };

  std::vector<std::pair<std::string, std::string>> entries;
  for (size_t i = 0; i < chart.series.size(); ++i) entries.emplace_back(chart.series[i], series_class(i));
  legend(svg, entries, plot.left);
  if (chart.logarithmic) {
    for (double exponent = low; exponent <= high; ++exponent) {
      svg.line(plot.left, y(exponent), plot.right, y(exponent), "grid");
      svg.text(plot.left - 6, y(exponent) + 4, format_with(chart.y.format, std::pow(10.0, exponent)), "end", "tick");
    }
    svg.line(plot.left, plot.top, plot.left, plot.bottom, "axis");
    svg.line(plot.left, plot.bottom, plot.right, plot.bottom, "axis");
    if (!chart.y.label.empty()) svg.text(plot.left, plot.top - 6, chart.y.label, "start", "axis-label");
  } else {
    y_axis(svg, plot, y, chart.y);
  }
  if (chart.categories.empty())
    svg.text((plot.left + plot.right) / 2, (plot.top + plot.bottom) / 2, "no data", "middle", "empty");

  const double band = (plot.right - plot.left) / static_cast<double>(std::max<size_t>(chart.categories.size(), 1));
  const double bar = band * 0.8 / static_cast<double>(std::max<size_t>(chart.series.size(), 1));
  const size_t label_limit = static_cast<size_t>(std::max(3.0, band / kCharWidth));
  for (size_t c = 0; c < chart.categories.size(); ++c) {
    const double band_left = plot.left + band * static_cast<double>(c);
    const std::string& category = chart.categories[c];
    const std::string label = shortened(category, label_limit);
    svg.text(band_left + band / 2, plot.bottom + 16, label, "middle", "tick", label == category ? "" : category);
    if (c >= chart.values.size()) continue;
    for (size_t s = 0; s < chart.series.size() && s < chart.values[c].size(); ++s) {
      const double value = chart.values[c][s];
      if (!std::isfinite(value) || (chart.logarithmic && value <= 0)) continue;
      const double top = row_of(std::max(value, 0.0));
      svg.rect(band_left + band * 0.1 + bar * static_cast<double>(s), top, bar * 0.92, plot.bottom - top,
               "bar " + series_class(s), category + ", " + chart.series[s] + ": " + format_with(chart.y.format, value));
    }
  }
  return figure(chart.title, svg.str());
}

std::string timeline_chart(const Timeline& chart) {
  constexpr double kLane = 24, kBar = 14;
  double label_width = 60;
  for (const TimelineLane& lane : chart.lanes) label_width = std::max(label_width, text_width(lane.name) + 16);
  label_width = std::min(label_width, 200.0);
  const double top = kLegendHeight + 8;
  const double height = top + kLane * static_cast<double>(std::max<size_t>(chart.lanes.size(), 1)) + 44;
  Svg svg(chart.width, height, chart.title);
  const Plot plot{label_width, top, chart.width - 16, height - 44};
  const LinearScale x(0, chart.x_end, plot.left, plot.right);

  // The legend: each kind once, in the order it first appears.
  std::vector<std::pair<std::string, std::string>> entries;
  for (const TimelineLane& lane : chart.lanes)
    for (const TimelineSpan& span : lane.spans)
      if (std::none_of(entries.begin(), entries.end(), [&](const auto& entry) { return entry.first == span.kind; }))
        entries.emplace_back(span.kind, "k-" + class_name(span.kind));
  legend(svg, entries, plot.left);

  for (size_t l = 0; l < chart.lanes.size(); ++l) {
    const TimelineLane& lane = chart.lanes[l];
    const double row = top + kLane * static_cast<double>(l);
    svg.line(plot.left, row + kLane, plot.right, row + kLane, "grid");
    const std::string label = shortened_middle(lane.name, static_cast<size_t>((label_width - 12) / kCharWidth));
    svg.text(plot.left - 8, row + kLane / 2 + 4, label, "end", "lane", label == lane.name ? "" : lane.name);
    for (const TimelineSpan& span : lane.spans) {
      const std::string kind = "k-" + class_name(span.kind);
      const double start = x(std::clamp(span.start, 0.0, chart.x_end));
      if (span.end <= span.start) {
        svg.rect(start - 1, row + 3, 2, kLane - 6, "mark " + kind, span.tooltip);
        continue;
      }
      const double end = x(std::clamp(span.end, 0.0, chart.x_end));
      if (span.thin) {
        svg.rect(start, row + kLane - 6, std::max(end - start, 1.0), 4, "strip " + kind, span.tooltip);
        continue;
      }
      svg.rect(start, row + (kLane - kBar) / 2 - 2, std::max(end - start, 1.5), kBar,
               "span " + kind + (span.open ? " open" : ""), span.tooltip);
    }
  }
  if (chart.lanes.empty()) svg.text((plot.left + plot.right) / 2, top + kLane / 2 + 4, "nothing", "middle", "empty");
  svg.line(plot.left, plot.top, plot.left, plot.bottom, "axis");
  svg.line(plot.left, plot.bottom, plot.right, plot.bottom, "axis");
  x_ticks(svg, plot, x, chart.x);
  return figure(chart.title, svg.str());
}

std::string tree_chart(const TreeChart& chart) {
  constexpr double kSlot = 124, kRow = 76, kBoxWidth = 108, kBoxHeight = 38, kMargin = 12;
  std::vector<TreeEdge> edges;
  std::map<std::string, const TreeChartNode*> by_name;
  for (const TreeChartNode& node : chart.nodes) {
    edges.push_back({node.name, node.parent});
    by_name.emplace(node.name, &node);
  }
  const std::vector<TreePlacement> placed = lay_out_tree(edges);
  double slots = 1;
  int depth = 0;
  for (const TreePlacement& place : placed) {
    slots = std::max(slots, place.slot + 1);
    depth = std::max(depth, place.depth);
  }
  Svg svg(slots * kSlot + 2 * kMargin, (depth + 1) * kRow + 2 * kMargin, chart.title);
  std::map<std::string, std::pair<double, double>> centre;  // name -> (x, y) of its box's centre
  for (const TreePlacement& place : placed)
    centre[place.name] = {kMargin + place.slot * kSlot + kSlot / 2, kMargin + place.depth * kRow + kBoxHeight / 2};

  for (const TreePlacement& place : placed) {
    if (place.parent.empty()) continue;
    const auto [px, py] = centre.at(place.parent);
    const auto [cx, cy] = centre.at(place.name);
    const double middle = (py + kBoxHeight / 2 + cy - kBoxHeight / 2) / 2;
    svg.polyline({{px, py + kBoxHeight / 2}, {px, middle}, {cx, middle}, {cx, cy - kBoxHeight / 2}}, "edge",
                 place.parent + " \xE2\x86\x92 " + place.name);  // U+2192
  }
  for (const TreePlacement& place : placed) {
    const TreeChartNode& node = *by_name.at(place.name);
    const auto [x, y] = centre.at(place.name);
    const std::string tooltip = node.detail.empty() ? node.name : node.name + " (" + node.detail + ")";
    svg.rect(x - kBoxWidth / 2, y - kBoxHeight / 2, kBoxWidth, kBoxHeight,
             "node" + (node.kind.empty() ? std::string() : " k-" + class_name(node.kind)), tooltip);
    svg.text(x, node.detail.empty() ? y + 4 : y - 2, shortened_middle(node.name, 15), "middle", "node-name", tooltip);
    if (!node.detail.empty()) svg.text(x, y + 12, shortened(node.detail, 17), "middle", "node-detail");
  }
  if (placed.empty()) svg.text(kMargin, kMargin + 16, "no nodes", "start", "empty");
  return figure(chart.title, svg.str());
}

}  // namespace outpost::sim::report
