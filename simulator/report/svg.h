#pragma once
// The smallest pieces of an inline SVG drawing, for the HTML report (html_report.h): escaping, number formatting,
// linear scales with round ticks, and a builder that writes elements one by one. Charts are built from these in
// charts.h. Everything that comes from a report (node names, messages) goes through escape(): scenario files name
// the nodes, so a name may hold markup. Numbers are written with a fixed precision, so one report renders to the same
// bytes every time.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::sim::report {

// Text safe inside an element or a quoted attribute of HTML and SVG: & < > " ' become entities. Bytes that are not
// valid UTF-8 become U+FFFD, and control characters but tab and newline are dropped, so the page stays well formed.
std::string escape(std::string_view text);

// A CSS class name made of [a-z0-9-] only (other characters become '-'), for classes derived from data such as a
// fault's action; empty input gives "x".
std::string class_name(std::string_view text);

// At most two decimals, trailing zeros removed: 12.5 -> "12.5", 3.0 -> "3", -0.004 -> "0".
std::string number(double value);

// Maps a domain [domain_min, domain_max] onto a range [range_min, range_max] (which may run backwards, as a y axis
// does). An empty domain is widened to one unit, so a chart of one value still has a scale.
class LinearScale {
 public:
  LinearScale(double domain_min, double domain_max, double range_min, double range_max);

  double operator()(double value) const;
  double domain_min() const { return domain_min_; }
  double domain_max() const { return domain_max_; }

  // About `count` round values (1, 2 or 5 times a power of ten apart) inside the domain, both ends included when
  // round.
  std::vector<double> ticks(int count) const;
  // The same scale with its domain widened to round values at both ends (the ticks' step for `count` ticks).
  LinearScale nice(int count) const;

 private:
  double domain_min_, domain_max_, range_min_, range_max_;
};

// The step between round ticks: 1, 2 or 5 times a power of ten, the smallest at least span / count.
double tick_step(double span, int count);

// One <svg> element, built element by element. Coordinates are user units of the viewBox (0 0 width height); the
// drawing scales with the page. Every element may carry a tooltip, a <title> child the browser shows on hover.
class Svg {
 public:
  // `label` names the drawing for assistive technology (aria-label); it is not drawn.
  Svg(double width, double height, std::string_view label);

  Svg& line(double x1, double y1, double x2, double y2, std::string_view css_class);
  Svg& rect(double x, double y, double width, double height, std::string_view css_class, std::string_view tooltip = {});
  Svg& circle(double cx, double cy, double r, std::string_view css_class, std::string_view tooltip = {});
  // An open polyline through the points (x0 y0 x1 y1 ...).
  Svg& polyline(const std::vector<std::pair<double, double>>& points, std::string_view css_class,
                std::string_view tooltip = {});
  // anchor: "start", "middle" or "end".
  Svg& text(double x, double y, std::string_view content, std::string_view anchor = "start",
            std::string_view css_class = {}, std::string_view tooltip = {});

  double width() const { return width_; }
  double height() const { return height_; }
  size_t elements() const { return elements_; }  // elements drawn (tooltips not counted)
  std::string str() const;

 private:
  Svg& add(std::string_view open_tag, std::string_view css_class, std::string_view tooltip,
           std::string_view content = {}, bool has_content = false);

  double width_, height_;
  std::string label_;
  std::string body_;
  size_t elements_ = 0;
};

}  // namespace outpost::sim::report
