#pragma once
// Images the workload pushes: a config and layers of drawn sizes with seeded random bytes, and their OCI manifest.
// Real bytes, because the direct network carries real bodies (synthetic payloads, size + seed with the digest
// computed once, come with the simulated network).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reference/common/random.h"
#include "simulator/world/scenario.h"

namespace outpost::sim::world {

struct SyntheticImage {
  std::string config;
  std::vector<std::string> layers;
  std::string manifest;  // application/vnd.oci.image.manifest.v1+json
  std::string digest;    // of the manifest
  uint64_t bytes = 0;    // config and layers
};

// `label` goes into the config, so two images never share a config blob by accident.
SyntheticImage make_image(Random& random, uint32_t layers, const SizeDistribution& size, std::string_view label);

}  // namespace outpost::sim::world
