#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "reference/oci/manifest.h"
#include "reference/oci/media_types.h"

using namespace outpost::oci;
using nlohmann::json;

namespace {
std::string digest_text(char fill) { return "sha256:" + std::string(64, fill); }

json descriptor(std::string_view media_type, char fill, uint64_t size) {
  return {{"mediaType", media_type}, {"digest", digest_text(fill)}, {"size", size}};
}

json oci_image() {
  return {{"schemaVersion", 2},
          {"mediaType", kOciImageManifest},
          {"config", descriptor(kOciImageConfig, 'c', 7)},
          {"layers", json::array({descriptor(kOciLayerTarGzip, '1', 100), descriptor(kOciLayerTarGzip, '2', 200)})}};
}

json platform(std::string_view architecture) { return {{"architecture", architecture}, {"os", "linux"}}; }

json oci_index() {
  json amd64 = descriptor(kOciImageManifest, 'a', 500), arm64 = descriptor(kOciImageManifest, 'b', 501);
  amd64["platform"] = platform("amd64");
  arm64["platform"] = platform("arm64");
  return {{"schemaVersion", 2}, {"mediaType", kOciImageIndex}, {"manifests", json::array({amd64, arm64})}};
}

json docker_image() {
  return {{"schemaVersion", 2},
          {"mediaType", kDockerManifest},
          {"config", descriptor(kDockerContainerConfig, 'c', 1500)},
          {"layers", json::array({descriptor(kDockerLayerTarGzip, '1', 1000)})}};
}

json docker_list() {
  json entry = descriptor(kDockerManifest, 'd', 700);
  entry["platform"] = platform("amd64");
  return {{"schemaVersion", 2}, {"mediaType", kDockerManifestList}, {"manifests", json::array({entry})}};
}

// A signature-like artifact: empty config, one layer, pointing at an image through `subject`.
json oci_artifact() {
  json manifest = {{"schemaVersion", 2},
                   {"mediaType", kOciImageManifest},
                   {"artifactType", "application/vnd.example.signature.v1"},
                   {"config", descriptor(kOciEmpty, '4', 2)},
                   {"layers", json::array({descriptor("application/vnd.example.signature.v1+bin", '5', 42)})},
                   {"subject", descriptor(kOciImageManifest, 'e', 900)},
                   {"annotations", {{"org.opencontainers.image.created", "2024-01-01T00:00:00Z"}}}};
  return manifest;
}

ParsedManifest parse(const json& manifest, std::string_view content_type = "") {
  return parse_manifest(manifest.dump(), content_type);
}

// The refusal of `bytes`, or a test failure if they were accepted.
ManifestError refusal_of_bytes(std::string_view bytes, std::string_view content_type = "") {
  try {
    parse_manifest(bytes, content_type);
  } catch (const ManifestError& error) {
    return error;
  }
  BOOST_FAIL("manifest was accepted: " << bytes);
  throw std::logic_error("unreachable");
}

ManifestError refusal_of(const json& manifest, std::string_view content_type = "") {
  return refusal_of_bytes(manifest.dump(), content_type);
}

// Checks that `manifest` is refused as MANIFEST_INVALID with a message containing `expected`.
void expect_invalid(const json& manifest, const std::string& expected, std::string_view content_type = "") {
  const ManifestError error = refusal_of(manifest, content_type);
  BOOST_TEST(error.code() == "MANIFEST_INVALID");
  BOOST_TEST(std::string(error.what()).find(expected) != std::string::npos,
             "message '" << error.what() << "' lacks '" << expected << "'");
}
}  // namespace

BOOST_AUTO_TEST_SUITE(valid_manifests)

BOOST_AUTO_TEST_CASE(oci_image_manifest) {
  const ParsedManifest manifest = parse(oci_image(), kOciImageManifest);
  BOOST_TEST((manifest.kind == ManifestKind::OciImage));
  BOOST_TEST(manifest.media_type == kOciImageManifest);
  BOOST_TEST(!manifest.is_index());
  BOOST_TEST_REQUIRE(manifest.blobs.size() == 3u);
  BOOST_TEST(manifest.blobs[0].media_type == kOciImageConfig);  // config comes first
  BOOST_TEST(manifest.blobs[0].digest.str() == digest_text('c'));
  BOOST_TEST(manifest.blobs[0].size == 7u);
  BOOST_TEST(manifest.blobs[2].digest.str() == digest_text('2'));
  BOOST_TEST(manifest.blobs[2].size == 200u);
  BOOST_TEST(manifest.manifests.empty());
  BOOST_TEST(!manifest.subject.has_value());
  BOOST_TEST(manifest.annotations.is_null());
  BOOST_TEST(manifest.blobs[1].annotations.is_null());
  BOOST_TEST(manifest.blobs[1].platform.is_null());
  BOOST_TEST(manifest.artifact_type == kOciImageConfig);  // no artifactType: the config's media type
}

