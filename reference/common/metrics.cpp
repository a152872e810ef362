#include "reference/common/metrics.h"

#include <charconv>
#include <cmath>
#include <stdexcept>
#include <type_traits>

namespace outpost::metrics {

namespace {

bool valid_name(std::string_view name, bool allow_colon) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    (allow_colon && c == ':');
    if (!ok) return false;
  }
  return true;
}

void check_names(const std::string& name, const std::vector<std::string>& label_names) {
  if (!valid_name(name, true)) throw std::invalid_argument("invalid metric name '" + name + "'");
  for (const auto& label : label_names)
    if (!valid_name(label, false) || label == "le")  // `le` is the histogram bucket label
      throw std::invalid_argument("invalid label name '" + label + "' for metric " + name);
}

// `name{a="x",b="y"} value\n`; `extra` is one more label already formatted (a histogram's le="...").
void append_sample(std::string& out, std::string_view name, const std::vector<std::string>& label_names,
                   const std::vector<std::string>& values, std::string_view extra, double value) {
  out += name;
  if (!label_names.empty() || !extra.empty()) {
    out += '{';
    for (size_t i = 0; i < label_names.size(); ++i) {
      if (i) out += ',';
      out += label_names[i];
      out += "=\"";
      out += escape_label_value(values[i]);
      out += '"';
    }
    if (!extra.empty()) {
      if (!label_names.empty()) out += ',';
      out += extra;
    }
    out += '}';
  }
  out += ' ';
  out += format_value(value);
  out += '\n';
}

template <class Series>
constexpr std::string_view type_name() {
  if constexpr (std::is_same_v<Series, Counter>) return "counter";
  else if constexpr (std::is_same_v<Series, Gauge>) return "gauge";
  else return "histogram";
}

template <class Series>
void render_family(const Family<Series>& family, std::string& out) {
  out += "# HELP " + family.name() + " " + escape_help(family.help()) + "\n";
  out += "# TYPE " + family.name() + " ";
  out += type_name<Series>();
  out += '\n';
  const auto& labels = family.label_names();
  family.for_each([&](const std::vector<std::string>& values, const Series& series) {
    if constexpr (std::is_same_v<Series, Histogram>) {
      // Read each bucket once and derive _count from them, so a scrape racing observe() stays self-consistent.
      const auto bounds = series.bounds();
      uint64_t cumulative = 0;
      for (size_t i = 0; i <= bounds.size(); ++i) {
        cumulative += series.bucket_count(i);
        const std::string le = "le=\"" + (i < bounds.size() ? format_value(bounds[i]) : std::string("+Inf")) + "\"";
        append_sample(out, family.name() + "_bucket", labels, values, le, static_cast<double>(cumulative));
      }
      append_sample(out, family.name() + "_sum", labels, values, {}, series.sum());
      append_sample(out, family.name() + "_count", labels, values, {}, static_cast<double>(cumulative));
    } else {
      append_sample(out, family.name(), labels, values, {}, series.value());
    }
  });
}

}  // namespace

Histogram::Histogram(std::span<const double> bounds)
    : bounds_(bounds), counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds.size() + 1)) {}

void Histogram::observe(double value) {
  // Buckets are "less than or equal": the first bound >= value.
  const size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

template <class Series>
Family<Series>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       std::vector<double> bounds)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), bounds_(std::move(bounds)) {}

template <class Series>
Series& Family<Series>::with(std::span<const std::string_view> values) {
  if (values.size() != label_names_.size())
    throw std::invalid_argument("metric " + name_ + " takes " + std::to_string(label_names_.size()) + " label values");
  std::lock_guard lock(mutex_);
  auto it = series_.find(values);
  if (it == series_.end()) {
    std::unique_ptr<Series> series;
    if constexpr (std::is_same_v<Series, Histogram>) series = std::make_unique<Histogram>(bounds_);
    else series = std::make_unique<Series>();
    it = series_.emplace(std::vector<std::string>(values.begin(), values.end()), std::move(series)).first;
  }
  return *it->second;
}

template <class Series>
void Family<Series>::for_each(
    const std::function<void(const std::vector<std::string>&, const Series&)>& visit) const {
  std::lock_guard lock(mutex_);
  for (const auto& [values, series] : series_) visit(values, *series);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

std::vector<double> default_latency_buckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
}

Registry::Registry() = default;
Registry::~Registry() = default;

template <class Series>
Family<Series>& Registry::find_or_add(const std::string& name, const std::string& help,
                                      std::vector<std::string> label_names, std::vector<double> bounds) {
  check_names(name, label_names);
  std::lock_guard lock(mutex_);
  auto it = families_.find(name);
  if (it == families_.end()) {
    auto family = std::make_unique<Family<Series>>(name, help, std::move(label_names), std::move(bounds));
    return *std::get<std::unique_ptr<Family<Series>>>(families_.emplace(name, std::move(family)).first->second);
  }
  auto* existing = std::get_if<std::unique_ptr<Family<Series>>>(&it->second);
  if (!existing || (*existing)->label_names() != label_names)
    throw std::invalid_argument("metric " + name + " is already registered with another type or label names");
  return **existing;
}

CounterFamily& Registry::counter(const std::string& name, const std::string& help,
                                 std::vector<std::string> label_names) {
  return find_or_add<Counter>(name, help, std::move(label_names), {});
}

GaugeFamily& Registry::gauge(const std::string& name, const std::string& help, std::vector<std::string> label_names) {
  return find_or_add<Gauge>(name, help, std::move(label_names), {});
}

HistogramFamily& Registry::histogram(const std::string& name, const std::string& help,
                                     std::vector<std::string> label_names, std::vector<double> bounds) {
  if (bounds.empty() || !std::is_sorted(bounds.begin(), bounds.end()) ||
      std::adjacent_find(bounds.begin(), bounds.end()) != bounds.end() || !std::isfinite(bounds.back()))
    throw std::invalid_argument("histogram " + name + " needs finite, strictly increasing bucket bounds");
  return find_or_add<Histogram>(name, help, std::move(label_names), std::move(bounds));
}

void Registry::add_collector(std::function<void(std::string&)> collector) {
  std::lock_guard lock(mutex_);
  collectors_.push_back(std::move(collector));
}

std::string Registry::render() const {
  std::string out;
  std::vector<std::function<void(std::string&)>> collectors;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [name, family] : families_)
      std::visit([&](const auto& f) { render_family(*f, out); }, family);
    collectors = collectors_;
  }
  // Outside the lock: a collector may itself look up metrics in this registry.
  for (const auto& collector : collectors) collector(out);
  return out;
}

std::string escape_label_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') out += "\\\\";
    else if (c == '"') out += "\\\"";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string escape_help(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\\') out += "\\\\";
    else if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char text[32];
  const auto result = std::to_chars(text, text + sizeof text, value);
  return std::string(text, result.ptr);
}

}  // namespace outpost::metrics
