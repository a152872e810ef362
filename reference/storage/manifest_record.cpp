#include "reference/storage/manifest_record.h"

namespace outpost::storage {

ManifestRecord manifest_record(const oci::ParsedManifest& parsed, const oci::Digest& digest, uint64_t size) {
  ManifestRecord record;
  record.digest = digest;
  record.media_type = parsed.media_type;
  record.size = size;
  if (parsed.subject) record.subject = parsed.subject->digest;
  record.artifact_type = parsed.artifact_type;
  if (!parsed.annotations.is_null()) record.annotations_json = parsed.annotations.dump();
  for (const auto& blob : parsed.blobs) record.references.push_back(blob.digest);
  for (const auto& child : parsed.manifests) record.references.push_back(child.digest);
  return record;
}

std::optional<MissingPart> missing_part(Storage& storage, std::string_view repository,
                                        const oci::ParsedManifest& parsed) {
  for (const auto& blob : parsed.blobs)
    if (!blob.external &&
        !(storage.metadata->blob_linked(repository, blob.digest) && storage.blobs->size_of(blob.digest)))
      return MissingPart{blob.digest, false};
  for (const auto& child : parsed.manifests)
    if (!storage.metadata->manifest(repository, child.digest)) return MissingPart{child.digest, true};
  return std::nullopt;
}

}  // namespace outpost::storage
