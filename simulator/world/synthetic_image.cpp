#include "simulator/world/synthetic_image.h"

#include <nlohmann/json.hpp>

#include "reference/oci/digest.h"
#include "simulator/net/synthetic_body.h"

namespace outpost::sim::world {

SyntheticImage make_image(Random& random, uint32_t layers, const SizeDistribution& size, std::string_view label,
                          bool synthetic) {
  SyntheticImage image;
  nlohmann::json config = {{"architecture", "amd64"}, {"os", "linux"}, {"outpost.sim", std::string(label)}};
  image.config = config.dump();
  image.bytes = image.config.size();
  nlohmann::json layer_list = nlohmann::json::array();
  for (uint32_t i = 0; i < layers; ++i) {
    const uint64_t declared = size.draw(random);
    std::string bytes;
    nlohmann::json descriptor = {{"mediaType", "application/vnd.oci.image.layer.v1.tar+gzip"}};
    if (synthetic) {
      bytes = synthetic::encode({declared, random.next_u64()});
      descriptor["annotations"] = {{kDeclaredSizeAnnotation, std::to_string(declared)}};
    } else {
      bytes.assign(declared, '\0');
      random.fill(std::as_writable_bytes(std::span<char>(bytes.data(), bytes.size())));
    }
    descriptor["digest"] = oci::digest_of(bytes).str();
    descriptor["size"] = bytes.size();
    layer_list.push_back(std::move(descriptor));
    image.bytes += declared;
    image.layers.push_back(std::move(bytes));
  }
  const nlohmann::json manifest = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                  {"digest", oci::digest_of(image.config).str()},
                  {"size", image.config.size()}}},
      {"layers", std::move(layer_list)}};
  image.manifest = manifest.dump();
  image.digest = oci::digest_of(image.manifest).str();
  return image;
}

}  // namespace outpost::sim::world
