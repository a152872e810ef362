#include <mutex>

#include "reference/storage/sqlite.h"
#include "reference/sync/sync_store.h"

namespace outpost::sync {

namespace {
using oci::ContentChange;

int64_t kind_code(ContentChange::Kind kind) { return static_cast<int64_t>(kind); }
ContentChange::Kind kind_from(int64_t code) {
  switch (code) {
    case 1: return ContentChange::Kind::ManifestDeleted;
    case 2: return ContentChange::Kind::TagDeleted;
    default: return ContentChange::Kind::ManifestPut;
  }
}

class SqliteSyncStore final : public SyncStore {
 public:
  explicit SqliteSyncStore(const std::filesystem::path& directory) : db_(directory / "sync.db") {
    db_.exec(
        "CREATE TABLE IF NOT EXISTS journal (id INTEGER PRIMARY KEY AUTOINCREMENT, kind INTEGER NOT NULL,"
        " repository TEXT NOT NULL, digest TEXT NOT NULL, tag TEXT);"
        "CREATE TABLE IF NOT EXISTS parent_tags (repository TEXT NOT NULL, tag TEXT NOT NULL,"
        " digest TEXT NOT NULL, PRIMARY KEY (repository, tag));"
        "CREATE TABLE IF NOT EXISTS partial_downloads (repository TEXT NOT NULL, digest TEXT NOT NULL,"
        " upload TEXT NOT NULL, PRIMARY KEY (repository, digest));"
        "CREATE TABLE IF NOT EXISTS agent_state (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
        // tag_pending, delete_pending and push_pending, asked for changes a round brings down: without these, each
        // read the whole journal, which holds every push made while the uplink was down.
        "CREATE INDEX IF NOT EXISTS journal_by_tag ON journal (repository, tag);"
        "CREATE INDEX IF NOT EXISTS journal_by_digest ON journal (repository, digest, kind);");
  }

  int64_t append(const ContentChange& change) override {
    std::lock_guard lock(mutex_);
    db_.query("INSERT INTO journal (kind, repository, digest, tag) VALUES (?1, ?2, ?3, ?4)")
        .bind(1, kind_code(change.kind))
        .bind(2, change.repository)
        .bind(3, change.digest.str())
        .bind(4, change.tag)
        .run();
    auto query = db_.query("SELECT last_insert_rowid()");
    query.next();
    return query.integer(0);
  }

  std::vector<JournalEntry> pending(size_t limit, int64_t after) override {
    std::lock_guard lock(mutex_);
    std::vector<JournalEntry> entries;
    auto query = db_.query("SELECT id, kind, repository, digest, tag FROM journal WHERE id > ?2 ORDER BY id LIMIT ?1");
    query.bind(1, static_cast<int64_t>(limit)).bind(2, after);
    while (query.next()) {
      JournalEntry entry;
      entry.id = query.integer(0);
      entry.change.kind = kind_from(query.integer(1));
      entry.change.repository = query.text(2);
      entry.change.digest = oci::Digest::parse(query.text(3)).value_or(oci::Digest{});
      if (!query.is_null(4)) entry.change.tag = query.text(4);
      entries.push_back(std::move(entry));
    }
    return entries;
  }

  void acknowledge(int64_t id) override {
    std::lock_guard lock(mutex_);
    db_.query("DELETE FROM journal WHERE id = ?1").bind(1, id).run();
  }

  size_t pending_count() override {
    std::lock_guard lock(mutex_);
    auto query = db_.query("SELECT COUNT(*) FROM journal");
    query.next();
    return static_cast<size_t>(query.integer(0));
  }

  std::vector<oci::Digest> pending_digests() override {
    std::lock_guard lock(mutex_);
    std::vector<oci::Digest> digests;
    auto query = db_.query("SELECT DISTINCT digest FROM journal WHERE kind = 0 ORDER BY digest");
    while (query.next())
      if (auto digest = oci::Digest::parse(query.text(0))) digests.push_back(*digest);
    return digests;
  }

  bool tag_pending(std::string_view repository, std::string_view tag) override {
    std::lock_guard lock(mutex_);
    auto query = db_.query("SELECT 1 FROM journal WHERE repository = ?1 AND tag = ?2 LIMIT 1");
    query.bind(1, repository).bind(2, tag);
    return query.next();
  }

  bool delete_pending(std::string_view repository, const oci::Digest& digest) override {
    std::lock_guard lock(mutex_);
    auto query = db_.query("SELECT 1 FROM journal WHERE kind = ?1 AND repository = ?2 AND digest = ?3 LIMIT 1");
    query.bind(1, kind_code(ContentChange::Kind::ManifestDeleted)).bind(2, repository).bind(3, digest.str());
    return query.next();
  }

