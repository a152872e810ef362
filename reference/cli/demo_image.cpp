#include "reference/cli/demo_image.h"

#include <cstdio>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

#include "reference/oci/digest.h"

namespace outpost::cli {

namespace {
// A ustar archive holding one regular file: header, content padded to 512 bytes, two zero blocks.
std::string tar_of_one_file(const std::string& name, const std::string& content) {
  char header[512] = {};
  std::snprintf(header, 100, "%s", name.c_str());
  std::snprintf(header + 100, 8, "%07o", 0644);
  std::snprintf(header + 108, 8, "%07o", 0);
  std::snprintf(header + 116, 8, "%07o", 0);
  std::snprintf(header + 124, 12, "%011o", static_cast<unsigned>(content.size()));
  std::snprintf(header + 136, 12, "%011o", 1700000000u);  // fixed mtime: the demo image has the same digest every run
  header[156] = '0';
  std::memcpy(header + 257, "ustar", 6);
  std::memcpy(header + 263, "00", 2);
  std::memset(header + 148, ' ', 8);
  unsigned checksum = 0;
  for (unsigned char c : header) checksum += c;
  std::snprintf(header + 148, 8, "%06o", checksum);
  std::string archive(header, sizeof header);
  archive += content;
  archive.append((512 - content.size() % 512) % 512, '\0');
  archive.append(1024, '\0');
  return archive;
}

nlohmann::json write_blob(const std::filesystem::path& layout, const std::string& media_type, const std::string& bytes) {
  const oci::Digest digest = oci::digest_of(bytes);
  const auto directory = layout / "blobs" / "sha256";
  std::filesystem::create_directories(directory);
  std::ofstream(directory / std::string(digest.hex()), std::ios::binary) << bytes;
  return {{"mediaType", media_type}, {"digest", digest.str()}, {"size", bytes.size()}};
}
}  // namespace

std::string write_demo_layout(const std::filesystem::path& directory, const std::string& tag) {
  std::filesystem::create_directories(directory);
  const std::string layer1 = tar_of_one_file("hello.txt", "Hello from an Outpost connected registry.\n");
  const std::string layer2 = tar_of_one_file("etc/outpost.json", "{\"site\": \"demo\"}\n");
  const nlohmann::json config = {
      {"architecture", "amd64"},
      {"os", "linux"},
      {"config", {{"Cmd", {"/bin/cat", "/hello.txt"}}}},
      {"rootfs", {{"type", "layers"}, {"diff_ids", {oci::digest_of(layer1).str(), oci::digest_of(layer2).str()}}}}};
  const std::string layer_type = "application/vnd.oci.image.layer.v1.tar";
  const nlohmann::json manifest = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config", write_blob(directory, "application/vnd.oci.image.config.v1+json", config.dump())},
      {"layers", {write_blob(directory, layer_type, layer1), write_blob(directory, layer_type, layer2)}}};
  nlohmann::json entry = write_blob(directory, "application/vnd.oci.image.manifest.v1+json", manifest.dump());
  entry["annotations"] = {{"org.opencontainers.image.ref.name", tag}};
  std::ofstream(directory / "oci-layout") << R"({"imageLayoutVersion": "1.0.0"})";
  std::ofstream(directory / "index.json") << nlohmann::json{{"schemaVersion", 2}, {"manifests", {entry}}}.dump();
  return entry["digest"].get<std::string>();
}

}  // namespace outpost::cli
