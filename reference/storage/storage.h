#pragma once
// Seam: storage. A node keeps blobs (content-addressed bytes), upload sessions (bytes on their way to becoming blobs)
// and metadata (repositories, blob links, manifests, tags, referrers). Live nodes use the disk implementation (files +
// SQLite); the simulator uses the memory implementation. Registry logic sees only these interfaces.
//
// Durability contract of every implementation: when a mutating call returns, its effect survives a crash of the
// process; a call interrupted by a crash has no visible effect (blobs appear whole or not at all).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "reference/common/clock.h"
#include "reference/common/random.h"
#include "reference/oci/digest.h"

namespace outpost::storage {

using oci::Digest;

struct BlobInfo {
  Digest digest;
  uint64_t size = 0;
};

// Thrown when the disk or database fails underneath (full disk, I/O error). The registry answers 500 and nothing
// already stored changes.
class StorageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A write that does not fit: the disk is full (ENOSPC, EDQUOT, SQLITE_FULL) or the storage reached its budget
// (space_budget.h). A StorageError, so every caller that copes with a failing disk copes with this too; the registry
// answers it 507 Insufficient Storage.
class OutOfSpace : public StorageError {
 public:
  using StorageError::StorageError;
};

// Random-access reader of one stored blob. Readers are independent; each may be used from its own thread.
class BlobReader {
 public:
  virtual ~BlobReader() = default;
  virtual uint64_t size() const = 0;
  // Reads up to out.size() bytes at `offset`; returns fewer only at the end of the blob.
  virtual size_t read_at(uint64_t offset, std::span<char> out) = 0;
};

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  virtual std::optional<uint64_t> size_of(const Digest& digest) = 0;
  virtual std::unique_ptr<BlobReader> open(const Digest& digest) = 0;  // nullptr when absent
  // Stores small content (manifests, monolithic uploads) under its sha256 digest; idempotent.
  virtual BlobInfo put(std::string_view bytes) = 0;
  virtual bool remove(const Digest& digest) = 0;
  virtual std::vector<BlobInfo> list() = 0;  // sorted by digest, so callers never depend on directory order
};

struct UploadState {
  std::string id;
  std::string repository;
  uint64_t size = 0;  // bytes received so far: the next chunk must start here
  WallTime started{};
  // When bytes last arrived (the start until then): garbage collection's upload grace runs from here, so a session
  // that still grows is kept however long ago it began (a 3 GB layer downloading over a link that keeps failing).
  // Both stores keep it to the hour (kWrittenResolution): on disk a write then costs no database commit of its own,
  // and a simulated run collects the same sessions on either.
  WallTime written{};
};

// How stale UploadState::written may be.
inline constexpr Nanoseconds kWrittenResolution = std::chrono::hours(1);

// Thrown for an upload id the store does not know (never created, committed or cancelled).
class UnknownUpload : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Thrown by UploadStore::commit when the content does not hash to the digest the client named.
class DigestMismatch : public std::runtime_error {
 public:
  DigestMismatch(const Digest& expected, Digest actual)
      : std::runtime_error("content digest " + actual.str() + " does not match " + expected.str()),
        actual_(std::move(actual)) {}
  const Digest& actual() const { return actual_; }

 private:
  Digest actual_;
};

// Appends to one upload session. One writer per session at a time; its bytes are hashed as they arrive, so finishing
// a 1 GiB upload does not read it back.
class UploadWriter {
 public:
  virtual ~UploadWriter() = default;
  virtual void write(std::string_view bytes) = 0;
  virtual uint64_t size() const = 0;  // session size including what this writer wrote
  // Makes written bytes visible to get()/commit(). Called once the request body ended; not a durability point.
  virtual void close() = 0;
  // Takes back every byte this writer wrote, the session left as it was when the writer opened: a request whose body
  // could not be written whole (a full disk) leaves nothing of it, so that the client's retry of the same request
  // fits. Throws when it cannot (the session ended meanwhile, an I/O error): a PATCH then keeps the part it wrote, and
  // a final PUT ends its session.
  virtual void discard_since_open() = 0;
};

// Upload session ids, in bytes of randomness (hex-encoded in the id): 128 bits, so an id cannot be guessed to hijack
// someone's session.
inline constexpr size_t kUploadIdBytes = 16;

class UploadStore {
 public:
  virtual ~UploadStore() = default;
  virtual UploadState create(std::string_view repository) = 0;  // durable: survives a restart
  virtual std::optional<UploadState> get(std::string_view id) = 0;
  virtual std::unique_ptr<UploadWriter> open_writer(std::string_view id) = 0;  // throws UnknownUpload
  // Verifies the session's bytes against `expected`, moves them into the blob store (fsync, then atomic rename) and
  // ends the session. On DigestMismatch the session stays as it was.
  virtual BlobInfo commit(std::string_view id, const Digest& expected) = 0;
  virtual bool cancel(std::string_view id) = 0;
  // As cancel, only while the session's last bytes (UploadState::written) came before `before` and no writer is open
  // on it: garbage collection decides from a listing, and a client may resume the session before it gets there (a
  // request that opened a writer and has not written yet, or writes nothing, counts as resumed).
  virtual bool cancel_idle(std::string_view id, WallTime before) = 0;
  virtual std::vector<UploadState> list() = 0;  // sorted by id
};

