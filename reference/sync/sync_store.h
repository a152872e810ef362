#pragma once
// What a connected registry's sync agent must not forget across a crash (SPEC 5.6, 5.7):
//  - the push-up journal: every manifest and tag change its clients made, in order, until its parent acknowledged it;
//  - its view of the parent's tags: what each tag pointed at when this node last synced it, so a tag changed on both
//    sides is recognised as a conflict (the parent's value wins) instead of being pushed over;
//  - its blob downloads in progress: the upload session holding what has arrived of each, so a download cut by a
//    crash or a restart resumes with Range from what the session kept (SPEC 5.8) instead of starting over.
// Live nodes keep it in <data>/sync.db (SQLite, synchronous=FULL: an acknowledged push is journalled before the client
// hears 201); simulated nodes in memory. Safe to call from several threads (server threads append, the agent reads).
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/oci/content_change.h"

namespace outpost::sync {

struct JournalEntry {
  int64_t id = 0;  // increasing in append order
  oci::ContentChange change;
};

class SyncStore {
 public:
  virtual ~SyncStore() = default;
  virtual int64_t append(const oci::ContentChange& change) = 0;     // durable when it returns
  // Oldest first, from the first entry after id `after` (0: from the start).
  virtual std::vector<JournalEntry> pending(size_t limit, int64_t after = 0) = 0;
  virtual void acknowledge(int64_t id) = 0;                         // the parent has it: forget the entry
  virtual size_t pending_count() = 0;
  // Every digest the journal still has to push (garbage collection keeps them, SPEC 5.10).
  virtual std::vector<oci::Digest> pending_digests() = 0;
  // Whether a change of this tag made here is still waiting to go up: the parent's news about the tag is then a
  // conflict to settle when it does (SPEC 5.7), not a value to take as what this node last saw above.
  virtual bool tag_pending(std::string_view repository, std::string_view tag) = 0;
  // Whether a delete of this manifest made here is still waiting to go up: the parent's news of the manifest (its
  // echo of this node's own push, a push there since) must not bring it back here before the delete settles it.
  virtual bool delete_pending(std::string_view repository, const oci::Digest& digest) = 0;
  // Whether a push of this manifest made here (with or without a tag) is still waiting to go up: an acknowledged
  // write (SPEC 5.6) that the parent's older delete of the same manifest must not undo here before it goes up.
  virtual bool push_pending(std::string_view repository, const oci::Digest& digest) = 0;

  virtual std::optional<oci::Digest> parent_tag(std::string_view repository, std::string_view tag) = 0;
  // Nothing: the parent no longer has the tag.
  virtual void set_parent_tag(std::string_view repository, std::string_view tag,
                              const std::optional<oci::Digest>& digest) = 0;
  // The parent no longer has the manifest `digest` (this node's delete of it went up), nor any tag that pointed at it:
  // every tag last seen above at `digest` is forgotten. Kept, the next push of such a tag here read the parent's
  // missing tag as the parent's own removal, a conflict the parent's value won (SPEC 5.7), and the tag never went up.
  virtual void forget_parent_tags_at(std::string_view repository, const oci::Digest& digest) = 0;
  // The parent deleted the manifest `digest`, and its tags with it: the same, but a tag whose change made here is still
  // waiting to go up keeps what this node last saw, so that change meets the parent's removal as the conflict it is
  // (SPEC 5.7), as a parent's untag of such a tag leaves it.
  virtual void forget_parent_tags_deleted_above(std::string_view repository, const oci::Digest& digest) = 0;

  // The upload session a download of `digest` for `repository` writes into, while it is in progress. Remembered once
  // the session exists and forgotten (nullopt) once the blob is stored or the session dropped. Kept only in memory, a
  // node killed or restarted with most of a 3 GB layer downloaded asked for all of it again, and left the old session
  // on its disk until garbage collection's grace ran out. By repository too: a download of the same blob for another
  // repository that fails (a 404 there) must not drop this one's session.
  virtual std::optional<std::string> partial_download(std::string_view repository, const oci::Digest& digest) = 0;
  virtual void set_partial_download(std::string_view repository, const oci::Digest& digest,
                                    const std::optional<std::string>& upload_id) = 0;
  struct PartialDownload {
    std::string repository;
    oci::Digest digest;
    std::string upload;
  };
  // Every download remembered, by repository then digest: garbage collection forgets those whose session is gone
  // (removed after a day without a byte, or a crash between a commit and forgetting it).
  virtual std::vector<PartialDownload> partial_downloads() = 0;
  // Forgets the download of `digest` for `repository` only while it still names `upload`: a download that started
  // over in a new session since the caller listed it keeps its new one. Returns whether it was forgotten.
  virtual bool forget_partial_download(std::string_view repository, const oci::Digest& digest,
                                       std::string_view upload) = 0;

  // The operator's resync (SPEC 2.11) this node last ran to its end: the `resync` value of its configuration then (0:
  // none). Kept here because the configuration is saved as soon as it arrives: a bump read outside the sync window
  // and a restart before the window opened was taken as done, and the resync that followed checked no byte.
  virtual uint64_t resync_done() = 0;
  virtual void set_resync_done(uint64_t value) = 0;
};

std::unique_ptr<SyncStore> open_memory_sync_store();
// Opens (creating) <directory>/sync.db. Throws storage::StorageError.
std::unique_ptr<SyncStore> open_sqlite_sync_store(const std::filesystem::path& directory);

}  // namespace outpost::sync
