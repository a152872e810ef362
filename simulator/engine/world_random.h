#pragma once
// Every random draw in a simulated world comes from one seed. Each consumer (a node, a link, a fault plan, one
// scenario parameter) gets its own generator, derived from the world's seed and the consumer's *name*: adding a node
// or a link therefore shifts nobody else's draws, and a failing seed still replays after the scenario grew.
//
// Scenario parameters (a link's loss rate, a crash time, ...) are drawn by name too, and every one drawn is recorded,
// so a run's report can print the exact parameter set its seed expanded to (as TigerBeetle's VOPR does).
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "reference/common/clock.h"
#include "reference/common/random.h"

namespace outpost::sim {

// FNV-1a, 64 bits: a stable hash of a name (same value on every platform and every run).
uint64_t fnv1a64(std::string_view bytes);
// The seed of the stream `name` in a world seeded with `world_seed`: SplitMix64 of world_seed ^ fnv1a64(name).
uint64_t derive_seed(uint64_t world_seed, std::string_view name);

// The random parameters a scenario drew, name -> value as printed, sorted by name.
class ParameterRecord {
 public:
  // Records `name`, drawn from `range` (its kind and bounds, e.g. "uniform 0..10"); drawing the same name again must
  // be from the same range and give the same value (else std::logic_error: two parameters share a name, and the
  // record could not say which value a run used). The range is compared too: a redraw from another range may
  // happen to give the same value.
  void record(const std::string& name, const std::string& value, const std::string& range);
  const std::map<std::string, std::string>& values() const { return values_; }
  // One "name = value" line per parameter.
  std::string to_string() const;
  nlohmann::json to_json() const;

 private:
  std::map<std::string, std::string> values_;
  std::map<std::string, std::string> ranges_;
};

class WorldRandom {
 public:
  explicit WorldRandom(uint64_t seed) : seed_(seed) {}
  WorldRandom(const WorldRandom&) = delete;  // one world, one record of its parameters
  WorldRandom& operator=(const WorldRandom&) = delete;
  uint64_t seed() const { return seed_; }

  // The generator of stream `name`. Asking twice for one name gives two generators with the same draws.
  SeededRandom stream(std::string_view name) const;
  SeededRandom node(std::string_view node_name) const;                    // stream "node/<name>"
  SeededRandom link(std::string_view from, std::string_view to) const;    // stream "link/<from>-><to>"

  // Scenario parameters, each from its own stream "parameter/<name>" and recorded. Integers only: no floating point
  // anywhere a run's course depends on, so runs replay identically on every platform.
  int64_t uniform(const std::string& name, int64_t low, int64_t high);  // in [low, high]
  Nanoseconds duration(const std::string& name, Nanoseconds low, Nanoseconds high);  // in [low, high]
  bool chance(const std::string& name, uint32_t per_million);  // true with probability per_million / 10^6
  const std::string& choice(const std::string& name, std::span<const std::string> options);

  const ParameterRecord& parameters() const { return parameters_; }

 private:
  uint64_t draw(const std::string& name, uint64_t bound) const;  // uniform in [0, bound)

  uint64_t seed_;
  ParameterRecord parameters_;
};

// A duration as its largest exact unit: "2s", "250ms", "1500us", "7ns".
std::string format_duration(Nanoseconds duration);

}  // namespace outpost::sim
