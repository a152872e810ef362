#pragma once
// Moving content between a connected registry and its parent over the OCI Distribution API (SPEC 5.1, 5.7, 5.8):
//  - down: a manifest with everything it references (index children first, then blobs, a few at once), each blob
//    verified against its digest and durable before it becomes visible: a large one streamed into an upload session
//    and resumed with Range after a cut (the node's own restart included: the sync store keeps which session holds
//    it), a small one (up to 1 MiB) fetched into memory and stored in one write; the manifest is committed last, then
//    the tag, so a reader never sees a tag whose content is missing. A full resync
//    pulls a few tags at once; a blob wanted by two of them at the same time is fetched once;
//  - up: one journal entry at a time, blobs first (skipped when the parent has them: idempotent by digest), then the
//    manifest by digest, then the tag, unless the parent changed that tag since this node last saw it (SPEC 5.7: the
//    parent's value wins; ours stays reachable by digest).
// Everything local goes straight to this node's storage, not through its own HTTP API: these are not client changes,
// so they are not journalled again (no ping-pong), but they are reported through `applied` so this node's own
// children hear of them.
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/common/clock.h"
#include "reference/common/task.h"
#include "reference/oci/content_change.h"
#include "reference/oci/manifest.h"
#include "reference/storage/storage.h"
#include "reference/sync/parent_link.h"
#include "reference/sync/sync_store.h"

namespace outpost::sync {

struct ContentCounters {
  uint64_t manifests_down = 0, blobs_down = 0, manifests_up = 0, blobs_up = 0, deletes_down = 0, deletes_up = 0;
  uint64_t conflicts = 0;  // SPEC 5.7: tags where the parent's value won
  // Exchanges of push-ups that the parent answered without turning them down (no 5xx, 429, 401, 403): how far a
  // failed push-up got (attempt_progress.h). Only the push loop pushes, so these are its own.
  uint64_t push_answers = 0;
};

class ContentSync {
 public:
  ContentSync(ParentLink& link, storage::Storage& storage, SyncStore& store,
              std::function<void(const oci::ContentChange&)> applied);

  // Whether pull_manifest points the parent's tag at its manifest over a client's move of the tag here that still
  // waits to go up.
  enum class OverMovesHere {
    No,   // the parent's news: the client's push settles both moves above (SPEC 5.7), so its value stays here
    Yes,  // the parent's value won a conflict the push loop is settling; a later move here settles against it
  };
  // Makes `repository` hold manifest `digest` with everything it references, then points `tag` at it when given.
  // With `repair`, a manifest held here is fetched again too if its bytes are damaged or any part it names is missing
  // (a full resync found them damaged, keeping the manifest for a push that waits to go up).
  Task<void> pull_manifest(std::string repository, oci::Digest digest, std::optional<std::string> tag,
                           bool repair = false, OverMovesHere over_moves = OverMovesHere::No);
  // Applies one message from the parent (a manifest, a delete, an untag).
  Task<void> apply(oci::ContentChange change);
  // Pushes one journal entry to the parent; returns once the parent holds it (or it no longer applies).
  Task<void> push(JournalEntry entry);
  // A change the last push() dropped because it can never go up (an index whose manifest a client deleted here before
  // it went up, and which the parent does not hold): what stays here only, for the node to report.
  struct DroppedPush {
    std::string repository;
    oci::Digest digest;
    std::string why;
  };
  // Taken once: what the last push() dropped, if anything.
  std::optional<DroppedPush> take_dropped() { return std::exchange(dropped_, std::nullopt); }
  // A local change of `tag` (journal entry `entry`) that cannot go up as it was (its manifest deleted here first, or
  // the parent moved the tag meanwhile): the parent's value `theirs` wins (SPEC 5.7), here and as what this node last
  // saw above; unless a later journal entry changes the tag too, which then settles it itself.
  Task<void> take_parent_tag(std::string repository, std::string tag, std::optional<oci::Digest> theirs, int64_t entry);
  // A change of a tag here that lost to the parent's value (SPEC 5.7): counted, and logged with both values (`ours`:
  // a digest, "(untagged)", or "(removed)").
  void count_conflict(const std::string& repository, const std::string& tag, const std::string& ours,
                      const std::optional<oci::Digest>& theirs);
  // The parent's value of a tag now (HEAD), or nothing.
  Task<std::optional<oci::Digest>> parent_value(std::string repository, std::string tag);
  // Whether a journal entry after id `after` (0: any) matches, read page by page, stopping at the first match.
  // `read_to`, if given, is left at the id of the last entry read.
  bool any_pending_after(int64_t after, const std::function<bool(const oci::ContentChange&)>& matches,
                         int64_t* read_to = nullptr);
  // Whether a journal entry after `after` changes this tag.
  bool changed_later(const std::string& repository, const std::string& tag, int64_t after,
                     int64_t* read_to = nullptr);
  // SPEC 5.5, 2.11: compares this node's repositories matching `patterns` with the parent's `inventory` (the gateway's
  // answer) and repairs every difference: missing or moved tags are pulled; tags the parent no longer has are
  // removed (ReadOnly; on a ReadWrite node only when no journal entry still has to push them); with `prune_repositories`
  // (ReadOnly, SPEC 2.8) local repositories outside `patterns` are emptied too. Manifests already held are checked
  // With `verify` (an operator's `resync`, SPEC 2.11), every held manifest and blob is checked against its digest and
  // damaged ones are fetched again.
  Task<void> full_resync(nlohmann::json inventory, std::vector<std::string> patterns, bool read_only, bool verify);

