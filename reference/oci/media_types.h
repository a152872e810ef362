#pragma once
// Media types the registry understands. Manifests are stored and served with the type they were pushed with; config
// and layer types are listed for callers that build or recognise content (the registry never inspects those bytes).
#include <string_view>

namespace outpost::oci {

// OCI image-spec v1.1
inline constexpr std::string_view kOciImageManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciImageIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciImageConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciEmpty = "application/vnd.oci.empty.v1+json";  // the "{}" blob of artifacts
inline constexpr std::string_view kOciLayerTarGzip = "application/vnd.oci.image.layer.v1.tar+gzip";

// Docker image manifest v2, schema 2
inline constexpr std::string_view kDockerManifest = "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerContainerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerTarGzip = "application/vnd.docker.image.rootfs.diff.tar.gzip";

// Docker schema 1 (signed and unsigned): recognised only to be refused as unsupported.
inline constexpr std::string_view kDockerSchema1Manifest = "application/vnd.docker.distribution.manifest.v1+json";
inline constexpr std::string_view kDockerSchema1SignedManifest =
    "application/vnd.docker.distribution.manifest.v1+prettyjws";

// The manifest types accepted on PUT /v2/<name>/manifests/<reference>. Exact comparison: this is how they are written
// inside manifests. For an HTTP header value, take media_type_essence() first.
constexpr bool is_index_media_type(std::string_view type) {
  return type == kOciImageIndex || type == kDockerManifestList;
}
constexpr bool is_image_manifest_media_type(std::string_view type) {
  return type == kOciImageManifest || type == kDockerManifest;
}
constexpr bool is_manifest_media_type(std::string_view type) {
  return is_image_manifest_media_type(type) || is_index_media_type(type);
}

// The type/subtype of a Content-Type or Accept element, without parameters ("; charset=utf-8") or surrounding
// whitespace. Case is kept: callers comparing header values compare case-insensitively (RFC 9110 section 8.3.1).
constexpr std::string_view media_type_essence(std::string_view header_value) {
  header_value = header_value.substr(0, header_value.find(';'));
  while (!header_value.empty() && (header_value.front() == ' ' || header_value.front() == '\t'))
    header_value.remove_prefix(1);
  while (!header_value.empty() && (header_value.back() == ' ' || header_value.back() == '\t'))
    header_value.remove_suffix(1);
  return header_value;
}

}  // namespace outpost::oci
