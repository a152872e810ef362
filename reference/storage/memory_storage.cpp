// open_memory_storage: the simulator's binding of the storage seam. Everything lives in sorted maps, so a simulated
// node's storage behaves the same on every run of a seed. It outlives a simulated process crash only if the simulator
// keeps the Storage object: that choice (what "disk" survives) belongs to the simulator, not to the store.
#include "reference/storage/memory_blob_store.h"
#include "reference/storage/memory_metadata_store.h"
#include "reference/storage/memory_upload_store.h"
#include "reference/storage/storage.h"

namespace outpost::storage {

std::unique_ptr<Storage> open_memory_storage(const Clock& clock, Random& random) {
  auto storage = std::make_unique<Storage>();
  auto blobs = std::make_unique<MemoryBlobStore>();
  storage->uploads = std::make_unique<MemoryUploadStore>(*blobs, clock, random);
  storage->blobs = std::move(blobs);
  storage->metadata = std::make_unique<MemoryMetadataStore>(clock);
  return storage;
}

}  // namespace outpost::storage