  const ContentCounters& counters() const { return counters_; }

 private:
  // `size` is the descriptor's: it picks the path (small blobs in memory) and bounds what a small download may be.
  // `link_held`: a blob already stored here for another repository is linked to this one without a transfer (the
  // parent's manifest vouches that this repository may read it).
  Task<void> ensure_blob(std::string repository, oci::Digest digest, uint64_t size, bool link_held = true);
  // ensure_blob for a layer with urls, which the parent need not hold.
  Task<void> ensure_external_layer(std::string repository, oci::Descriptor layer);
  Task<void> download_small_blob(std::string repository, oci::Digest digest, uint64_t size);
  Task<void> download_blob(std::string repository, oci::Digest digest);
  struct ParentTag {
    std::string repository, tag;
    oci::Digest digest;
    bool repair = false;  // the manifest held here was found damaged: fetched again unless whole (pull_manifest)
  };
  Task<void> resync_tag(ParentTag tag);  // one tag of a full resync: pull it, remember the parent's value
  Task<void> resync_untagged(ParentTag manifest);  // a manifest the parent holds under no tag (`tag` empty): pull it
  Task<void> push_manifest(std::string repository, oci::Digest digest);
  // This node's stored bytes of a manifest it pushes up, checked against their digest (Rejected if they do not match).
  std::string manifest_to_push(const std::string& repository, const oci::Digest& digest);
  Task<void> push_blob(std::string repository, oci::Digest digest);
  // ParentLink::content for a push-up, counted in push_answers when answered.
  Task<http::ClientResponse> push_exchange(http::Method method, std::string target, http::Headers headers,
                                           std::unique_ptr<http::BodySource> body);
  // Local removals (a message from above, or a resync).
  void delete_manifest_here(const std::string& repository, const oci::Digest& digest);
  void delete_tag_here(const std::string& repository, const std::string& tag);
  // Whether a push made here and not yet above names `digest`: its manifest, or one an index it pushes names.
  // Of the entries after `after` only (a push's own entry is looked up whatever its place); `read_to` is left at the
  // last entry read.
  bool named_by_pending_push(const std::string& repository, const oci::Digest& digest, int64_t after,
                             int64_t& read_to);
  // Whether a push after `after` makes `digest`, or an index that names it (directly, or through an index it names).
  bool pending_index_names(const std::string& repository, const oci::Digest& digest, int64_t after,
                           int64_t& read_to);
  // The tags of `repository` that match, listed page by page before any is changed (the listing pages by name).
  std::vector<std::string> tags_where(const std::string& repository,
                                      const std::function<bool(const std::string&)>& matches);
  // The parent deleted `digest`, which a push made here and not yet above names again: the manifest stays for that
  // push to take up, and only the tags here that point at it and that nothing here changed since go, as they went above.
  void keep_pushed_manifest_deleted_above(const std::string& repository, const oci::Digest& digest);
  // After the push of entry `id`: a manifest it kept from a parent's delete (above) that the parent no longer has,
  // its push having landed, was deleted above after that push; unless a later push here names it again, that delete,
  // the newer, is applied here too. `unpushed_tag`: the entry's tag, when its step is still to come (not asked about).
  Task<void> settle_kept_manifest(std::string repository, oci::Digest digest, int64_t id,
                                  std::optional<std::string> unpushed_tag = std::nullopt);
  // The same for every manifest of `repository` kept for a push, once its entry `id` is done.
  Task<void> settle_kept_in(std::string repository, int64_t id);
  // The parent's value `digest` of `tag` (news, or a full resync's listing), pulled or not, taken here unless a change
  // of the tag waits to go up: the tag removed here when the manifest is gone above or a client deleted it here
  // (`deleted_here`), and what the parent has recorded.
  void take_parents_value_of_tag(const std::string& repository, const std::string& tag, const oci::Digest& digest,
                                 bool gone_above, bool deleted_here);
  // The parent's news of a tag whose change here waits to go up came down.
  void note_news_of_pending_tag(const std::string& repository, const std::string& tag);
  // After entry `id`'s push, if such news came down since the tag's last push: the parent's value taken, as it is now.
  Task<void> settle_tag_news(std::string repository, std::string tag, int64_t id);
  // A TagDeleted entry's untag above (SPEC 5.7: only what this node untagged; the parent's move wins).
  Task<void> push_untag(JournalEntry entry);
  // The digests of `repository` that journal entries after `after` push or name (through indexes, at any depth; the
  // parts they name too); `read_to`, when given, is left at the last entry read.
  std::set<std::string> named_after(const std::string& repository, int64_t after, int64_t* read_to = nullptr);
  // A ManifestPut entry's two steps. The manifest and what it names go up; false if that ended the entry (dropped,
  // or deleted here, its tag then settled with the parent's value).
  Task<bool> push_entry_manifest(JournalEntry entry);
  // Then its tag moves above, if the parent's value is still what this node last saw (SPEC 5.7).
  Task<void> push_entry_tag(JournalEntry entry);
  // Drops `digest` from `repository` if it or anything it references is damaged; true if it found damage. A manifest
  // a push here still has to take up keeps its record, bytes and tags (the client's), and awaits its repair
  // (awaiting_repair_): the resync fetches it again (ParentTag::repair).
  bool drop_if_damaged(const std::string& repository, const oci::Digest& digest);
  // Are the bytes of `record` (checked against its digest) and of every part it names held here? (A damaged layer was
  // dropped by drop_if_damaged: its presence is enough.)
  bool whole_here(const std::string& repository, const storage::ManifestRecord& record);
  // Is the stored copy of `digest` whole and right? (Resync repairs a tampered store, SPEC 2.11.)
  bool intact(const oci::Digest& digest);