struct ManifestRecord {
  Digest digest;
  std::string media_type;
  uint64_t size = 0;
  std::vector<Digest> references;  // config, layers, blobs and child manifests it names
  std::optional<Digest> subject;   // OCI 1.1 `subject`
  std::string artifact_type;       // `artifactType`, or the config media type for image manifests with a subject
  std::string annotations_json;    // the manifest's `annotations` object as JSON ("" when absent)
};

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  // Repositories exist from their first blob link or manifest. Listings are sorted, start after `after`, and hold at
  // most `limit` names.
  virtual std::vector<std::string> repositories(std::string_view after, size_t limit) = 0;
  virtual bool repository_exists(std::string_view repository) = 0;

  // A repository may read (and lend by mount) only blobs linked to it (SPEC 3.6).
  virtual void link_blob(std::string_view repository, const BlobInfo& blob) = 0;
  virtual bool blob_linked(std::string_view repository, const Digest& digest) = 0;
  // The size the blob had when it was linked, or nullopt when it is not linked: a stored file of another size was
  // damaged on disk since.
  virtual std::optional<uint64_t> linked_size(std::string_view repository, const Digest& digest) = 0;
  virtual bool unlink_blob(std::string_view repository, const Digest& digest) = 0;
  // Every repository `digest` is linked to, sorted (a mount without `from` looks for one the client may read).
  virtual std::vector<std::string> repositories_linking(const Digest& digest) = 0;

  // Stores the manifest record, links its digest to the repository and, when `tag` is given, points the tag at it:
  // all in one transaction.
  virtual void put_manifest(std::string_view repository, const ManifestRecord& manifest,
                            const std::optional<std::string>& tag) = 0;
  virtual std::optional<ManifestRecord> manifest(std::string_view repository, const Digest& digest) = 0;
  // Whether manifest() would find it, without copying the record out (a store may answer it cheaper).
  virtual bool has_manifest(std::string_view repository, const Digest& digest) {
    return manifest(repository, digest).has_value();
  }
  // Removes the manifest from the repository with every tag pointing at it, and the link of its digest that
  // put_manifest made, unless another manifest there names that digest: its bytes are no longer readable through the
  // blob route, nor mountable from here (SPEC 3.6: nothing in the repository references them any more).
  virtual bool delete_manifest(std::string_view repository, const Digest& digest) = 0;

  virtual std::optional<Digest> resolve_tag(std::string_view repository, std::string_view tag) = 0;
  virtual std::vector<std::string> tags(std::string_view repository, std::string_view after, size_t limit) = 0;
  virtual bool delete_tag(std::string_view repository, std::string_view tag) = 0;

  // Every manifest's digest in `repository`, tagged or not, sorted: what a full resync compares below (SPEC 5.5).
  virtual std::vector<Digest> manifest_digests(std::string_view repository) = 0;
  // Manifests in `repository` whose subject is `subject`, sorted by digest.
  virtual std::vector<ManifestRecord> referrers(std::string_view repository, const Digest& subject) = 0;

  // Garbage collection: every digest that some manifest in some repository references, or is.
  virtual std::vector<Digest> referenced_digests() = 0;
  // Digests linked to a repository at or after `since` (recent uploads a manifest may still claim).
  virtual std::vector<Digest> linked_since(WallTime since) = 0;
  // Removes every link to `digest` (the blob is about to be deleted).
  virtual void forget_blob(const Digest& digest) = 0;
};

// One node's storage. `commit_lock` orders blob commits and manifest puts (shared) against the sweep of garbage
// collection (exclusive), so gc never deletes a blob that a concurrent push is about to reference.
class SpaceReserve;  // space_reserve.h

struct Storage {
  std::unique_ptr<BlobStore> blobs;
  std::unique_ptr<UploadStore> uploads;
  std::unique_ptr<MetadataStore> metadata;
  std::shared_mutex commit_lock;
  // Orders a client's manifest PUT, stored and told to the sync agent (journalled) as one step (shared), against the
  // agent's removals of manifests and tags its parent deleted (exclusive): a push is journalled by the time the agent
  // looks, or not stored yet. Not commit_lock, which blob commits hold while they fsync whole layers: the agent's one
  // thread waited behind every large upload. Taken after commit_lock where both are held.
  std::shared_mutex manifest_lock;
  // Room kept back for deletes on a full disk (space_reserve.h); null where there is no disk to fill (memory).
  std::shared_ptr<SpaceReserve> reserve;
};

std::unique_ptr<Storage> open_memory_storage(const Clock& clock, Random& random);
// Opens (creating if needed) a data directory: blobs/, uploads/, metadata.db. Throws StorageError. With
// `keep_reserve` (a server, gc) it also allocates the space reserve (space_reserve.h); tests and benchmarks go
// without its 8 MiB.
std::unique_ptr<Storage> open_disk_storage(const std::filesystem::path& directory, const Clock& clock, Random& random,
                                           bool keep_reserve = false);

}  // namespace outpost::storage
