#include "reference/oci/manifest.h"

#include <array>
#include <cstdint>
#include <string>

#include "reference/common/ascii.h"
#include "reference/common/json_depth.h"
#include "reference/common/json_error.h"
#include "reference/common/shortened.h"
#include "reference/oci/media_types.h"
#include "reference/oci/reference.h"

namespace outpost::oci {

namespace {
using nlohmann::json;

constexpr std::array<std::string_view, 4> kManifestMediaTypes = {kOciImageManifest, kOciImageIndex, kDockerManifest,
                                                                 kDockerManifestList};
constexpr size_t kNoIndex = static_cast<size_t>(-1);
// Offending values are echoed in error messages; a hostile manifest must not be able to make those huge.
constexpr size_t kMaxShownValue = 100;

std::string accepted_media_types() {
  std::string list;
  for (std::string_view type : kManifestMediaTypes) {
    if (!list.empty()) list += ", ";
    list += type;
  }
  return list;
}

// Where a value sits in the manifest, e.g. field "layers" and index 2. Turned into text only when an error is
// reported, so a valid manifest costs no string building.
struct Where {
  std::string_view field;  // top-level field; empty for the document itself
  size_t index = kNoIndex;
};

std::string path_of(const Where& where, std::string_view key) {
  std::string path(where.field);
  if (where.index != kNoIndex) path += "[" + std::to_string(where.index) + "]";
  if (!key.empty()) {
    if (!path.empty()) path += '.';
    path += key;
  }
  return path;
}

[[noreturn]] void fail(const Where& where, std::string_view key, const std::string& problem,
                       std::string code = "MANIFEST_INVALID") {
  const std::string path = path_of(where, key);
  throw ManifestError(path.empty() ? problem : path + ": " + problem, std::move(code));
}

// Built by append rather than operator+ chains: GCC 12 at -O3 reports a false -Wrestrict on the latter.
std::string in_quotes(std::string_view text) {
  std::string quoted = "'";
  quoted.append(shortened(text, kMaxShownValue)).push_back('\'');
  return quoted;
}

std::string shown(const json& value) {
  return value.is_string() ? in_quotes(value.get_ref<const std::string&>()) : shortened(value.dump(), kMaxShownValue);
}

std::string got(const json& value) {
  if (value.is_null()) return ", got null";
  return std::string(", got ") + value.type_name() + " " + shown(value);
}

const json* member(const json& object, std::string_view key) {
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const std::string* optional_string(const json& object, const Where& where, std::string_view key) {
  const json* value = member(object, key);
  if (!value) return nullptr;
  if (!value->is_string()) fail(where, key, "must be a string" + got(*value));
  return &value->get_ref<const std::string&>();
}

const std::string& required_string(const json& object, const Where& where, std::string_view key) {
  const std::string* value = optional_string(object, where, key);
  if (!value) fail(where, key, "required string is missing");
  return *value;
}

// Annotations are a map of string to string (image-spec "Annotations").
json optional_annotations(const json& object, const Where& where) {
  const json* value = member(object, "annotations");
  if (!value) return nullptr;
  if (!value->is_object()) fail(where, "annotations", "must be an object of strings" + got(*value));
  for (const auto& [key, entry] : value->items())
    if (!entry.is_string()) fail(where, "annotations", "value of " + in_quotes(key) + " must be a string" + got(entry));
  return *value;
}

void check_optional_string_array(const json& object, const Where& where, std::string_view key) {
  const json* value = member(object, key);
  if (!value) return;
  if (!value->is_array()) fail(where, key, "must be an array of strings" + got(*value));
  for (size_t i = 0; i < value->size(); ++i)
    if (!(*value)[i].is_string())
      fail(where, std::string(key) + "[" + std::to_string(i) + "]", "must be a string" + got((*value)[i]));
}

json optional_object(const json& object, const Where& where, std::string_view key) {
  const json* value = member(object, key);
  if (!value) return nullptr;
  if (!value->is_object()) fail(where, key, "must be an object" + got(*value));
  return *value;
}

Digest required_digest(const json& object, const Where& where) {
  const std::string& text = required_string(object, where, "digest");
  if (auto digest = Digest::parse(text)) return std::move(*digest);
  if (is_unsupported_digest(text))
    fail(where, "digest", in_quotes(text) + " uses an unsupported algorithm (supported: sha256, sha512)");
  fail(where, "digest", in_quotes(text) + " is not a valid digest");
}

uint64_t required_size(const json& object, const Where& where) {
  const json* value = member(object, "size");
  if (!value) fail(where, "size", "required integer is missing");
  // nlohmann stores every non-negative integer literal as unsigned; "-0" is the one signed form worth accepting.
  if (value->is_number_unsigned()) {
    // image-spec: an int64. Larger sizes would turn negative wherever a size is held signed (SQLite's integers).
    const uint64_t size = value->get<uint64_t>();
    if (size > static_cast<uint64_t>(INT64_MAX))
      fail(where, "size", "must be at most " + std::to_string(INT64_MAX) + " (an int64)" + got(*value));
    return size;
  }
  if (value->is_number_integer() && value->get<int64_t>() == 0) return 0;
  fail(where, "size", "must be a non-negative integer" + got(*value));
}

Descriptor parse_descriptor(const json& value, const Where& where) {
  if (!value.is_object()) fail(where, {}, "must be a descriptor object" + got(value));
  Descriptor descriptor;
  descriptor.media_type = required_string(value, where, "mediaType");
  if (descriptor.media_type.empty()) fail(where, "mediaType", "must not be empty");
  descriptor.digest = required_digest(value, where);
  descriptor.size = required_size(value, where);
  if (const std::string* artifact_type = optional_string(value, where, "artifactType"))
    descriptor.artifact_type = *artifact_type;
  descriptor.annotations = optional_annotations(value, where);
  descriptor.platform = optional_object(value, where, "platform");
  check_optional_string_array(value, where, "urls");
  if (const json* urls = member(value, "urls")) descriptor.external = !urls->empty();
  optional_string(value, where, "data");  // embedded content, base64; type-checked only
  return descriptor;
}

void append_descriptor_array(const json& document, std::string_view field, std::vector<Descriptor>& out) {
  const json* value = member(document, field);
  if (!value) fail({}, field, "required array is missing");
  if (!value->is_array()) fail({}, field, "must be an array of descriptors" + got(*value));
  out.reserve(out.size() + value->size());
  for (size_t i = 0; i < value->size(); ++i) out.push_back(parse_descriptor((*value)[i], Where{field, i}));
}

// A Content-Type header names its media type case-insensitively; the result is the canonical spelling.
std::optional<std::string_view> manifest_type_of_header(std::string_view content_type) {
  const std::string_view essence = media_type_essence(content_type);
  for (std::string_view type : kManifestMediaTypes)
    if (ascii_iequals(essence, type)) return type;
  return std::nullopt;
}

bool is_schema1(std::string_view type) {
  type = media_type_essence(type);
  return ascii_iequals(type, kDockerSchema1Manifest) || ascii_iequals(type, kDockerSchema1SignedManifest);
}

[[noreturn]] void refuse_schema1() {
  fail({}, {}, "Docker image manifest schema 1 is not supported; push schema 2 or OCI", "UNSUPPORTED");
}

void check_schema_version(const json& document) {
  const json* version = member(document, "schemaVersion");
  if (!version) fail({}, "schemaVersion", "required, must be 2");
  if (version->is_number_unsigned() && version->get<uint64_t>() == 2) return;
  if (version->is_number_unsigned() && version->get<uint64_t>() == 1) refuse_schema1();
  fail({}, "schemaVersion", "must be the integer 2" + got(*version));
}

// The request's Content-Type wins when it is a manifest type, and the body's mediaType must then agree with it.
// Otherwise the body's mediaType decides; without either, the shape does (image-spec allows mediaType to be absent).
std::string_view resolve_media_type(const json& document, std::string_view content_type) {
  const std::string* body_type = optional_string(document, {}, "mediaType");
  if (const auto header_type = manifest_type_of_header(content_type)) {
    if (body_type && *body_type != *header_type)
      fail({}, "mediaType", in_quotes(*body_type) + " does not match the Content-Type " + in_quotes(*header_type));
    return *header_type;
  }
  if (is_schema1(content_type) || (body_type && is_schema1(*body_type))) refuse_schema1();
  if (body_type) {
    for (std::string_view type : kManifestMediaTypes)
      if (*body_type == type) return type;
    fail({}, "mediaType", in_quotes(*body_type) + " is not a manifest media type; accepted: " + accepted_media_types());
  }
  const bool has_manifests = member(document, "manifests") != nullptr;
  const bool has_config = member(document, "config") != nullptr;
  if (has_manifests && !has_config) return kOciImageIndex;
  if (has_config && !has_manifests) return kOciImageManifest;
  fail({}, {},
       "cannot tell the manifest's media type: send a Content-Type or a mediaType field with one of: " +
           accepted_media_types());
}

ManifestKind kind_of(std::string_view media_type) {
  if (media_type == kOciImageManifest) return ManifestKind::OciImage;
  if (media_type == kOciImageIndex) return ManifestKind::OciIndex;
  if (media_type == kDockerManifest) return ManifestKind::DockerImage;
  return ManifestKind::DockerList;
}

json parse_json(std::string_view bytes) {
  // Refused before parsing: dumping a value nested 100,000 levels deep into an error message overflowed the stack.
  if (json_nests_deeper_than(bytes, kMaxManifestDepth))
    fail({}, {}, "manifest nests deeper than " + std::to_string(kMaxManifestDepth) + " levels");
  // The parser would stop at the NUL and take the bytes before it; the manifest's bytes, all of them, are what is
  // stored and served (reference/common/json_depth.h).
  if (json_holds_nul(bytes)) fail({}, {}, "manifest is not valid JSON: it holds a NUL byte (escape U+0000 as \\u0000)");
  try {
    return json::parse(bytes.begin(), bytes.end());
  } catch (const json::exception& error) {
    // parse_error for bad syntax, out_of_range for a number too large for any C++ type (found by fuzz_manifest).
    fail({}, {}, "manifest is not valid JSON: " + json_error_message(error));
  }
}
}  // namespace

json Descriptor::to_json() const {
  json out = {{"mediaType", media_type}, {"digest", digest.str()}, {"size", size}};
  if (!artifact_type.empty()) out["artifactType"] = artifact_type;
  if (!annotations.is_null()) out["annotations"] = annotations;
  if (!platform.is_null()) out["platform"] = platform;
  return out;
}

ParsedManifest parse_manifest(std::string_view bytes, std::string_view content_type) {
  const json document = parse_json(bytes);
  if (!document.is_object()) fail({}, {}, "manifest must be a JSON object" + got(document));
  check_schema_version(document);

  ParsedManifest manifest;
  const std::string_view media_type = resolve_media_type(document, content_type);
  manifest.media_type = std::string(media_type);
  manifest.kind = kind_of(media_type);

  if (manifest.is_index()) {
    append_descriptor_array(document, "manifests", manifest.manifests);
  } else {
    const json* config = member(document, "config");
    if (!config) fail({}, "config", "required descriptor is missing");
    manifest.blobs.push_back(parse_descriptor(*config, Where{"config"}));
    manifest.blobs.back().external = false;  // a client needs the config from this registry, urls or not
    append_descriptor_array(document, "layers", manifest.blobs);  // may be empty (artifacts, scratch images)
  }

  // subject, artifactType and annotations belong to the OCI schemas. Docker schema 2 has none of them, so in a Docker
  // manifest they are unknown fields, ignored like every unknown field.
  const bool oci = manifest.kind == ManifestKind::OciImage || manifest.kind == ManifestKind::OciIndex;
  if (oci) {
    if (const json* subject = member(document, "subject"))
      manifest.subject = parse_descriptor(*subject, Where{"subject"});
    if (const std::string* artifact_type = optional_string(document, {}, "artifactType"))
      manifest.artifact_type = *artifact_type;
    manifest.annotations = optional_annotations(document, {});
  }
  // Referrers rule: an image manifest without artifactType is reported with its config's media type; an index
  // without one has none.
  if (manifest.artifact_type.empty() && !manifest.is_index())
    manifest.artifact_type = manifest.blobs.front().media_type;
  return manifest;
}

}  // namespace outpost::oci
