#include <iterator>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <unordered_map>

#include "reference/sync/sync_store.h"

namespace outpost::sync {

namespace {
class MemorySyncStore final : public SyncStore {
 public:
  int64_t append(const oci::ContentChange& change) override {
    std::lock_guard lock(mutex_);
    const int64_t id = ++last_id_;
    journal_.emplace(id, change);
    count(change, +1);
    return id;
  }
  std::vector<JournalEntry> pending(size_t limit, int64_t after) override {
    std::lock_guard lock(mutex_);
    std::vector<JournalEntry> entries;
    for (auto it = journal_.upper_bound(after); it != journal_.end() && entries.size() < limit; ++it)
      entries.push_back({it->first, it->second});
    return entries;
  }
  void acknowledge(int64_t id) override {
    std::lock_guard lock(mutex_);
    const auto found = journal_.find(id);
    if (found == journal_.end()) return;
    count(found->second, -1);
    journal_.erase(found);
  }
  size_t pending_count() override {
    std::lock_guard lock(mutex_);
    return journal_.size();
  }
  std::vector<oci::Digest> pending_digests() override {
    std::lock_guard lock(mutex_);
    std::vector<oci::Digest> digests;
    for (const auto& [id, change] : journal_)
      if (change.kind == oci::ContentChange::Kind::ManifestPut) digests.push_back(change.digest);
    return digests;
  }
  bool tag_pending(std::string_view repository, std::string_view tag) override {
    std::lock_guard lock(mutex_);
    return pending_tags_.contains(key(repository, tag));
  }
  bool delete_pending(std::string_view repository, const oci::Digest& digest) override {
    std::lock_guard lock(mutex_);
    return pending_deletions_.contains(key(repository, digest.str()));
  }
  bool push_pending(std::string_view repository, const oci::Digest& digest) override {
    std::lock_guard lock(mutex_);
    return pending_pushes_.contains(key(repository, digest.str()));
  }
  std::optional<oci::Digest> parent_tag(std::string_view repository, std::string_view tag) override {
    std::lock_guard lock(mutex_);
    const auto found = parent_tags_.find(key(repository, tag));
    if (found == parent_tags_.end()) return std::nullopt;
    return found->second;
  }
  void set_parent_tag(std::string_view repository, std::string_view tag,
                      const std::optional<oci::Digest>& digest) override {
    std::lock_guard lock(mutex_);
    if (digest) {
      parent_tags_[key(repository, tag)] = *digest;
    } else {
      parent_tags_.erase(key(repository, tag));
    }
  }
  void forget_parent_tags_at(std::string_view repository, const oci::Digest& digest) override {
    std::lock_guard lock(mutex_);
    const std::string prefix = key(repository, "");  // "repository:": no repository name holds a ':'
    for (auto it = parent_tags_.lower_bound(prefix); it != parent_tags_.end() && it->first.starts_with(prefix);)
      it = it->second == digest ? parent_tags_.erase(it) : std::next(it);
  }
  void forget_parent_tags_deleted_above(std::string_view repository, const oci::Digest& digest) override {
    std::lock_guard lock(mutex_);
    const std::string prefix = key(repository, "");
    for (auto it = parent_tags_.lower_bound(prefix); it != parent_tags_.end() && it->first.starts_with(prefix);)
      it = it->second == digest && !pending_tags_.contains(it->first) ? parent_tags_.erase(it) : std::next(it);
  }

  uint64_t resync_done() override {
    std::lock_guard lock(mutex_);
    return resync_done_;
  }
  void set_resync_done(uint64_t value) override {
    std::lock_guard lock(mutex_);
    resync_done_ = value;
  }

  std::optional<std::string> partial_download(std::string_view repository, const oci::Digest& digest) override {
    std::lock_guard lock(mutex_);
    const auto found = partial_downloads_.find(download_key(repository, digest));
    if (found == partial_downloads_.end()) return std::nullopt;
    return found->second;
  }
  void set_partial_download(std::string_view repository, const oci::Digest& digest,
                            const std::optional<std::string>& upload_id) override {
    std::lock_guard lock(mutex_);
    if (upload_id) {
      partial_downloads_[download_key(repository, digest)] = *upload_id;
    } else {
      partial_downloads_.erase(download_key(repository, digest));
    }
  }
  std::vector<PartialDownload> partial_downloads() override {
    std::lock_guard lock(mutex_);
    std::vector<PartialDownload> downloads;
    for (const auto& [download, upload] : partial_downloads_)
      downloads.push_back({download.first, download.second, upload});
    return downloads;
  }
  bool forget_partial_download(std::string_view repository, const oci::Digest& digest,
                               std::string_view upload) override {
    std::lock_guard lock(mutex_);
    const auto found = partial_downloads_.find(download_key(repository, digest));
    if (found == partial_downloads_.end() || found->second != upload) return false;
    partial_downloads_.erase(found);
    return true;
  }

 private:
  // By repository, then digest: listed in the order the SQLite store lists them.
  using DownloadKey = std::pair<std::string, oci::Digest>;
  static DownloadKey download_key(std::string_view repository, const oci::Digest& digest) {
    return {std::string(repository), digest};
  }
  static std::string key(std::string_view repository, std::string_view tag) {
    return std::string(repository) + ":" + std::string(tag);
  }
  // Keeps the counts below in step with the journal, `delta` +1 as a change joins it and -1 as it leaves.
  void count(const oci::ContentChange& change, int delta) {
    const auto adjust = [delta](std::unordered_map<std::string, size_t>& counts, std::string name) {
      if (delta > 0) {
        ++counts[std::move(name)];
      } else if (const auto found = counts.find(name); found != counts.end() && --found->second == 0) {
        counts.erase(found);
      }
    };
    if (change.tag) adjust(pending_tags_, key(change.repository, *change.tag));
    if (change.kind == oci::ContentChange::Kind::ManifestDeleted)
      adjust(pending_deletions_, key(change.repository, change.digest.str()));
    if (change.kind == oci::ContentChange::Kind::ManifestPut)
      adjust(pending_pushes_, key(change.repository, change.digest.str()));
  }
  std::mutex mutex_;
  int64_t last_id_ = 0;
  std::map<int64_t, oci::ContentChange> journal_;
  // How many pending changes name each repository:tag, delete and push each repository:digest. A round asks them for
  // every change it brings down; scanning the journal for them cost a node with thousands of pushes waiting to go
  // up (its uplink down) thousands of steps per change.
  std::unordered_map<std::string, size_t> pending_tags_;
  std::unordered_map<std::string, size_t> pending_deletions_;
  std::unordered_map<std::string, size_t> pending_pushes_;
  std::map<std::string, oci::Digest> parent_tags_;
  std::map<DownloadKey, std::string> partial_downloads_;  // -> upload session id
  uint64_t resync_done_ = 0;
};
}  // namespace

std::unique_ptr<SyncStore> open_memory_sync_store() { return std::make_unique<MemorySyncStore>(); }

}  // namespace outpost::sync
