#include "reference/storage/space_budget.h"

#include <algorithm>
#include <string>

namespace outpost::storage {

// ---------------------------------------------------------------------------------------------------------------
// SpaceLimit

SpaceLimit::SpaceLimit(std::optional<uint64_t> capacity, uint64_t used) : capacity_(capacity), used_(used) {}

void SpaceLimit::claim(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  if (full_) throw OutOfSpace("no space left on the storage device");
  if (capacity_ && (used_ >= *capacity_ || bytes > *capacity_ - used_))
    throw OutOfSpace("storage capacity reached: " + std::to_string(used_) + " of " + std::to_string(*capacity_) +
                     " bytes used, " + std::to_string(bytes) + " more do not fit");
  used_ += bytes;
}

void SpaceLimit::release(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  used_ -= std::min(bytes, used_);
}

void SpaceLimit::set_capacity(std::optional<uint64_t> capacity) {
  std::lock_guard lock(mutex_);
  capacity_ = capacity;
}

void SpaceLimit::set_full(bool full) {
  std::lock_guard lock(mutex_);
  full_ = full;
}

bool SpaceLimit::full() const {
  std::lock_guard lock(mutex_);
  return full_;
}

uint64_t SpaceLimit::used() const {
  std::lock_guard lock(mutex_);
  return used_;
}

// ---------------------------------------------------------------------------------------------------------------
// The wrapped stores: each owns the store it wraps and asks the budget before writing.

namespace {

class BudgetedBlobStore final : public BlobStore {
 public:
  BudgetedBlobStore(std::unique_ptr<BlobStore> inner, SpaceBudget& budget)
      : inner_(std::move(inner)), budget_(budget) {}

  std::optional<uint64_t> size_of(const Digest& digest) override { return inner_->size_of(digest); }
  std::unique_ptr<BlobReader> open(const Digest& digest) override { return inner_->open(digest); }
  std::vector<BlobInfo> list() override { return inner_->list(); }

  BlobInfo put(std::string_view bytes) override {
    // Content already stored takes no more space (put is idempotent): hashing it first costs a second pass over
    // bytes that are small by contract (manifests, small blobs).
    if (inner_->size_of(oci::digest_of(bytes))) return inner_->put(bytes);
    budget_.claim(bytes.size());
    try {
      return inner_->put(bytes);
    } catch (...) {
      budget_.release(bytes.size());
      throw;
    }
  }

  bool remove(const Digest& digest) override {
    const auto size = inner_->size_of(digest);
    const bool removed = inner_->remove(digest);
    if (removed && size) budget_.release(*size);
    return removed;
  }

  BlobStore& inner() { return *inner_; }

 private:
  std::unique_ptr<BlobStore> inner_;
  SpaceBudget& budget_;
};

class BudgetedUploadWriter final : public UploadWriter {
 public:
  BudgetedUploadWriter(std::unique_ptr<UploadWriter> inner, SpaceBudget& budget)
      : inner_(std::move(inner)), budget_(budget) {}

  void write(std::string_view bytes) override {
    budget_.claim(bytes.size());
    try {
      inner_->write(bytes);
    } catch (...) {
      budget_.release(bytes.size());
      throw;
    }
    written_ += bytes.size();
  }
  uint64_t size() const override { return inner_->size(); }
  void close() override { inner_->close(); }
  void discard_since_open() override {
    inner_->discard_since_open();
    budget_.release(written_);
    written_ = 0;
  }

 private:
  std::unique_ptr<UploadWriter> inner_;
  SpaceBudget& budget_;
  uint64_t written_ = 0;  // claimed by this writer's writes
};

class BudgetedUploadStore final : public UploadStore {
 public:
  // `blobs` is the unwrapped blob store the uploads commit into (it tells whether a commit stored anything new).
  BudgetedUploadStore(std::unique_ptr<UploadStore> inner, BlobStore& blobs, SpaceBudget& budget)
      : inner_(std::move(inner)), blobs_(blobs), budget_(budget) {}

  UploadState create(std::string_view repository) override {
    budget_.claim(0);
    return inner_->create(repository);
  }
  std::optional<UploadState> get(std::string_view id) override { return inner_->get(id); }
  std::unique_ptr<UploadWriter> open_writer(std::string_view id) override {
    return std::make_unique<BudgetedUploadWriter>(inner_->open_writer(id), budget_);
  }
  std::vector<UploadState> list() override { return inner_->list(); }

  BlobInfo commit(std::string_view id, const Digest& expected) override {
    // The session's bytes were claimed as they arrived; a commit moves them into the blob store, unless the blob is
    // there already, in which case they are dropped and their space comes back.
    const bool stored_before = blobs_.size_of(expected).has_value();
    const auto session = inner_->get(id);
    BlobInfo info = inner_->commit(id, expected);
    if (stored_before && session) budget_.release(session->size);
    return info;
  }