  ParentLink& link_;
  storage::Storage& storage_;
  SyncStore& store_;
  std::function<void(const oci::ContentChange&)> applied_;
  struct BlobInFlight;
  std::map<std::string, std::shared_ptr<BlobInFlight>> blobs_in_flight_;  // digest -> the fetch in progress
  // Manifests a parent's delete found still named by a push here, kept for it (repository, digest), each with the
  // number of the parent's last news of it, a delete or a push above (deletes_kept_: news that comes while the
  // settling asks is seen by the number moving, also after the manifest was settled and kept again): in memory only,
  // since a node that restarts pushes them up again anyway.
  struct KeptForPush {
    uint64_t news = 0;
    // Its tags here that a delete left to their push, waiting to go up then: asked about once the manifest is found
    // there (settle_kept_manifest), since that delete may have taken them above after their push.
    std::set<std::string> tags;
  };
  std::map<std::pair<std::string, std::string>, KeptForPush> kept_for_push_;
  uint64_t deletes_kept_ = 0;
  // Tags (repository, tag) whose change here waited to go up when the parent's news of them came down, the news left
  // to that change's push, each with the number of the last such news (tag_news_): once the push is done, the parent
  // is asked again (settle_tag_news), which forgets it. In memory only: a node that restarts pushes the change again,
  // and its tag step then meets the parent's value as any conflict.
  std::map<std::pair<std::string, std::string>, uint64_t> news_of_pending_tags_;
  uint64_t tag_news_ = 0;
  // Manifests (repository, digest) a verifying resync found damaged and kept for a push, until found whole: each pull
  // of one, or of an index fetched that names one, checks it, and fetches it again (pull_manifest), so that a repair
  // the parent could not serve then is made by its next news. In memory: after a restart, such a manifest is a
  // damaged push like any other, which the client's push of it again repairs.
  std::set<std::pair<std::string, std::string>> awaiting_repair_;
  // ManifestPut entries (by id) whose push has begun and not finished, and how far it went: their next attempt
  // goes on from there (push()). Also TagDeleted entries whose untag step is done, settle_tag_news still to come. Several at once: a settling refused holds its repository while other repositories'
  // entries go up. A journal never gives an id twice. In memory: a node that restarts pushes them again.
  struct UnfinishedPush {
    bool tagged = false;  // the tag step is done (or there is none: the manifest's step ended the entry)
    std::optional<DroppedPush> dropped;  // what the manifest's step dropped, told again by each attempt
  };
  std::map<int64_t, UnfinishedPush> unfinished_pushes_;
  std::optional<DroppedPush> dropped_;  // by the push under way (take_dropped)
  ContentCounters counters_;
};

}  // namespace outpost::sync