  bool push_pending(std::string_view repository, const oci::Digest& digest) override {
    std::lock_guard lock(mutex_);
    auto query = db_.query("SELECT 1 FROM journal WHERE kind = ?1 AND repository = ?2 AND digest = ?3 LIMIT 1");
    query.bind(1, kind_code(ContentChange::Kind::ManifestPut)).bind(2, repository).bind(3, digest.str());
    return query.next();
  }

  std::optional<oci::Digest> parent_tag(std::string_view repository, std::string_view tag) override {
    std::lock_guard lock(mutex_);
    auto query = db_.query("SELECT digest FROM parent_tags WHERE repository = ?1 AND tag = ?2");
    query.bind(1, repository).bind(2, tag);
    if (!query.next()) return std::nullopt;
    return oci::Digest::parse(query.text(0));
  }

  void set_parent_tag(std::string_view repository, std::string_view tag,
                      const std::optional<oci::Digest>& digest) override {
    std::lock_guard lock(mutex_);
    if (digest) {
      db_.query("INSERT OR REPLACE INTO parent_tags (repository, tag, digest) VALUES (?1, ?2, ?3)")
          .bind(1, repository)
          .bind(2, tag)
          .bind(3, digest->str())
          .run();
    } else {
      db_.query("DELETE FROM parent_tags WHERE repository = ?1 AND tag = ?2").bind(1, repository).bind(2, tag).run();
    }
  }

  void forget_parent_tags_at(std::string_view repository, const oci::Digest& digest) override {
    std::lock_guard lock(mutex_);
    db_.query("DELETE FROM parent_tags WHERE repository = ?1 AND digest = ?2")
        .bind(1, repository)
        .bind(2, digest.str())
        .run();
  }

  void forget_parent_tags_deleted_above(std::string_view repository, const oci::Digest& digest) override {
    std::lock_guard lock(mutex_);
    db_.query(
           "DELETE FROM parent_tags WHERE repository = ?1 AND digest = ?2 AND NOT EXISTS "
           "(SELECT 1 FROM journal WHERE journal.repository = parent_tags.repository AND journal.tag = parent_tags.tag)")
        .bind(1, repository)
        .bind(2, digest.str())
        .run();
  }

  uint64_t resync_done() override {
    std::lock_guard lock(mutex_);
    auto query = db_.query("SELECT value FROM agent_state WHERE name = 'resync_done'");
    return query.next() ? static_cast<uint64_t>(query.integer(0)) : 0;
  }
  void set_resync_done(uint64_t value) override {
    std::lock_guard lock(mutex_);
    db_.query("INSERT OR REPLACE INTO agent_state (name, value) VALUES ('resync_done', ?1)")
        .bind(1, static_cast<int64_t>(value))
        .run();
  }

  std::optional<std::string> partial_download(std::string_view repository, const oci::Digest& digest) override {
    std::lock_guard lock(mutex_);
    auto query = db_.query("SELECT upload FROM partial_downloads WHERE repository = ?1 AND digest = ?2");
    query.bind(1, repository).bind(2, digest.str());
    if (!query.next()) return std::nullopt;
    return query.text(0);
  }

  void set_partial_download(std::string_view repository, const oci::Digest& digest,
                            const std::optional<std::string>& upload_id) override {
    std::lock_guard lock(mutex_);
    if (upload_id) {
      db_.query("INSERT OR REPLACE INTO partial_downloads (repository, digest, upload) VALUES (?1, ?2, ?3)")
          .bind(1, repository)
          .bind(2, digest.str())
          .bind(3, *upload_id)
          .run();
    } else {
      db_.query("DELETE FROM partial_downloads WHERE repository = ?1 AND digest = ?2")
          .bind(1, repository)
          .bind(2, digest.str())
          .run();
    }
  }

  std::vector<PartialDownload> partial_downloads() override {
    std::lock_guard lock(mutex_);
    std::vector<PartialDownload> downloads;
    auto rows = db_.query("SELECT repository, digest, upload FROM partial_downloads ORDER BY repository, digest");
    while (rows.next())
      if (auto digest = oci::Digest::parse(rows.text(1)))
        downloads.push_back({rows.text(0), std::move(*digest), rows.text(2)});
    return downloads;
  }

  bool forget_partial_download(std::string_view repository, const oci::Digest& digest,
                               std::string_view upload) override {
    std::lock_guard lock(mutex_);
    db_.query("DELETE FROM partial_downloads WHERE repository = ?1 AND digest = ?2 AND upload = ?3")
        .bind(1, repository)
        .bind(2, digest.str())
        .bind(3, upload)
        .run();
    return db_.changes() > 0;
  }

 private:
  std::mutex mutex_;
  storage::sqlite::Connection db_;
};
}  // namespace

std::unique_ptr<SyncStore> open_sqlite_sync_store(const std::filesystem::path& directory) {
  return std::make_unique<SqliteSyncStore>(directory);
}

}  // namespace outpost::sync
