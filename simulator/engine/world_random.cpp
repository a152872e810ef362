#include "simulator/engine/world_random.h"

#include <stdexcept>

namespace outpost::sim {

uint64_t fnv1a64(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (const char c : bytes) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

uint64_t derive_seed(uint64_t world_seed, std::string_view name) {
  // SplitMix64's output function: fnv1a64 alone leaves related names (node-1, node-2) with related bits.
  uint64_t z = (world_seed ^ fnv1a64(name)) + 0x9e3779b97f4a7c15ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void ParameterRecord::record(const std::string& name, const std::string& value, const std::string& range) {
  const auto [known, first] = ranges_.emplace(name, range);
  if (!first && known->second != range)
    throw std::logic_error("scenario parameter '" + name + "' drawn twice from different ranges (" + known->second +
                           ", " + range + ")");
  const auto [it, inserted] = values_.emplace(name, value);
  if (!inserted && it->second != value)
    throw std::logic_error("scenario parameter '" + name + "' drawn twice with different values (" + it->second +
                           ", " + value + ")");
}

std::string ParameterRecord::to_string() const {
  std::string out;
  for (const auto& [name, value] : values_) out += name + " = " + value + "\n";
  return out;
}

nlohmann::json ParameterRecord::to_json() const {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : values_) out[name] = value;
  return out;
}

SeededRandom WorldRandom::stream(std::string_view name) const { return SeededRandom(derive_seed(seed_, name)); }

SeededRandom WorldRandom::node(std::string_view node_name) const {
  return stream("node/" + std::string(node_name));
}

SeededRandom WorldRandom::link(std::string_view from, std::string_view to) const {
  return stream("link/" + std::string(from) + "->" + std::string(to));
}

uint64_t WorldRandom::draw(const std::string& name, uint64_t bound) const {
  SeededRandom generator = stream("parameter/" + name);
  return generator.uniform(bound);
}

int64_t WorldRandom::uniform(const std::string& name, int64_t low, int64_t high) {
  if (high < low) throw std::invalid_argument("parameter '" + name + "': empty range");
  const uint64_t span = static_cast<uint64_t>(high) - static_cast<uint64_t>(low);
  // span + 1 overflows only for the full int64 range, where any 64-bit draw will do.
  const uint64_t offset = span == UINT64_MAX ? stream("parameter/" + name).next_u64() : draw(name, span + 1);
  const auto value = static_cast<int64_t>(static_cast<uint64_t>(low) + offset);
  parameters_.record(name, std::to_string(value), "uniform " + std::to_string(low) + ".." + std::to_string(high));
  return value;
}

Nanoseconds WorldRandom::duration(const std::string& name, Nanoseconds low, Nanoseconds high) {
  if (high < low) throw std::invalid_argument("parameter '" + name + "': empty range");
  const uint64_t span = static_cast<uint64_t>(high.count()) - static_cast<uint64_t>(low.count());
  const uint64_t offset = span == UINT64_MAX ? stream("parameter/" + name).next_u64() : draw(name, span + 1);
  const Nanoseconds value(static_cast<int64_t>(static_cast<uint64_t>(low.count()) + offset));
  parameters_.record(name, format_duration(value), "duration " + format_duration(low) + ".." + format_duration(high));
  return value;
}

bool WorldRandom::chance(const std::string& name, uint32_t per_million) {
  const bool value = draw(name, 1'000'000) < per_million;
  parameters_.record(name, value ? "true" : "false", "chance " + std::to_string(per_million) + "/1000000");
  return value;
}

const std::string& WorldRandom::choice(const std::string& name, std::span<const std::string> options) {
  if (options.empty()) throw std::invalid_argument("parameter '" + name + "': no options");
  const std::string& value = options[draw(name, options.size())];
  std::string range = "choice";
  for (const std::string& option : options) range += " " + option;
  parameters_.record(name, value, range);
  return value;
}

std::string format_duration(Nanoseconds duration) {
  const int64_t ns = duration.count();
  if (ns != 0 && ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns != 0 && ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns != 0 && ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

}  // namespace outpost::sim
