#pragma once
// Nearest-rank percentiles of a sample, for the run's report (throughput windows, propagation and enforcement
// delays). Integers in, integers out: two runs of one seed report the same figures.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace outpost::sim::world {

struct Percentiles {
  size_t count = 0;
  int64_t p50 = 0, p90 = 0, p99 = 0, max = 0;
};

// The smallest value with at least p% of the sample at or below it (all zero for an empty sample).
inline Percentiles percentiles(std::vector<int64_t> values) {
  Percentiles out;
  out.count = values.size();
  if (values.empty()) return out;
  std::sort(values.begin(), values.end());
  const auto rank = [&values](size_t percent) {
    const size_t index = (percent * values.size() + 99) / 100;  // ceil(p/100 * n), 1-based
    return values[std::max<size_t>(index, 1) - 1];
  };
  out.p50 = rank(50);
  out.p90 = rank(90);
  out.p99 = rank(99);
  out.max = values.back();
  return out;
}

// {"count", "p50", "p90", "p99", "max"}, as integers. Without a sample the figures are null: a 0 would read as a
// measured value (a propagation of 0 ms where nothing arrived).
inline nlohmann::json percentiles_json(const Percentiles& p) {
  if (p.count == 0) return {{"count", 0}, {"p50", nullptr}, {"p90", nullptr}, {"p99", nullptr}, {"max", nullptr}};
  return {{"count", p.count}, {"p50", p.p50}, {"p90", p.p90}, {"p99", p.p99}, {"max", p.max}};
}

// The same for durations in nanoseconds, as milliseconds (three decimals).
inline nlohmann::json milliseconds_json(const Percentiles& p) {
  if (p.count == 0) return percentiles_json(p);
  const auto ms = [](int64_t nanoseconds) { return static_cast<double>(nanoseconds / 1000) / 1000.0; };
  return {{"count", p.count}, {"p50", ms(p.p50)}, {"p90", ms(p.p90)}, {"p99", ms(p.p99)}, {"max", ms(p.max)}};
}

}  // namespace outpost::sim::world