BOOST_AUTO_TEST_CASE(oci_image_index) {
  const ParsedManifest manifest = parse(oci_index(), kOciImageIndex);
  BOOST_TEST((manifest.kind == ManifestKind::OciIndex));
  BOOST_TEST(manifest.is_index());
  BOOST_TEST(manifest.blobs.empty());
  BOOST_TEST_REQUIRE(manifest.manifests.size() == 2u);
  BOOST_TEST(manifest.manifests[1].digest.str() == digest_text('b'));
  BOOST_TEST(manifest.manifests[1].platform["architecture"] == "arm64");
  BOOST_TEST(manifest.artifact_type.empty());  // an index without artifactType has none
}

BOOST_AUTO_TEST_CASE(docker_schema2_manifest) {
  const ParsedManifest manifest = parse(docker_image(), kDockerManifest);
  BOOST_TEST((manifest.kind == ManifestKind::DockerImage));
  BOOST_TEST(manifest.media_type == kDockerManifest);
  BOOST_TEST_REQUIRE(manifest.blobs.size() == 2u);
  BOOST_TEST(manifest.blobs[0].media_type == kDockerContainerConfig);
  BOOST_TEST(manifest.blobs[1].size == 1000u);
  BOOST_TEST(manifest.artifact_type == kDockerContainerConfig);
}

BOOST_AUTO_TEST_CASE(docker_manifest_list) {
  const ParsedManifest manifest = parse(docker_list(), kDockerManifestList);
  BOOST_TEST((manifest.kind == ManifestKind::DockerList));
  BOOST_TEST(manifest.is_index());
  BOOST_TEST_REQUIRE(manifest.manifests.size() == 1u);
  BOOST_TEST(manifest.manifests[0].media_type == kDockerManifest);
  BOOST_TEST(manifest.artifact_type.empty());
}

BOOST_AUTO_TEST_CASE(artifact_with_subject_and_artifact_type) {
  const ParsedManifest manifest = parse(oci_artifact(), kOciImageManifest);
  BOOST_TEST(manifest.artifact_type == "application/vnd.example.signature.v1");
  BOOST_TEST_REQUIRE(manifest.subject.has_value());
  BOOST_TEST(manifest.subject->digest.str() == digest_text('e'));
  BOOST_TEST(manifest.subject->media_type == kOciImageManifest);
  BOOST_TEST_REQUIRE(manifest.blobs.size() == 2u);  // the empty config is a blob like any other
  BOOST_TEST(manifest.blobs[0].media_type == kOciEmpty);
  BOOST_TEST(manifest.annotations["org.opencontainers.image.created"] == "2024-01-01T00:00:00Z");
}

BOOST_AUTO_TEST_CASE(index_with_subject_and_artifact_type) {
  json index = oci_index();
  index["artifactType"] = "application/vnd.example.sbom-set";
  index["subject"] = descriptor(kOciImageIndex, 'f', 300);
  const ParsedManifest manifest = parse(index, kOciImageIndex);
  BOOST_TEST(manifest.artifact_type == "application/vnd.example.sbom-set");
  BOOST_TEST_REQUIRE(manifest.subject.has_value());
  BOOST_TEST(manifest.subject->digest.str() == digest_text('f'));
}

BOOST_AUTO_TEST_CASE(empty_artifact_type_falls_back_to_the_config_media_type) {
  json artifact = oci_artifact();
  artifact["artifactType"] = "";
  BOOST_TEST(parse(artifact).artifact_type == kOciEmpty);
  artifact.erase("artifactType");
  BOOST_TEST(parse(artifact).artifact_type == kOciEmpty);
}

BOOST_AUTO_TEST_CASE(artifact_with_no_layers) {
  json artifact = oci_artifact();
  artifact["layers"] = json::array();
  const ParsedManifest manifest = parse(artifact);
  BOOST_TEST(manifest.blobs.size() == 1u);
}

