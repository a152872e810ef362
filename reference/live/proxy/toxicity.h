#pragma once
// Which connections a toxic applies to. Each decision is a pure function of (seed, link, toxic name, connection number)
// drawn with a SeededRandom seeded from those four, rather than the next value of one shared generator: the same seed
// then gives the same decisions whatever order threads happen to accept connections and add toxics in, and raising a
// toxic's toxicity only ever adds connections to the ones it already applied to.
#include <cstdint>
#include <string_view>

namespace outpost::live::proxy {

// true with probability `toxicity` (0 never, 1 always) for the `connection`-th connection (from 1) of `link`.
bool toxic_applies(uint64_t seed, std::string_view link, std::string_view toxic, uint64_t connection, double toxicity);

// The seed of a connection's own generator (latency jitter, slice sizes).
uint64_t connection_seed(uint64_t seed, std::string_view link, uint64_t connection);

}  // namespace outpost::live::proxy
