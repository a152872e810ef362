// oci::parse_manifest on the three shapes a registry sees most: an OCI image manifest (config + 10 layers, with
// annotations), an OCI index of 8 platforms, and a Docker schema 2 manifest. Every manifest PUT parses its body once,
// so this bounds manifest pushes before storage gets involved.
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>
#include <string>

#include "reference/oci/digest.h"
#include "reference/oci/manifest.h"
#include "reference/oci/media_types.h"

using namespace outpost;
using nlohmann::json;

namespace {
// Distinct, valid digests without storing any content.
std::string fake_digest(const std::string& seed) { return oci::digest_of(seed).str(); }

json descriptor(std::string_view media_type, const std::string& seed, uint64_t size) {
  return json{{"mediaType", media_type}, {"digest", fake_digest(seed)}, {"size", size}};
}

// Shaped like what BuildKit pushes: compact JSON, gzip layers, a few standard annotations on the manifest and layers.
std::string oci_image_manifest() {
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", oci::kOciImageManifest},
                   {"config", descriptor(oci::kOciImageConfig, "config", 7023)},
                   {"layers", json::array()},
                   {"annotations",
                    {{"org.opencontainers.image.created", "2026-11-28T10:15:00Z"},
                     {"org.opencontainers.image.source", "https://example.com/team/service"},
                     {"org.opencontainers.image.revision", "0f3b6c1d9e2a4b5c6d7e8f90a1b2c3d4e5f60718"},
                     {"org.opencontainers.image.title", "service"}}}};
  for (int i = 0; i < 10; ++i) {
    json layer = descriptor(oci::kOciLayerTarGzip, "layer" + std::to_string(i), 1'000'000 + 37'123 * i);
    layer["annotations"] = {{"org.opencontainers.image.title", "layer-" + std::to_string(i) + ".tar.gz"}};
    manifest["layers"].push_back(std::move(layer));
  }
  return manifest.dump();
}

std::string oci_index_of_8_platforms() {
  const std::pair<const char*, const char*> platforms[] = {{"linux", "amd64"}, {"linux", "arm64"}, {"linux", "arm"},
                                                           {"linux", "386"},   {"linux", "ppc64le"}, {"linux", "s390x"},
                                                           {"linux", "riscv64"}, {"windows", "amd64"}};
  json index = {{"schemaVersion", 2}, {"mediaType", oci::kOciImageIndex}, {"manifests", json::array()}};
  for (const auto& [os, architecture] : platforms) {
    json child = descriptor(oci::kOciImageManifest, std::string(os) + architecture, 1'600);
    child["platform"] = {{"os", os}, {"architecture", architecture}};
    if (std::string_view(architecture) == "arm") child["platform"]["variant"] = "v7";
    index["manifests"].push_back(std::move(child));
  }
  index["annotations"] = {{"org.opencontainers.image.created", "2026-11-28T10:15:00Z"}};
  return index.dump();
}

// Docker's own writer indents by three spaces; the parser sees that whitespace too.
std::string docker_v2s2_manifest() {
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", oci::kDockerManifest},
                   {"config", descriptor(oci::kDockerContainerConfig, "config", 7023)},
                   {"layers", json::array()}};
  for (int i = 0; i < 10; ++i)
    manifest["layers"].push_back(
        descriptor(oci::kDockerLayerTarGzip, "docker-layer" + std::to_string(i), 1'000'000 + 37'123 * i));
  return manifest.dump(3);
}

void parse(benchmark::State& state, const std::string& bytes, std::string_view content_type) {
  try {
    oci::parse_manifest(bytes, content_type);  // a refused manifest would time the error path instead
  } catch (const oci::ManifestError& e) {
    state.SkipWithError(e.what());
    return;
  }
  for (auto _ : state) {
    oci::ParsedManifest parsed = oci::parse_manifest(bytes, content_type);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.counters["manifest_bytes"] = static_cast<double>(bytes.size());
}
}  // namespace

static void BM_ParseManifest_OciImage10Layers(benchmark::State& state) {
  parse(state, oci_image_manifest(), oci::kOciImageManifest);
}
static void BM_ParseManifest_OciIndex8Platforms(benchmark::State& state) {
  parse(state, oci_index_of_8_platforms(), oci::kOciImageIndex);
}
static void BM_ParseManifest_DockerV2s2_10Layers(benchmark::State& state) {
  parse(state, docker_v2s2_manifest(), oci::kDockerManifest);
}

BENCHMARK(BM_ParseManifest_OciImage10Layers);
BENCHMARK(BM_ParseManifest_OciIndex8Platforms);
BENCHMARK(BM_ParseManifest_DockerV2s2_10Layers);

BENCHMARK_MAIN();