BOOST_AUTO_TEST_CASE(descriptor_extras_are_kept) {
  json image = oci_image();
  image["layers"][0]["annotations"] = {{"org.opencontainers.image.title", "layer.tar"}};
  image["layers"][0]["urls"] = json::array({"https://example.com/layer"});
  image["layers"][0]["artifactType"] = "application/vnd.example";
  image["layers"][0]["data"] = "e30=";
  image["layers"][0]["unknownField"] = json::array({1, 2});  // unknown fields are ignored
  const ParsedManifest manifest = parse(image);
  BOOST_TEST(manifest.blobs[1].annotations["org.opencontainers.image.title"] == "layer.tar");
  BOOST_TEST(manifest.blobs[1].artifact_type == "application/vnd.example");
}

// A layer with urls is fetched from them and need not be in the registry; a config never is, urls or not; an empty
// list names nowhere to fetch from.
BOOST_AUTO_TEST_CASE(layers_with_urls_are_external) {
  json image = docker_image();
  image["layers"][0]["mediaType"] = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";
  image["layers"][0]["urls"] = json::array({"https://mcr.example/v2/base/blobs/x"});
  image["layers"].push_back(descriptor(kDockerLayerTarGzip, '2', 10));
  image["layers"][1]["urls"] = json::array();
  image["config"]["urls"] = json::array({"https://example.com/config"});
  const ParsedManifest manifest = parse(image, kDockerManifest);
  BOOST_TEST(!manifest.blobs[0].external);
  BOOST_TEST(manifest.blobs[1].external);
  BOOST_TEST(!manifest.blobs[2].external);
}

BOOST_AUTO_TEST_CASE(size_zero_and_large_sizes) {
  json image = oci_image();
  image["layers"][0]["size"] = 0;
  image["layers"][1]["size"] = uint64_t{1} << 40;
  const ParsedManifest manifest = parse(image);
  BOOST_TEST(manifest.blobs[1].size == 0u);
  BOOST_TEST(manifest.blobs[2].size == uint64_t{1} << 40);
}

BOOST_AUTO_TEST_CASE(sha512_digests_are_accepted) {
  json image = oci_image();
  image["layers"][0]["digest"] = "sha512:" + std::string(128, '9');
  BOOST_TEST((parse(image).blobs[1].digest.algorithm() == DigestAlgorithm::Sha512));
}

BOOST_AUTO_TEST_CASE(descriptor_to_json) {
  json entry = descriptor(kOciImageManifest, 'a', 10);
  entry["artifactType"] = "application/vnd.example";
  entry["annotations"] = {{"k", "v"}};
  entry["platform"] = platform("amd64");
  json index = oci_index();
  index["manifests"] = json::array({entry});
  const json out = parse(index).manifests[0].to_json();
  BOOST_TEST(out == entry);

  const json plain = parse(oci_image()).blobs[0].to_json();
  BOOST_TEST(plain == descriptor(kOciImageConfig, 'c', 7));  // absent fields stay absent
}

