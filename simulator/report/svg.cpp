#include "simulator/report/svg.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace outpost::sim::report {

namespace {

// The length of the valid UTF-8 sequence at text[at], or 0 when the bytes there are not one (overlong forms,
// surrogates and code points past U+10FFFF are not).
size_t utf8_length(std::string_view text, size_t at) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(at);
  size_t length = 0;
  uint32_t code = 0;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code = lead & 0x07;
  } else {
    return 0;
  }
  if (at + length > text.size()) return 0;
  for (size_t i = 1; i < length; ++i) {
    if ((byte(at + i) & 0xC0) != 0x80) return 0;
    code = (code << 6) | (byte(at + i) & 0x3F);
  }
  if (length == 3 && (code < 0x800 || (code >= 0xD800 && code <= 0xDFFF))) return 0;
  if (length == 4 && (code < 0x10000 || code > 0x10FFFF)) return 0;
  return length;
}

}  // namespace

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t at = 0; at < text.size();) {
    const char c = text[at];
    const size_t length = utf8_length(text, at);
    if (length == 0) {
      out += "\xEF\xBF\xBD";  // U+FFFD
      ++at;
      continue;
    }
    if (length > 1) {
      out.append(text.substr(at, length));
      at += length;
      continue;
    }
    ++at;
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      case '\t':
      case '\n': out += c; break;
      default:
        if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7F) out += c;
    }
  }
  return out;
}

std::string class_name(std::string_view text) {
  std::string out;
  for (const char c : text) {
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
      out += c;
    } else if (c >= 'A' && c <= 'Z') {
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += '-';
    }
  }
  return out.empty() ? "x" : out;
}

std::string number(double value) {
  if (!std::isfinite(value)) return "0";
  char text[64];
  std::snprintf(text, sizeof text, "%.2f", value);
  std::string out = text;
  while (out.back() == '0') out.pop_back();
  if (out.back() == '.') out.pop_back();
  if (out == "-0") out = "0";
  return out;
}

double tick_step(double span, int count) {
  if (!(span > 0) || !std::isfinite(span)) return 1;
  const double raw = span / (count > 0 ? count : 1);
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (const double multiple : {1.0, 2.0, 5.0, 10.0})
    if (multiple * magnitude >= raw * (1 - 1e-9)) return multiple * magnitude;
  return 10 * magnitude;
}

LinearScale::LinearScale(double domain_min, double domain_max, double range_min, double range_max)
    : domain_min_(std::isfinite(domain_min) ? domain_min : 0),
      domain_max_(std::isfinite(domain_max) ? domain_max : 0),
      range_min_(range_min),
      range_max_(range_max) {
  if (domain_max_ < domain_min_) std::swap(domain_min_, domain_max_);
  if (domain_max_ == domain_min_) domain_max_ = domain_min_ + 1;
}

double LinearScale::operator()(double value) const {
  return range_min_ + (value - domain_min_) / (domain_max_ - domain_min_) * (range_max_ - range_min_);
}

std::vector<double> LinearScale::ticks(int count) const {
  const double step = tick_step(domain_max_ - domain_min_, count);
  const double first = std::ceil(domain_min_ / step - 1e-9) * step;
  std::vector<double> out;
  for (int i = 0; i < 1000; ++i) {
    double value = first + i * step;
    if (value > domain_max_ + step * 1e-9) break;
    if (std::abs(value) < step * 1e-9) value = 0;
    out.push_back(value);
  }
  return out;
}

LinearScale LinearScale::nice(int count) const {
  const double step = tick_step(domain_max_ - domain_min_, count);
  return LinearScale(std::floor(domain_min_ / step + 1e-9) * step, std::ceil(domain_max_ / step - 1e-9) * step,
                     range_min_, range_max_);
}

Svg::Svg(double width, double height, std::string_view label) : width_(width), height_(height), label_(label) {}

Svg& Svg::add(std::string_view open_tag, std::string_view css_class, std::string_view tooltip, std::string_view content,
              bool has_content) {
  // open_tag is "<name attr=...", without the closing bracket; its name ends at the first space.
  const std::string_view name = open_tag.substr(1, open_tag.find(' ') - 1);
  body_ += open_tag;
  if (!css_class.empty()) body_ += " class=\"" + escape(css_class) + "\"";
  if (tooltip.empty() && !has_content) {
    body_ += "/>";
  } else {
    body_ += ">";
    if (!tooltip.empty()) body_ += "<title>" + escape(tooltip) + "</title>";
    body_ += escape(content);
    body_ += "</" + std::string(name) + ">";
  }
  body_ += "\n";
  ++elements_;
  return *this;
}

Svg& Svg::line(double x1, double y1, double x2, double y2, std::string_view css_class) {
  return add(
      "<line x1=\"" + number(x1) + "\" y1=\"" + number(y1) + "\" x2=\"" + number(x2) + "\" y2=\"" + number(y2) + "\"",
      css_class, {});
}

Svg& Svg::rect(double x, double y, double width, double height, std::string_view css_class, std::string_view tooltip) {
  return add("<rect x=\"" + number(x) + "\" y=\"" + number(y) + "\" width=\"" + number(std::max(width, 0.0)) +
                 "\" height=\"" + number(std::max(height, 0.0)) + "\"",
             css_class, tooltip);
}

Svg& Svg::circle(double cx, double cy, double r, std::string_view css_class, std::string_view tooltip) {
  return add("<circle cx=\"" + number(cx) + "\" cy=\"" + number(cy) + "\" r=\"" + number(r) + "\"", css_class, tooltip);
}

Svg& Svg::polyline(const std::vector<std::pair<double, double>>& points, std::string_view css_class,
                   std::string_view tooltip) {
  std::string list;
  for (const auto& [x, y] : points) {
    if (!list.empty()) list += ' ';
    list += number(x) + "," + number(y);
  }
  return add("<polyline points=\"" + list + "\"", css_class, tooltip);
}

Svg& Svg::text(double x, double y, std::string_view content, std::string_view anchor, std::string_view css_class,
               std::string_view tooltip) {
  std::string tag = "<text x=\"" + number(x) + "\" y=\"" + number(y) + "\"";
  if (anchor == "middle" || anchor == "end") tag += " text-anchor=\"" + std::string(anchor) + "\"";
  return add(tag, css_class, tooltip, content, true);
}

std::string Svg::str() const {
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + number(width_) + " " + number(height_) +
         "\" width=\"" + number(width_) + "\" height=\"" + number(height_) + "\" role=\"img\" aria-label=\"" +
         escape(label_) + "\">\n" + body_ + "</svg>";
}

}  // namespace outpost::sim::report
