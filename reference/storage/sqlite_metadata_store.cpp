#include "reference/storage/sqlite_metadata_store.h"

#include <limits>

namespace outpost::storage {

namespace {

// Digests, names and tags are ASCII; BINARY collation (memcmp) is SQLite's default and is spelled out in every
// ORDER BY anyway, because listings must match the memory store's std::map order byte for byte. Tags are the
// exception: they list case-insensitively (tag_order.h), by NOCASE and then by their bytes.
constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS repositories(
  name TEXT PRIMARY KEY
) WITHOUT ROWID;

-- A repository may read a blob only while it is linked here. linked_at (ns since the Unix epoch) protects fresh
-- uploads from garbage collection until a manifest references them.
CREATE TABLE IF NOT EXISTS blob_links(
  repository TEXT NOT NULL REFERENCES repositories(name),
  digest TEXT NOT NULL,
  size INTEGER NOT NULL,
  linked_at INTEGER NOT NULL,
  PRIMARY KEY(repository, digest)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blob_links_by_digest ON blob_links(digest);
CREATE INDEX IF NOT EXISTS blob_links_by_time ON blob_links(linked_at);

CREATE TABLE IF NOT EXISTS manifests(
  repository TEXT NOT NULL REFERENCES repositories(name),
  digest TEXT NOT NULL,
  media_type TEXT NOT NULL,
  size INTEGER NOT NULL,
  subject TEXT,
  artifact_type TEXT NOT NULL,
  annotations TEXT NOT NULL,
  PRIMARY KEY(repository, digest)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS manifests_by_subject ON manifests(repository, subject, digest);

-- position keeps a manifest's references in its own order (a layer may even appear twice).
CREATE TABLE IF NOT EXISTS manifest_refs(
  repository TEXT NOT NULL,
  manifest_digest TEXT NOT NULL,
  position INTEGER NOT NULL,
  ref_digest TEXT NOT NULL,
  PRIMARY KEY(repository, manifest_digest, position),
  FOREIGN KEY(repository, manifest_digest) REFERENCES manifests(repository, digest)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS tags(
  repository TEXT NOT NULL,
  tag TEXT NOT NULL,
  digest TEXT NOT NULL,
  PRIMARY KEY(repository, tag),
  FOREIGN KEY(repository, digest) REFERENCES manifests(repository, digest)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS tags_by_manifest ON tags(repository, digest);
CREATE INDEX IF NOT EXISTS tags_in_listing_order ON tags(repository, tag COLLATE NOCASE, tag COLLATE BINARY);
)sql";

int64_t sql_limit(size_t limit) {
  return limit > static_cast<size_t>(std::numeric_limits<int64_t>::max()) ? std::numeric_limits<int64_t>::max()
                                                                           : static_cast<int64_t>(limit);
}

Digest parse_stored(const std::string& text) {
  auto digest = Digest::parse(text);
  if (!digest) throw StorageError("metadata.db holds an invalid digest: " + text);
  return *digest;
}

constexpr const char* kManifestColumns =
    "SELECT digest, media_type, size, subject, artifact_type, annotations FROM manifests ";

ManifestRecord manifest_from_row(const sqlite::Query& row) {
  ManifestRecord record;
  record.digest = parse_stored(row.text(0));
  record.media_type = row.text(1);
  record.size = static_cast<uint64_t>(row.integer(2));
  if (!row.is_null(3)) record.subject = parse_stored(row.text(3));
  record.artifact_type = row.text(4);
  record.annotations_json = row.text(5);
  return record;
}

}  // namespace

SqliteMetadataStore::SqliteMetadataStore(std::shared_ptr<sqlite::SharedConnection> database, const Clock& clock)
    : database_(std::move(database)), db_(database_->connection), clock_(clock) {
  std::lock_guard lock(database_->mutex);
  sqlite::Transaction transaction(db_);
  db_.exec(kSchema);
  transaction.commit();
}

std::vector<std::string> SqliteMetadataStore::repositories(std::string_view after, size_t limit) {
  std::lock_guard lock(database_->mutex);
  std::vector<std::string> names;
  auto rows = db_.query("SELECT name FROM repositories WHERE name > ? ORDER BY name COLLATE BINARY LIMIT ?");
  rows.bind(1, after).bind(2, sql_limit(limit));
  while (rows.next()) names.push_back(rows.text(0));
  return names;
}

bool SqliteMetadataStore::repository_exists(std::string_view repository) {
  std::lock_guard lock(database_->mutex);
  auto row = db_.query("SELECT 1 FROM repositories WHERE name = ?");
  row.bind(1, repository);
  return row.next();
}

void SqliteMetadataStore::add_repository(std::string_view repository) {
  db_.query("INSERT OR IGNORE INTO repositories(name) VALUES(?)").bind(1, repository).run();
}

// Linking again refreshes linked_at: a client pushing a blob that is already there is about to reference it.
void SqliteMetadataStore::upsert_link(std::string_view repository, const Digest& digest, uint64_t size) {
  db_.query(
         "INSERT INTO blob_links(repository, digest, size, linked_at) VALUES(?, ?, ?, ?) "
         "ON CONFLICT(repository, digest) DO UPDATE SET size = excluded.size, linked_at = excluded.linked_at")
      .bind(1, repository)
      .bind(2, digest.str())
      .bind(3, static_cast<int64_t>(size))
      .bind(4, clock_.now().time_since_epoch().count())
      .run();
}

void SqliteMetadataStore::link_blob(std::string_view repository, const BlobInfo& blob) {
  std::lock_guard lock(database_->mutex);
  sqlite::Transaction transaction(db_);
  add_repository(repository);
  upsert_link(repository, blob.digest, blob.size);
  transaction.commit();
}

bool SqliteMetadataStore::blob_linked(std::string_view repository, const Digest& digest) {
  std::lock_guard lock(database_->mutex);
  auto row = db_.query("SELECT 1 FROM blob_links WHERE repository = ? AND digest = ?");
  row.bind(1, repository).bind(2, digest.str());
  return row.next();
}

std::optional<uint64_t> SqliteMetadataStore::linked_size(std::string_view repository, const Digest& digest) {
  std::lock_guard lock(database_->mutex);
  auto row = db_.query("SELECT size FROM blob_links WHERE repository = ? AND digest = ?");
  row.bind(1, repository).bind(2, digest.str());
  if (!row.next()) return std::nullopt;
  return static_cast<uint64_t>(row.integer(0));
}

bool SqliteMetadataStore::unlink_blob(std::string_view repository, const Digest& digest) {
  std::lock_guard lock(database_->mutex);
  db_.query("DELETE FROM blob_links WHERE repository = ? AND digest = ?").bind(1, repository).bind(2, digest.str()).run();
  return db_.changes() > 0;
}

std::vector<std::string> SqliteMetadataStore::repositories_linking(const Digest& digest) {
  std::lock_guard lock(database_->mutex);
  std::vector<std::string> names;
  auto rows = db_.query("SELECT repository FROM blob_links WHERE digest = ? ORDER BY repository COLLATE BINARY");
  rows.bind(1, digest.str());
  while (rows.next()) names.push_back(rows.text(0));
  return names;
}

void SqliteMetadataStore::put_manifest(std::string_view repository, const ManifestRecord& manifest,
                                       const std::optional<std::string>& tag) {
  std::lock_guard lock(database_->mutex);
  sqlite::Transaction transaction(db_);
  add_repository(repository);
  const std::string digest = manifest.digest.str();
  std::optional<std::string> subject;
  if (manifest.subject) subject = manifest.subject->str();
  // An upsert, not INSERT OR REPLACE: a replace deletes the old row first, which the tags pointing at it forbid.
  db_.query(
         "INSERT INTO manifests(repository, digest, media_type, size, subject, artifact_type, annotations) "
         "VALUES(?, ?, ?, ?, ?, ?, ?) ON CONFLICT(repository, digest) DO UPDATE SET media_type = excluded.media_type, "
         "size = excluded.size, subject = excluded.subject, artifact_type = excluded.artifact_type, "
         "annotations = excluded.annotations")
      .bind(1, repository)
      .bind(2, digest)
      .bind(3, manifest.media_type)
      .bind(4, static_cast<int64_t>(manifest.size))
      .bind(5, subject)
      .bind(6, manifest.artifact_type)
      .bind(7, manifest.annotations_json)
      .run();
  db_.query("DELETE FROM manifest_refs WHERE repository = ? AND manifest_digest = ?")
      .bind(1, repository)
      .bind(2, digest)
      .run();
  for (size_t i = 0; i < manifest.references.size(); ++i) {
    db_.query("INSERT INTO manifest_refs(repository, manifest_digest, position, ref_digest) VALUES(?, ?, ?, ?)")
        .bind(1, repository)
        .bind(2, digest)
        .bind(3, static_cast<int64_t>(i))
        .bind(4, manifest.references[i].str())
        .run();
  }
  upsert_link(repository, manifest.digest, manifest.size);
  if (tag) {
    db_.query(
           "INSERT INTO tags(repository, tag, digest) VALUES(?, ?, ?) "
           "ON CONFLICT(repository, tag) DO UPDATE SET digest = excluded.digest")
        .bind(1, repository)
        .bind(2, *tag)
        .bind(3, digest)
        .run();
  }
  transaction.commit();
}

std::vector<Digest> SqliteMetadataStore::references_of(std::string_view repository, const Digest& manifest) {
  std::vector<Digest> references;
  auto rows = db_.query(
      "SELECT ref_digest FROM manifest_refs WHERE repository = ? AND manifest_digest = ? ORDER BY position");
  rows.bind(1, repository).bind(2, manifest.str());
  while (rows.next()) references.push_back(parse_stored(rows.text(0)));
  return references;
}

std::optional<ManifestRecord> SqliteMetadataStore::manifest(std::string_view repository, const Digest& digest) {
  std::lock_guard lock(database_->mutex);
  std::optional<ManifestRecord> record;
  {
    auto row = db_.query(std::string(kManifestColumns) + "WHERE repository = ? AND digest = ?");
    row.bind(1, repository).bind(2, digest.str());
    if (!row.next()) return std::nullopt;
    record = manifest_from_row(row);
  }
  record->references = references_of(repository, digest);
  return record;
}

bool SqliteMetadataStore::delete_manifest(std::string_view repository, const Digest& digest) {
  std::lock_guard lock(database_->mutex);
  sqlite::Transaction transaction(db_);
  db_.query("DELETE FROM tags WHERE repository = ? AND digest = ?").bind(1, repository).bind(2, digest.str()).run();
  db_.query("DELETE FROM manifest_refs WHERE repository = ? AND manifest_digest = ?")
      .bind(1, repository)
      .bind(2, digest.str())
      .run();
  db_.query("DELETE FROM manifests WHERE repository = ? AND digest = ?").bind(1, repository).bind(2, digest.str()).run();
  const bool deleted = db_.changes() > 0;
  // (No index by ref_digest: the primary key's prefix keeps the search within the repository's references, and an
  // index added to an existing database would have to be built at open, which a full disk refuses.)
  if (deleted)
    db_.query(
           "DELETE FROM blob_links WHERE repository = ? AND digest = ? AND NOT EXISTS "
           "(SELECT 1 FROM manifest_refs WHERE repository = ? AND ref_digest = ?)")
        .bind(1, repository)
        .bind(2, digest.str())
        .bind(3, repository)
        .bind(4, digest.str())
        .run();
  transaction.commit();
  return deleted;
}

std::optional<Digest> SqliteMetadataStore::resolve_tag(std::string_view repository, std::string_view tag) {
  std::lock_guard lock(database_->mutex);
  auto row = db_.query("SELECT digest FROM tags WHERE repository = ? AND tag = ?");
  row.bind(1, repository).bind(2, tag);
  if (!row.next()) return std::nullopt;
  return parse_stored(row.text(0));
}

std::vector<std::string> SqliteMetadataStore::tags(std::string_view repository, std::string_view after, size_t limit) {
  std::lock_guard lock(database_->mutex);
  std::vector<std::string> names;
  auto rows =
      db_.query("SELECT tag FROM tags WHERE repository = ?1 AND (tag > ?2 COLLATE NOCASE OR "
                "(tag = ?2 COLLATE NOCASE AND tag > ?2 COLLATE BINARY)) "
                "ORDER BY tag COLLATE NOCASE, tag COLLATE BINARY LIMIT ?3");
  rows.bind(1, repository).bind(2, after).bind(3, sql_limit(limit));
  while (rows.next()) names.push_back(rows.text(0));
  return names;
}

bool SqliteMetadataStore::delete_tag(std::string_view repository, std::string_view tag) {
  std::lock_guard lock(database_->mutex);
  db_.query("DELETE FROM tags WHERE repository = ? AND tag = ?").bind(1, repository).bind(2, tag).run();
  return db_.changes() > 0;
}

std::vector<ManifestRecord> SqliteMetadataStore::referrers(std::string_view repository, const Digest& subject) {
  std::lock_guard lock(database_->mutex);
  std::vector<ManifestRecord> records;
  {
    auto rows = db_.query(std::string(kManifestColumns) +
                          "WHERE repository = ? AND subject = ? ORDER BY digest COLLATE BINARY");
    rows.bind(1, repository).bind(2, subject.str());
    while (rows.next()) records.push_back(manifest_from_row(rows));
  }
  for (auto& record : records) record.references = references_of(repository, record.digest);
  return records;
}

std::vector<Digest> SqliteMetadataStore::referenced_digests() {
  std::lock_guard lock(database_->mutex);
  std::vector<Digest> digests;
  // UNION removes duplicates across repositories and between the two sources.
  auto rows = db_.query(
      "SELECT digest FROM manifests UNION SELECT ref_digest FROM manifest_refs ORDER BY 1 COLLATE BINARY");
  while (rows.next()) digests.push_back(parse_stored(rows.text(0)));
  return digests;
}

std::vector<Digest> SqliteMetadataStore::manifest_digests(std::string_view repository) {
  std::lock_guard lock(database_->mutex);
  std::vector<Digest> digests;
  auto rows = db_.query("SELECT digest FROM manifests WHERE repository = ? ORDER BY digest COLLATE BINARY");
  rows.bind(1, repository);
  while (rows.next()) digests.push_back(parse_stored(rows.text(0)));
  return digests;
}

std::vector<Digest> SqliteMetadataStore::linked_since(WallTime since) {
  std::lock_guard lock(database_->mutex);
  std::vector<Digest> digests;
  auto rows = db_.query("SELECT DISTINCT digest FROM blob_links WHERE linked_at >= ? ORDER BY digest COLLATE BINARY");
  rows.bind(1, static_cast<int64_t>(since.time_since_epoch().count()));
  while (rows.next()) digests.push_back(parse_stored(rows.text(0)));
  return digests;
}

void SqliteMetadataStore::forget_blob(const Digest& digest) {
  std::lock_guard lock(database_->mutex);
  db_.query("DELETE FROM blob_links WHERE digest = ?").bind(1, digest.str()).run();
}

}  // namespace outpost::storage