BOOST_AUTO_TEST_CASE(docker_manifests_ignore_oci_only_fields) {
  json image = docker_image();
  image["subject"] = descriptor(kDockerManifest, 'e', 1);
  image["artifactType"] = "application/vnd.example";
  const ParsedManifest manifest = parse(image);
  BOOST_TEST(!manifest.subject.has_value());
  BOOST_TEST(manifest.artifact_type == kDockerContainerConfig);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(media_type_resolution)

BOOST_AUTO_TEST_CASE(content_type_parameters_and_case_are_ignored) {
  BOOST_TEST(parse(oci_image(), "application/vnd.oci.image.manifest.v1+json; charset=utf-8").media_type ==
             kOciImageManifest);
  BOOST_TEST(parse(oci_index(), "Application/VND.oci.image.index.v1+json").media_type == kOciImageIndex);
}

BOOST_AUTO_TEST_CASE(content_type_alone_decides_when_the_body_has_no_media_type) {
  json image = docker_image();
  image.erase("mediaType");
  BOOST_TEST((parse(image, kDockerManifest).kind == ManifestKind::DockerImage));
  json list = docker_list();
  list.erase("mediaType");
  BOOST_TEST((parse(list, kDockerManifestList).kind == ManifestKind::DockerList));
}

BOOST_AUTO_TEST_CASE(body_media_type_must_match_the_content_type) {
  const ManifestError error = refusal_of(oci_image(), kDockerManifest);
  BOOST_TEST(error.code() == "MANIFEST_INVALID");
  const std::string message = error.what();
  BOOST_TEST(message.find("mediaType") != std::string::npos);
  BOOST_TEST(message.find(std::string(kOciImageManifest)) != std::string::npos);
  BOOST_TEST(message.find(std::string(kDockerManifest)) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(body_media_type_decides_without_a_manifest_content_type) {
  BOOST_TEST((parse(docker_image(), "").kind == ManifestKind::DockerImage));
  BOOST_TEST((parse(docker_list(), "application/json").kind == ManifestKind::DockerList));
  BOOST_TEST((parse(oci_index(), "application/octet-stream").kind == ManifestKind::OciIndex));
}

BOOST_AUTO_TEST_CASE(shape_decides_when_nothing_names_a_type) {
  json image = oci_image(), index = oci_index();
  image.erase("mediaType");
  index.erase("mediaType");
  BOOST_TEST((parse(image).kind == ManifestKind::OciImage));
  BOOST_TEST((parse(index, "application/json").kind == ManifestKind::OciIndex));

  json both = image;
  both["manifests"] = json::array();
  expect_invalid(both, "cannot tell the manifest's media type");
  json neither = {{"schemaVersion", 2}};
  expect_invalid(neither, std::string(kOciImageIndex));  // names the accepted types
}

BOOST_AUTO_TEST_CASE(unknown_media_types_are_refused_naming_the_accepted_ones) {
  json image = oci_image();
  image["mediaType"] = "application/vnd.example.manifest.v1+json";
  expect_invalid(image, "mediaType: 'application/vnd.example.manifest.v1+json' is not a manifest media type");
  expect_invalid(image, std::string(kDockerManifestList));
  image["mediaType"] = kOciImageConfig;
  expect_invalid(image, "accepted:", "application/json");
}

BOOST_AUTO_TEST_CASE(body_media_type_must_be_a_string) {
  json image = oci_image();
  image["mediaType"] = 3;
  expect_invalid(image, "mediaType: must be a string", kOciImageManifest);
  image["mediaType"] = nullptr;
  expect_invalid(image, "mediaType: must be a string, got null");
}

BOOST_AUTO_TEST_CASE(content_type_decides_the_required_fields) {
  // An image manifest sent as an index lacks `manifests`.
  json image = oci_image();
  image.erase("mediaType");
  expect_invalid(image, "manifests: required array is missing", kOciImageIndex);
}

BOOST_AUTO_TEST_CASE(docker_schema1_is_unsupported) {
  const json schema1 = {
      {"schemaVersion", 1}, {"name", "library/busybox"}, {"tag", "latest"}, {"fsLayers", json::array()}};
  BOOST_TEST(refusal_of(schema1).code() == "UNSUPPORTED");
  BOOST_TEST(refusal_of(schema1, kDockerSchema1SignedManifest).code() == "UNSUPPORTED");
  BOOST_TEST(refusal_of(docker_image(), kDockerSchema1Manifest).code() == "UNSUPPORTED");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(invalid_manifests)

BOOST_AUTO_TEST_CASE(must_be_a_json_object) {
  // The last one is a number beyond any C++ type: nlohmann throws out_of_range, not parse_error (found by fuzzing).
  for (const std::string bytes : {"", "{", "not json", "{\"schemaVersion\": 2,}", "\xff", "{\"schemaVersion\":7e8649}"}) {
    const ManifestError error = refusal_of_bytes(bytes, kOciImageManifest);
    BOOST_TEST(error.code() == "MANIFEST_INVALID");
    BOOST_TEST(std::string(error.what()).find("not valid JSON") != std::string::npos, error.what());
    BOOST_TEST(std::string(error.what()).find("json.exception") == std::string::npos, error.what());
  }
  for (const std::string bytes : {"[]", "2", "\"manifest\"", "null"}) {
    const ManifestError error = refusal_of_bytes(bytes, kOciImageManifest);
    BOOST_TEST(std::string(error.what()).find("must be a JSON object") != std::string::npos, error.what());
  }
}

// The parser ends input at a NUL byte: a manifest followed by "\0" and anything was taken, stored with the bytes after
// the NUL, and served back as JSON that is not JSON.
BOOST_AUTO_TEST_CASE(a_nul_byte_anywhere_is_refused) {
  const std::string manifest = oci_image().dump();
  for (const std::string& bytes : {manifest + std::string(1, '\0'), manifest + std::string("\0garbage", 8),
                                   manifest + std::string(" \0 ", 3)}) {
    const ManifestError error = refusal_of_bytes(bytes, kOciImageManifest);
    BOOST_TEST(error.code() == "MANIFEST_INVALID");
    BOOST_TEST(std::string(error.what()).find("NUL byte") != std::string::npos, error.what());
  }
}

// A wrongly typed value nested 100,000 levels deep was dumped into the error message, recursively, and overflowed the
// stack (found by probing a live server). Such a manifest is refused before it is parsed; the message stays short.
BOOST_AUTO_TEST_CASE(a_manifest_nested_without_bound_is_refused_before_it_is_parsed) {
  const std::string deep = std::string(100000, '[') + std::string(100000, ']');
  for (const std::string field : {"annotations", "schemaVersion", "mediaType", "subject", "artifactType", "x-extra"}) {
    json image = oci_image();
    image.erase(field);
    std::string bytes = image.dump();
    bytes.pop_back();
    bytes += ",\"" + field + "\":" + deep + "}";
    const ManifestError error = refusal_of_bytes(bytes, kOciImageManifest);
    BOOST_TEST(error.code() == "MANIFEST_INVALID");
    BOOST_TEST(std::string(error.what()) == "manifest nests deeper than 64 levels");
  }
  // As deep as allowed is fine in an unknown field.
  json image = oci_image();
  json value = json::array();
  for (size_t level = 2; level < kMaxManifestDepth; ++level) value = json::array({value});
  image["x-extra"] = value;
  BOOST_CHECK_NO_THROW(parse_manifest(image.dump(), kOciImageManifest));
  image["x-extra"] = json::array({value});
  BOOST_TEST(refusal_of(image, kOciImageManifest).code() == "MANIFEST_INVALID");
}

BOOST_AUTO_TEST_CASE(schema_version_must_be_the_integer_2) {
  json image = oci_image();
  image.erase("schemaVersion");
  expect_invalid(image, "schemaVersion: required");
  for (const json& version : {json("2"), json(2.0), json(3), json(-2), json(nullptr)}) {
    image["schemaVersion"] = version;
    expect_invalid(image, "schemaVersion: must be the integer 2");
  }
}

BOOST_AUTO_TEST_CASE(image_manifests_need_config_and_layers) {
  for (const json& base : {oci_image(), docker_image()}) {
    json missing_config = base;
    missing_config.erase("config");
    expect_invalid(missing_config, "config: required descriptor is missing");

    json bad_config = base;
    bad_config["config"] = json::array();
    expect_invalid(bad_config, "config: must be a descriptor object, got array");

    json missing_layers = base;
    missing_layers.erase("layers");
    expect_invalid(missing_layers, "layers: required array is missing");

    json bad_layers = base;
    bad_layers["layers"] = descriptor(kOciLayerTarGzip, '1', 1);
    expect_invalid(bad_layers, "layers: must be an array of descriptors, got object");
  }
}

BOOST_AUTO_TEST_CASE(indexes_need_manifests) {
  for (const json& base : {oci_index(), docker_list()}) {
    json missing = base;
    missing.erase("manifests");
    expect_invalid(missing, "manifests: required array is missing");
    json bad = base;
    bad["manifests"] = "none";
    expect_invalid(bad, "manifests: must be an array of descriptors, got string 'none'");
    json bad_entry = base;
    bad_entry["manifests"][0] = 5;
    expect_invalid(bad_entry, "manifests[0]: must be a descriptor object, got number 5");
  }
}

BOOST_AUTO_TEST_CASE(descriptor_media_type) {
  json image = oci_image();
  image["layers"][1].erase("mediaType");
  expect_invalid(image, "layers[1].mediaType: required string is missing");
  image["layers"][1]["mediaType"] = true;
  expect_invalid(image, "layers[1].mediaType: must be a string, got boolean true");
  image["layers"][1]["mediaType"] = "";
  expect_invalid(image, "layers[1].mediaType: must not be empty");
}

BOOST_AUTO_TEST_CASE(descriptor_digest) {
  json image = oci_image();
  image["layers"][1]["digest"] = "sha256:xyz";
  expect_invalid(image, "layers[1].digest: 'sha256:xyz' is not a valid digest");
  image["layers"][1]["digest"] = "sha256:" + std::string(64, 'A');
  expect_invalid(image, "is not a valid digest");
  image["layers"][1]["digest"] = "sha384:" + std::string(96, 'a');
  expect_invalid(image, "layers[1].digest: 'sha384:" + std::string(96, 'a').substr(0, 50));
  expect_invalid(image, "unsupported algorithm");
  image["layers"][1].erase("digest");
  expect_invalid(image, "layers[1].digest: required string is missing");
  image["config"]["digest"] = 12;
  expect_invalid(image, "config.digest: must be a string");
}

BOOST_AUTO_TEST_CASE(descriptor_size) {
  json image = oci_image();
  image["layers"][0].erase("size");
  expect_invalid(image, "layers[0].size: required integer is missing");
  for (const json& size : {json(-1), json(1.5), json("100"), json(nullptr), json(1e30)}) {
    image["layers"][0]["size"] = size;
    expect_invalid(image, "layers[0].size: must be a non-negative integer");
  }
  // image-spec: size is an int64. 2^63 and above read as negative wherever a size is held signed (the metadata
  // database, Content-Length arithmetic), so they are refused here; 2^63-1 is the largest size.
  for (const uint64_t size : {uint64_t{1} << 63, UINT64_MAX}) {
    image["layers"][0]["size"] = size;
    expect_invalid(image, "layers[0].size: must be at most 9223372036854775807");
  }
  image["layers"][0]["size"] = uint64_t{INT64_MAX};
  BOOST_TEST(parse(image).blobs.at(1).size == uint64_t{INT64_MAX});
}

BOOST_AUTO_TEST_CASE(descriptor_optional_fields) {
  const auto with_layer_field = [](std::string_view key, json value) {
    json image = oci_image();
    image["layers"][0][std::string(key)] = std::move(value);
    return image;
  };
  expect_invalid(with_layer_field("artifactType", 1), "layers[0].artifactType: must be a string");
  expect_invalid(with_layer_field("annotations", "x"), "layers[0].annotations: must be an object of strings");
  expect_invalid(with_layer_field("annotations", {{"a", "ok"}, {"b", 2}}),
                 "layers[0].annotations: value of 'b' must be a string, got number 2");
  expect_invalid(with_layer_field("urls", "https://example.com"), "layers[0].urls: must be an array of strings");
  expect_invalid(with_layer_field("urls", json::array({"https://example.com", 7})),
                 "layers[0].urls[1]: must be a string");
  expect_invalid(with_layer_field("platform", "linux/amd64"), "layers[0].platform: must be an object");
  expect_invalid(with_layer_field("data", json::object()), "layers[0].data: must be a string");

  json index = oci_index();
  index["manifests"][1]["platform"] = json::array();
  expect_invalid(index, "manifests[1].platform: must be an object, got array");
}

BOOST_AUTO_TEST_CASE(subject_must_be_a_valid_descriptor) {
  json artifact = oci_artifact();
  artifact["subject"]["digest"] = "sha256:short";
  expect_invalid(artifact, "subject.digest: 'sha256:short' is not a valid digest");
  artifact["subject"] = "sha256:" + std::string(64, 'e');
  expect_invalid(artifact, "subject: must be a descriptor object");
}

BOOST_AUTO_TEST_CASE(top_level_artifact_type_and_annotations) {
  json artifact = oci_artifact();
  artifact["artifactType"] = json::array();
  expect_invalid(artifact, "artifactType: must be a string, got array");

  artifact = oci_artifact();
  artifact["annotations"] = json::array({"a"});
  expect_invalid(artifact, "annotations: must be an object of strings");
  artifact["annotations"] = {{"k", nullptr}};
  expect_invalid(artifact, "annotations: value of 'k' must be a string, got null");

  json index = oci_index();
  index["annotations"] = {{"k", 1}};
  expect_invalid(index, "annotations: value of 'k' must be a string");
}

BOOST_AUTO_TEST_CASE(echoed_values_are_bounded_and_stay_utf8) {
  json image = oci_image();
  // 3-byte characters, so a naive cut at a fixed byte count would split one.
  std::string long_value = "sha256:";
  for (int i = 0; i < 2000; ++i) long_value += "\xe2\x82\xac";
  image["layers"][0]["digest"] = long_value;
  const ManifestError error = refusal_of(image);
  const std::string message = error.what();
  BOOST_TEST(message.size() < 300u);
  BOOST_TEST(message.find("...") != std::string::npos);
  BOOST_CHECK_NO_THROW(json(message).dump());  // dump() throws on invalid UTF-8
}

BOOST_AUTO_TEST_SUITE_END()
