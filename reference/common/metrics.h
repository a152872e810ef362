#pragma once
// A small thread-safe metrics registry rendered in the Prometheus text exposition format (served on /metrics).
//
// The hot path is an atomic add on a series the caller already holds. Finding a labelled series takes the family's mutex
// and a map lookup that allocates nothing when the series exists, so a per-request `with({route, method, status})` is cheap;
// callers with a fixed label set may keep the returned reference, which stays valid for the registry's lifetime.
// Names follow Prometheus rules and, by convention in this project, start with `outpost_`.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace outpost::metrics {

class Counter {
 public:
  void inc(double by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

class Gauge {
 public:
  void set(double value) { value_.store(value, std::memory_order_relaxed); }
  void inc(double by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  void dec(double by = 1) { value_.fetch_sub(by, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Fixed upper bounds (ascending); one more bucket counts everything above the last bound (le="+Inf").
class Histogram {
 public:
  explicit Histogram(std::span<const double> bounds);
  void observe(double value);

  std::span<const double> bounds() const { return bounds_; }
  // Non-cumulative count of bucket `i` (i == bounds().size() is the +Inf bucket).
  uint64_t bucket_count(size_t i) const { return counts_[i].load(std::memory_order_relaxed); }
  double sum() const { return sum_.load(std::memory_order_relaxed); }

 private:
  std::span<const double> bounds_;  // owned by the family, which outlives its series
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;
  std::atomic<double> sum_{0};
};

// Orders label-value tuples, and finds a stored tuple from string_views without building a key.
struct LabelValuesLess {
  using is_transparent = void;
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return std::lexicographical_compare(a.begin(), a.end(), b.begin(), b.end(),
                                        [](std::string_view x, std::string_view y) { return x < y; });
  }
};

// One metric name with its label names; one series per distinct tuple of label values.
template <class Series>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names, std::vector<double> bounds = {});

  // The series for these label values (one per label name, in order), created on first use. Throws std::invalid_argument
  // on a wrong number of values.
  Series& with(std::initializer_list<std::string_view> values = {}) { return with(std::span(values.begin(), values.size())); }
  Series& with(std::span<const std::string_view> values);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  // Calls visit(label_values, series) for every series, in label-value order.
  void for_each(const std::function<void(const std::vector<std::string>&, const Series&)>& visit) const;

 private:
  std::string name_, help_;
  std::vector<std::string> label_names_;
  std::vector<double> bounds_;  // histograms only
  mutable std::mutex mutex_;
  std::map<std::vector<std::string>, std::unique_ptr<Series>, LabelValuesLess> series_;
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// Latency buckets in seconds, from 0.5 ms to 60 s.
std::vector<double> default_latency_buckets();

class Registry {
 public:
  Registry();
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registering a name again returns the same family when type and label names match (so two servers can share one
  // registry); anything else with that name throws std::invalid_argument, as does an invalid metric or label name.
  CounterFamily& counter(const std::string& name, const std::string& help, std::vector<std::string> label_names = {});
  GaugeFamily& gauge(const std::string& name, const std::string& help, std::vector<std::string> label_names = {});
  HistogramFamily& histogram(const std::string& name, const std::string& help, std::vector<std::string> label_names,
                             std::vector<double> bounds);

  // Appends exposition-format text of its own at render time (e.g. storage byte totals computed on demand). Collectors
  // run after the registered families, in the order they were added; they must write complete lines.
  void add_collector(std::function<void(std::string&)> collector);

  // Families sorted by name, each series sorted by label values: the same state always renders the same bytes.
  std::string render() const;

 private:
  using AnyFamily =
      std::variant<std::unique_ptr<CounterFamily>, std::unique_ptr<GaugeFamily>, std::unique_ptr<HistogramFamily>>;
  template <class Series>
  Family<Series>& find_or_add(const std::string& name, const std::string& help, std::vector<std::string> label_names,
                              std::vector<double> bounds);

  mutable std::mutex mutex_;
  std::map<std::string, AnyFamily, std::less<>> families_;
  std::vector<std::function<void(std::string&)>> collectors_;
};

// Exposition-format escaping: label values escape backslash, double quote and newline; HELP text backslash and newline.
std::string escape_label_value(std::string_view value);
std::string escape_help(std::string_view text);
// Shortest text that reads back as the same double; +Inf, -Inf and NaN as Prometheus spells them.
std::string format_value(double value);

}  // namespace outpost::metrics
