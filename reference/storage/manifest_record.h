#pragma once
// The metadata record of a parsed manifest: what the registry stores when a client pushes one, and what a sync agent
// stores when it copies one from its parent, so both describe a manifest the same way, and check alike that what it
// names is here before they store it.
#include <optional>
#include <string_view>

#include "reference/oci/manifest.h"
#include "reference/storage/storage.h"

namespace outpost::storage {

ManifestRecord manifest_record(const oci::ParsedManifest& parsed, const oci::Digest& digest, uint64_t size);

// The first part `parsed` names that `repository` cannot serve, if any: a blob (but one with urls) not linked there or
// whose file is gone (a link left by garbage collection on a disk too full to record the removal reads as unknown, as
// a GET of it answers), or a child manifest not held there. Asked under `storage.commit_lock`, held until the
// manifest is stored, so that garbage collection cannot remove a part between the check and the store.
struct MissingPart {
  oci::Digest digest;
  bool manifest = false;  // a child manifest, rather than a blob
};
std::optional<MissingPart> missing_part(Storage& storage, std::string_view repository,
                                        const oci::ParsedManifest& parsed);

}  // namespace outpost::storage
