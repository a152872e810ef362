#pragma once
// Images the workload pushes: a config and layers of drawn sizes, and their OCI manifest. A layer is either real bytes
// (seeded random) or, with `synthetic`, a recipe of its size and a seed (simulator/net/synthetic_body.h): a small
// real blob the simulated network charges as the declared size, so an image of terabytes costs a few dozen bytes per
// layer. The manifest names a recipe with its real size (what the registry stores and checks) and carries the
// declared size in an annotation, for people reading it.
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
  uint64_t bytes = 0;    // config and layers, synthetic layers at their declared sizes
};

// The annotation of a synthetic layer's descriptor that holds its declared size.
inline constexpr const char* kDeclaredSizeAnnotation = "outpost.sim.declaredSize";

// `label` goes into the config, so two images never share a config blob by accident.
SyntheticImage make_image(Random& random, uint32_t layers, const SizeDistribution& size, std::string_view label,
                          bool synthetic = false);

}  // namespace outpost::sim::world
