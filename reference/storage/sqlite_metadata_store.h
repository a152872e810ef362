#pragma once
// Metadata in SQLite (metadata.db): repositories, blob links, manifests with their references, tags. Multi-row changes
// run in one transaction, so a crash leaves a manifest either fully recorded (row, references, link, tag) or absent.
#include <memory>

#include "reference/storage/sqlite.h"
#include "reference/storage/storage.h"

namespace outpost::storage {

// Thread safety: every call holds the shared connection's mutex for its whole duration (see SharedConnection).
class SqliteMetadataStore final : public MetadataStore {
 public:
  // Creates the tables it owns when they do not exist. `clock` (link times) must outlive the store.
  SqliteMetadataStore(std::shared_ptr<sqlite::SharedConnection> database, const Clock& clock);

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
  // Helpers run with the mutex held (and, for writes, inside the caller's transaction).
  void add_repository(std::string_view repository);
  void upsert_link(std::string_view repository, const Digest& digest, uint64_t size);
  std::vector<Digest> references_of(std::string_view repository, const Digest& manifest);

  std::shared_ptr<sqlite::SharedConnection> database_;
  sqlite::Connection& db_;
  const Clock& clock_;
};

}  // namespace outpost::storage
