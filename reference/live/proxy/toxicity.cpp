#include "reference/live/proxy/toxicity.h"

#include "reference/common/random.h"

namespace outpost::live::proxy {

namespace {
uint64_t fnv1a(std::string_view text) {
  uint64_t hash = 1469598103934665603ull;
  for (const unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// Mixes the parts into one seed; SeededRandom's SplitMix64 seeding spreads it over the whole state.
uint64_t mix(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
  uint64_t x = seed;
  for (const uint64_t part : {a, b, c}) x = (x ^ part) * 0x9e3779b97f4a7c15ull + 0x632be59bd9b4e019ull;
  return x;
}
}  // namespace

bool toxic_applies(uint64_t seed, std::string_view link, std::string_view toxic, uint64_t connection, double toxicity) {
  if (toxicity >= 1.0) return true;
  if (toxicity <= 0.0) return false;
  SeededRandom random(mix(seed, fnv1a(link), fnv1a(toxic), connection));
  constexpr uint64_t kScale = uint64_t{1} << 53;  // doubles hold every integer below this exactly
  return static_cast<double>(random.uniform(kScale)) < toxicity * static_cast<double>(kScale);
}

uint64_t connection_seed(uint64_t seed, std::string_view link, uint64_t connection) {
  return mix(seed, fnv1a(link), 0x636f6e6e65637469ull /* "connecti" */, connection);
}

}  // namespace outpost::live::proxy
