// The random parts of a scenario: layer sizes and counts, Poisson firing times. Every draw comes from the Random the
// world hands in (seeded), and uses only integer arithmetic and the C library's exp/log, so a seed gives the same
// draws on every run.
#include <algorithm>
#include <cmath>
#include <numbers>

#include "simulator/world/scenario.h"
#include "simulator/world/scenario_fault_details.h"

namespace outpost::sim::world {

namespace {
// Uniform in [0, 1) with 53 random bits.
double unit(Random& random) { return static_cast<double>(random.next_u64() >> 11) * 0x1.0p-53; }

// Exponential with mean 1: the gap between Poisson events, in units of the mean gap.
double exponential(Random& random) { return -std::log1p(-unit(random)); }

// Standard normal (Box-Muller; one of the pair is enough).
double normal(Random& random) {
  const double u1 = 1.0 - unit(random);  // (0, 1]: log is finite
  const double u2 = unit(random);
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}
}  // namespace

uint64_t SizeDistribution::draw(Random& random) const {
  switch (kind) {
    case Kind::Fixed: return value;
    case Kind::Uniform: return min + random.uniform(max - min + 1);
    case Kind::LogNormal: {
      const double drawn = static_cast<double>(median) * std::exp(sigma * normal(random));
      const double clamped = std::clamp(drawn, static_cast<double>(min), static_cast<double>(max));
      return static_cast<uint64_t>(std::llround(clamped));
    }
  }
  return value;
}

uint32_t CountRange::draw(Random& random) const {
  return min + static_cast<uint32_t>(random.uniform(max - min + 1));
}

std::vector<Nanoseconds> Timing::expand(Nanoseconds duration, Random& random) const {
  const Nanoseconds end = stop ? std::min(*stop, duration) : duration;
  const uint64_t most = count.value_or(kMostOccurrences + 1);
  std::vector<Nanoseconds> out;
  // An every of 1ms over a long run would hold more times than a run should (and than memory may): refused, not cut.
  const auto refuse_if_too_many = [&] {
    if (out.size() > kMostOccurrences)
      throw ScenarioError("a workload item or nemesis rate fires more than " + std::to_string(kMostOccurrences) +
                          " times in this run's duration: lower its rate, lengthen its every, or give it a count");
  };
  if (!times.empty()) {
    for (Nanoseconds t : times)
      if (t < duration) out.push_back(t);
    return out;
  }
  if (every) {
    // The first occurrence one interval after start (a start given explicitly is itself the first).
    for (Nanoseconds t = start > Nanoseconds(0) ? start : *every; t < end && out.size() < most; t += *every)
      out.push_back(t);
    refuse_if_too_many();
    return out;
  }
  if (per_hour > 0) {
    // Gaps in whole milliseconds: reports show the times as they are, and read back exactly.
    const double mean_gap = 3600e3 / per_hour;  // milliseconds
    for (Nanoseconds t = start;;) {
      // A gap past the end ends the times before it is added: a rate of 1e-12/h draws gaps of ~1e15 ms, which
      // overflowed the nanosecond count and wrapped to times before the start (a crash planned at -45578 days).
      const double gap = exponential(random) * mean_gap;
      if (t >= end || !(gap < std::chrono::duration<double, std::milli>(end - t).count())) break;  // NaN too
      t += std::chrono::milliseconds(std::llround(gap));
      if (t >= end || out.size() >= most) break;
      out.push_back(t);
    }
    refuse_if_too_many();
  }
  return out;
}

double Timing::expected_count(Nanoseconds duration) const {
  const Nanoseconds end = stop ? std::min(*stop, duration) : duration;
  double expected = 0;
  if (!times.empty()) {
    expected = static_cast<double>(std::count_if(times.begin(), times.end(), [&](Nanoseconds t) { return t < duration; }));
  } else if (every) {
    const Nanoseconds first = start > Nanoseconds(0) ? start : *every;
    expected = first < end ? static_cast<double>((end - first - Nanoseconds(1)) / *every + 1) : 0;
  } else if (per_hour > 0 && end > start) {
    expected = per_hour * std::chrono::duration<double, std::ratio<3600>>(end - start).count();
  }
  return count ? std::min(expected, static_cast<double>(*count)) : expected;
}

void check_occurrences(const Scenario& scenario, Nanoseconds duration) {
  // A nemesis rate has neither an every nor a count: its hint names what it has. Returns the count it expects.
  const auto check = [&](const Timing& timing, const std::string& where, const char* remedy) {
    const double expected = timing.expected_count(duration);
    if (expected > static_cast<double>(kMostOccurrences))
      throw ScenarioError(where + ": fires " + (timing.per_hour > 0 ? "about " : "") +
                          std::to_string(std::llround(expected)) + " times in a run of this duration, more than " +
                          std::to_string(kMostOccurrences) + ": " + remedy);
    return expected;
  };
  for (const WorkloadItem& item : scenario.workload)
    check(item.timing, item.where, "lower its rate, lengthen its every, or give it a count");
  const NemesisSpec& nemesis = scenario.nemesis;
  // Every kind together too: each rate may pass alone and their sum still plan more faults than a run can hold.
  double total = 0;
  const auto check_rate = [&](double per_hour, std::string_view kind) {
    Timing timing;
    timing.per_hour = per_hour;
    timing.start = nemesis.start;
    timing.stop = nemesis.stop;
    total += check(timing, "scenario.faults.nemesis.rates." + std::string(kind),
                   "lower its rate, or narrow the nemesis's start and stop");
  };
  for (const auto& [action, per_hour] : nemesis.per_hour) check_rate(per_hour, to_string(action));
  for (const auto& [kind, per_hour] : nemesis.partitions_per_hour) check_rate(per_hour, nemesis_rate_name(kind));
  if (total > static_cast<double>(kMostNemesisFaults))
    throw ScenarioError("scenario.faults.nemesis.rates: the kinds together fire about " +
                        std::to_string(std::llround(total)) + " faults in a run of this duration, more than " +
                        std::to_string(kMostNemesisFaults) +
                        " (each is planned before the run, applied, traced and reported): lower the rates, or narrow "
                        "the nemesis's start and stop");
}

}  // namespace outpost::sim::world
