#pragma once
// Manifest and index parsing for PUT /v2/<name>/manifests/<reference> (SPEC 6.2): the bytes are validated as JSON of
// their media type and no deeper. What the registry must check next (referenced blobs and child manifests exist in
// the repository) is returned as descriptors; config and layer bytes are never inspected.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "reference/oci/digest.h"

namespace outpost::oci {

struct Descriptor {
  std::string media_type;
  Digest digest;
  uint64_t size = 0;
  std::string artifact_type;    // empty when absent
  nlohmann::json annotations;   // null when absent
  nlohmann::json platform;      // null when absent
  // A layer with `urls` (a foreign or non-distributable layer: Windows base layers, licensed content). Clients fetch
  // it from those URLs and usually do not upload it, so the registry need not hold it (image-spec: such layers
  // SHOULD NOT be uploaded; Distribution skips its check too). Never set on a config.
  bool external = false;
  // The descriptor as a referrers-API / index entry: mediaType, digest, size, and artifactType, annotations and
  // platform when present.
  nlohmann::json to_json() const;
};

enum class ManifestKind { OciImage, OciIndex, DockerImage, DockerList };

struct ParsedManifest {
  ManifestKind kind = ManifestKind::OciImage;
  std::string media_type;             // the effective media type, in canonical spelling
  std::vector<Descriptor> blobs;      // image manifests: config first, then layers; each must exist as a blob,
                                      // but an `external` layer need not
  std::vector<Descriptor> manifests;  // index/list children; each must exist as a manifest
  std::optional<Descriptor> subject;  // OCI types only; need not exist in the repository
  // The artifact type the referrers API reports: `artifactType` when set and non-empty, else for an image manifest
  // its config's mediaType, else empty (distribution-spec v1.1 referrers rules).
  std::string artifact_type;
  nlohmann::json annotations;  // null when absent

  bool is_index() const { return kind == ManifestKind::OciIndex || kind == ManifestKind::DockerList; }
};

// A refused manifest. code() is the distribution-spec error code: "MANIFEST_INVALID", or "UNSUPPORTED" for Docker
// schema 1 manifests (recognised, deliberately not supported). what() says what is wrong and where, e.g.
// "layers[2].digest: 'sha256:xyz' is not a valid digest".
class ManifestError : public std::runtime_error {
 public:
  explicit ManifestError(const std::string& message, std::string code = "MANIFEST_INVALID")
      : std::runtime_error(message), code_(std::move(code)) {}
  std::string code() const { return code_; }

 private:
  std::string code_;
};

// Deepest nesting a manifest may have. Real ones reach 5 (index, manifests, descriptor, platform, os.features); extension
// fields get room to spare, and nothing that reads a manifest has to survive a value nested without bound.
inline constexpr size_t kMaxManifestDepth = 64;

// `content_type` is the request's Content-Type header value (may be empty); parameters are ignored. Throws
// ManifestError, also for a manifest nested deeper than kMaxManifestDepth.
ParsedManifest parse_manifest(std::string_view bytes, std::string_view content_type);

}  // namespace outpost::oci
