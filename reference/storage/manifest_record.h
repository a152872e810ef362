#pragma once
// The metadata record of a parsed manifest: what the registry stores when a client pushes one, and what a sync agent
// stores when it copies one from its parent, so both describe a manifest the same way.
#include <string_view>

#include "reference/oci/manifest.h"
#include "reference/storage/storage.h"

namespace outpost::storage {

ManifestRecord manifest_record(const oci::ParsedManifest& parsed, const oci::Digest& digest, uint64_t size);

}  // namespace outpost::storage
