#pragma once
// The report's charts, each one <figure> with a caption (the chart's title) around an inline <svg>: a line or step
// chart, grouped bars, a timeline of spans per lane (a Gantt chart), and a tree. Colours and strokes come from CSS
// classes (series s0..s7, kinds k-<name>) that the page's stylesheet defines (html_report.cpp), so a chart is plain
// markup. Every piece of text is escaped (svg.h).
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace outpost::sim::report {

using Format = std::function<std::string(double)>;

struct Axis {
  std::string label;
  Format format;  // tick labels; empty: number()
};

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x, y), in x order
  bool step = false;  // a step series holds each value until the next point (a rate per time window)
};

struct LineChart {
  std::string title;
  Axis x, y;
  std::vector<Series> series;
  double width = 760, height = 280;
};

struct BarChart {
  std::string title;
  Axis y;
  std::vector<std::string> categories;      // along x
  std::vector<std::string> series;          // one bar of each per category, in this order
  std::vector<std::vector<double>> values;  // [category][series]; a missing value draws no bar
  double width = 760, height = 280;
  // A y axis in powers of ten, for figures that span decades (latency percentiles); values <= 0 draw no bar.
  bool logarithmic = false;
};

struct TimelineSpan {
  double start = 0, end = 0;  // end <= start: an instant, drawn as a mark
  std::string kind;           // CSS class k-<kind>, and the legend's entry
  std::string tooltip;
  bool open = false;  // still going when the timeline ends (drawn dashed at its end)
  bool thin = false;  // a thin strip along the lane's bottom (sync rounds), under the faults' bars
};

struct TimelineLane {
  std::string name;
  std::vector<TimelineSpan> spans;
};

struct Timeline {
  std::string title;
  Axis x;
  double x_end = 0;  // the timeline's length (starts at 0)
  std::vector<TimelineLane> lanes;
  double width = 760;
};

struct TreeChartNode {
  std::string name;
  std::string parent;  // empty: a root
  std::string detail;  // a second, smaller line (e.g. the node's mode)
  std::string kind;    // CSS class k-<kind>
};

struct TreeChart {
  std::string title;
  std::vector<TreeChartNode> nodes;
};

// Each returns "<figure class="chart">...<svg>...</svg></figure>".
std::string line_chart(const LineChart& chart);
std::string bar_chart(const BarChart& chart);
std::string timeline_chart(const Timeline& chart);
std::string tree_chart(const TreeChart& chart);

// A figure around a drawing: <figure class="chart"><figcaption>title</figcaption>svg</figure>.
std::string figure(const std::string& title, const std::string& svg);

}  // namespace outpost::sim::report