  bool cancel(std::string_view id) override {
    return releasing(id, [&] { return inner_->cancel(id); });
  }
  bool cancel_idle(std::string_view id, WallTime before) override {
    return releasing(id, [&] { return inner_->cancel_idle(id, before); });
  }

 private:
  // A cancelled session's bytes come back to the budget.
  template <typename Cancel>
  bool releasing(std::string_view id, Cancel cancel) {
    const auto session = inner_->get(id);
    const bool cancelled = cancel();
    if (cancelled && session) budget_.release(session->size);
    return cancelled;
  }

  std::unique_ptr<UploadStore> inner_;
  BlobStore& blobs_;
  SpaceBudget& budget_;
};

class BudgetedMetadataStore final : public MetadataStore {
 public:
  BudgetedMetadataStore(std::unique_ptr<MetadataStore> inner, SpaceBudget& budget)
      : inner_(std::move(inner)), budget_(budget) {}

  std::vector<std::string> repositories(std::string_view after, size_t limit) override {
    return inner_->repositories(after, limit);
  }
  bool repository_exists(std::string_view repository) override { return inner_->repository_exists(repository); }

  void link_blob(std::string_view repository, const BlobInfo& blob) override {
    budget_.claim(0);
    inner_->link_blob(repository, blob);
  }
  bool blob_linked(std::string_view repository, const Digest& digest) override {
    return inner_->blob_linked(repository, digest);
  }
  std::optional<uint64_t> linked_size(std::string_view repository, const Digest& digest) override {
    return inner_->linked_size(repository, digest);
  }
  bool unlink_blob(std::string_view repository, const Digest& digest) override {
    return inner_->unlink_blob(repository, digest);
  }
  std::vector<std::string> repositories_linking(const Digest& digest) override {
    return inner_->repositories_linking(digest);
  }

  void put_manifest(std::string_view repository, const ManifestRecord& manifest,
                    const std::optional<std::string>& tag) override {
    budget_.claim(0);
    inner_->put_manifest(repository, manifest, tag);
  }
  std::optional<ManifestRecord> manifest(std::string_view repository, const Digest& digest) override {
    return inner_->manifest(repository, digest);
  }
  bool has_manifest(std::string_view repository, const Digest& digest) override {
    return inner_->has_manifest(repository, digest);
  }
  bool delete_manifest(std::string_view repository, const Digest& digest) override {
    return inner_->delete_manifest(repository, digest);
  }

  std::optional<Digest> resolve_tag(std::string_view repository, std::string_view tag) override {
    return inner_->resolve_tag(repository, tag);
  }
  std::vector<std::string> tags(std::string_view repository, std::string_view after, size_t limit) override {
    return inner_->tags(repository, after, limit);
  }
  bool delete_tag(std::string_view repository, std::string_view tag) override {
    return inner_->delete_tag(repository, tag);
  }

  std::vector<ManifestRecord> referrers(std::string_view repository, const Digest& subject) override {
    return inner_->referrers(repository, subject);
  }
  std::vector<Digest> referenced_digests() override { return inner_->referenced_digests(); }
  std::vector<Digest> manifest_digests(std::string_view repository) override {
    return inner_->manifest_digests(repository);
  }
  std::vector<Digest> linked_since(WallTime since) override { return inner_->linked_since(since); }
  void forget_blob(const Digest& digest) override { inner_->forget_blob(digest); }

 private:
  std::unique_ptr<MetadataStore> inner_;
  SpaceBudget& budget_;
};

}  // namespace

std::unique_ptr<Storage> with_space_budget(std::unique_ptr<Storage> inner, SpaceBudget& budget) {
  auto outer = std::make_unique<Storage>();
  auto blobs = std::make_unique<BudgetedBlobStore>(std::move(inner->blobs), budget);
  // Storage destroys metadata, then uploads, then blobs: the upload wrapper's reference to the blob store it commits
  // into stays valid for its whole life.
  outer->uploads = std::make_unique<BudgetedUploadStore>(std::move(inner->uploads), blobs->inner(), budget);
  outer->metadata = std::make_unique<BudgetedMetadataStore>(std::move(inner->metadata), budget);
  outer->blobs = std::move(blobs);
  outer->reserve = inner->reserve;
  return outer;
}

uint64_t stored_bytes(Storage& storage) {
  uint64_t total = 0;
  for (const BlobInfo& blob : storage.blobs->list()) total += blob.size;
  for (const UploadState& upload : storage.uploads->list()) total += upload.size;
  return total;
}

}  // namespace outpost::storage
