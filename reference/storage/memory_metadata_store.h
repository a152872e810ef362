#pragma once
// Metadata in memory for the simulator: sorted std::maps behind one mutex, so every listing has the same order as the
// SQLite store's (bytewise; tags case-insensitively, tag_order.h) and no result depends on hashing or pointer values.
#include <map>
#include <mutex>
#include <set>
#include <string>

#include "reference/storage/storage.h"
#include "reference/storage/tag_order.h"

namespace outpost::storage {

class MemoryMetadataStore final : public MetadataStore {
 public:
  explicit MemoryMetadataStore(const Clock& clock) : clock_(clock) {}  // `clock` (link times) must outlive the store

  std::vector<std::string> repositories(std::string_view after, size_t limit) override;
  bool repository_exists(std::string_view repository) override;

  void link_blob(std::string_view repository, const BlobInfo& blob) override;
  bool blob_linked(std::string_view repository, const Digest& digest) override;
  std::optional<uint64_t> linked_size(std::string_view repository, const Digest& digest) override;
  bool unlink_blob(std::string_view repository, const Digest& digest) override;
  std::vector<std::string> repositories_linking(const Digest& digest) override;

  void put_manifest(std::string_view repository, const ManifestRecord& manifest,
                    const std::optional<std::string>& tag) override;
  std::optional<ManifestRecord> manifest(std::string_view repository, const Digest& digest) override;
  bool has_manifest(std::string_view repository, const Digest& digest) override;
  bool delete_manifest(std::string_view repository, const Digest& digest) override;

  std::optional<Digest> resolve_tag(std::string_view repository, std::string_view tag) override;
  std::vector<std::string> tags(std::string_view repository, std::string_view after, size_t limit) override;
  bool delete_tag(std::string_view repository, std::string_view tag) override;

  std::vector<ManifestRecord> referrers(std::string_view repository, const Digest& subject) override;

  std::vector<Digest> referenced_digests() override;
  std::vector<Digest> manifest_digests(std::string_view repository) override;
  std::vector<Digest> linked_since(WallTime since) override;
  void forget_blob(const Digest& digest) override;

 private:
  struct Link {
    uint64_t size = 0;
    WallTime linked_at{};
  };
  struct Repository {
    std::map<Digest, Link> links;
    std::map<Digest, ManifestRecord> manifests;
    std::map<std::string, Digest, TagOrder> tags;  // in listing order (tag_order.h)
  };
  Repository& repository_for_write(std::string_view name);  // creates it; mutex held
  Repository* find(std::string_view name);                  // nullptr when absent; mutex held

  const Clock& clock_;
  std::mutex mutex_;
  // A repository, once created, stays listed even when emptied, like a row in the SQLite `repositories` table.
  std::map<std::string, Repository, std::less<>> repositories_;
};

}  // namespace outpost::storage
