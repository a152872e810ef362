// Both sync stores (SQLite for live nodes, memory for simulated ones) answer the journal's questions alike: whether a
// change of a tag, or a delete or a push of a manifest, is still waiting to go up. They are asked for changes a round
// brings down, so they are answered from indexes kept with the journal, never by reading all of it (thousands of
// pushes waiting made that quadratic); these tests hold the answers to the journal as it grows and shrinks.
#include <boost/test/unit_test.hpp>

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "reference/sync/sync_store.h"
#include "tests/unit/temporary_directory.h"

namespace outpost::sync {

namespace {
using Kind = oci::ContentChange::Kind;

oci::Digest digest_of(int n) { return *oci::Digest::parse("sha256:" + std::string(63, 'a') + std::to_string(n % 10)); }

oci::ContentChange change(Kind kind, const std::string& repository, int digest, std::optional<std::string> tag) {
  oci::ContentChange made;
  made.kind = kind;
  made.repository = repository;
  made.digest = digest_of(digest);
  made.tag = std::move(tag);
  return made;
}

// The questions, answered by reading the whole journal: what the stores must agree with.
bool tag_in(const std::vector<JournalEntry>& journal, const std::string& repository, const std::string& tag) {
  for (const auto& entry : journal)
    if (entry.change.tag && *entry.change.tag == tag && entry.change.repository == repository) return true;
  return false;
}
bool change_in(const std::vector<JournalEntry>& journal, Kind kind, const std::string& repository,
               const oci::Digest& digest) {
  for (const auto& entry : journal)
    if (entry.change.kind == kind && entry.change.digest == digest && entry.change.repository == repository)
      return true;
  return false;
}

void answers_as_the_journal_reads(SyncStore& store) {
  std::mt19937 random(20261205);  // fixed: the same journal every run
  const std::vector<std::string> repositories = {"apps/a", "apps/b"};
  const std::vector<std::string> tags = {"v1", "v2", "latest"};
  const Kind kinds[] = {Kind::ManifestPut, Kind::ManifestDeleted, Kind::TagDeleted};
  for (int step = 0; step < 400; ++step) {
    const auto pending = store.pending(1000);
    if (!pending.empty() && random() % 3 == 0) {
      store.acknowledge(pending[random() % pending.size()].id);  // the parent has one, not always the oldest
    } else {
      const Kind kind = kinds[random() % 3];
      std::optional<std::string> tag;
      if (kind != Kind::ManifestDeleted && random() % 4 != 0) tag = tags[random() % tags.size()];
      store.append(change(kind, repositories[random() % 2], static_cast<int>(random() % 4), tag));
    }
    const auto journal = store.pending(1000);
    for (const auto& repository : repositories) {
      for (const auto& tag : tags)
        BOOST_TEST(store.tag_pending(repository, tag) == tag_in(journal, repository, tag), step << " " << tag);
      for (int n = 0; n < 4; ++n) {
        BOOST_TEST(store.delete_pending(repository, digest_of(n)) ==
                       change_in(journal, Kind::ManifestDeleted, repository, digest_of(n)),
                   step << " " << n);
        BOOST_TEST(store.push_pending(repository, digest_of(n)) ==
                       change_in(journal, Kind::ManifestPut, repository, digest_of(n)),
                   step << " " << n);
      }
    }
  }
  store.acknowledge(1'000'000);  // an id never given: nothing changes
  const auto journal = store.pending(1000);
  BOOST_TEST(store.tag_pending("apps/a", "v1") == tag_in(journal, "apps/a", "v1"));
}

// A delete that went up forgets the tags last seen above at its digest, in its repository only. "apps/a" and
// "apps/ab" share a prefix, as names in one key space do.
void forgets_the_tags_at_a_deleted_digest(SyncStore& store) {
  store.set_parent_tag("apps/a", "v1", digest_of(1));
  store.set_parent_tag("apps/a", "latest", digest_of(1));
  store.set_parent_tag("apps/a", "v2", digest_of(2));
  store.set_parent_tag("apps/ab", "v1", digest_of(1));
  store.set_parent_tag("apps/b", "v1", digest_of(1));
  store.forget_parent_tags_at("apps/a", digest_of(1));
  BOOST_TEST(!store.parent_tag("apps/a", "v1"));
  BOOST_TEST(!store.parent_tag("apps/a", "latest"));
  BOOST_TEST((store.parent_tag("apps/a", "v2") == std::optional<oci::Digest>(digest_of(2))));
  BOOST_TEST((store.parent_tag("apps/ab", "v1") == std::optional<oci::Digest>(digest_of(1))));
  BOOST_TEST((store.parent_tag("apps/b", "v1") == std::optional<oci::Digest>(digest_of(1))));
}

// A delete made above forgets them too, but not a tag whose change made here still waits in the journal: that change
// meets the parent's removal as a conflict (SPEC 5.7).
void forgets_the_tags_deleted_above_but_pending_ones(SyncStore& store) {
  store.set_parent_tag("apps/a", "v1", digest_of(1));
  store.set_parent_tag("apps/a", "moved", digest_of(1));
  store.set_parent_tag("apps/a", "v2", digest_of(2));
  store.set_parent_tag("apps/ab", "v1", digest_of(1));
  store.append(change(Kind::ManifestPut, "apps/a", 3, "moved"));  // moved here to another manifest, not yet above
  store.append(change(Kind::ManifestPut, "apps/ab", 3, "v1"));    // another repository's tag of the same name
  store.forget_parent_tags_deleted_above("apps/a", digest_of(1));
  BOOST_TEST(!store.parent_tag("apps/a", "v1"));
  BOOST_TEST((store.parent_tag("apps/a", "moved") == std::optional<oci::Digest>(digest_of(1))));
  BOOST_TEST((store.parent_tag("apps/a", "v2") == std::optional<oci::Digest>(digest_of(2))));
  BOOST_TEST((store.parent_tag("apps/ab", "v1") == std::optional<oci::Digest>(digest_of(1))));
}

// The session a download writes into is remembered per repository and digest until it is forgotten; a later one
// replaces it.
void remembers_downloads_in_progress(SyncStore& store) {
  BOOST_TEST(!store.partial_download("apps/a", digest_of(1)));
  store.set_partial_download("apps/a", digest_of(1), "aaaa");
  store.set_partial_download("apps/a", digest_of(2), "bbbb");
  store.set_partial_download("apps/b", digest_of(1), "eeee");  // the same blob for another repository
  BOOST_TEST((store.partial_download("apps/a", digest_of(1)) == std::optional<std::string>("aaaa")));
  store.set_partial_download("apps/a", digest_of(1), "cccc");  // its session was gone: it started over in another
  BOOST_TEST((store.partial_download("apps/a", digest_of(1)) == std::optional<std::string>("cccc")));
  store.set_partial_download("apps/b", digest_of(1), std::nullopt);  // a 404 for apps/b leaves apps/a's alone
  BOOST_TEST(!store.partial_download("apps/b", digest_of(1)));
  BOOST_TEST((store.partial_download("apps/a", digest_of(1)) == std::optional<std::string>("cccc")));
  store.set_partial_download("apps/b", digest_of(3), "dddd");
  const auto listed = store.partial_downloads();  // by repository, then digest
  BOOST_REQUIRE(listed.size() == 3u);
  BOOST_TEST((listed[0].repository == "apps/a" && listed[0].digest == digest_of(1) && listed[0].upload == "cccc"));
  BOOST_TEST((listed[1].repository == "apps/a" && listed[1].digest == digest_of(2) && listed[1].upload == "bbbb"));
  BOOST_TEST((listed[2].repository == "apps/b" && listed[2].digest == digest_of(3) && listed[2].upload == "dddd"));
  store.set_partial_download("apps/a", digest_of(1), std::nullopt);
  BOOST_TEST(!store.partial_download("apps/a", digest_of(1)));
  BOOST_TEST((store.partial_download("apps/a", digest_of(2)) == std::optional<std::string>("bbbb")));
  BOOST_TEST(store.partial_downloads().size() == 2u);
  // Forgotten only while it names the session the caller saw: it started over in another since.
  BOOST_TEST(!store.forget_partial_download("apps/a", digest_of(2), "aaaa"));
  BOOST_TEST((store.partial_download("apps/a", digest_of(2)) == std::optional<std::string>("bbbb")));
  BOOST_TEST(!store.forget_partial_download("apps/c", digest_of(2), "bbbb"));
  BOOST_TEST(store.forget_partial_download("apps/a", digest_of(2), "bbbb"));
  BOOST_TEST(!store.partial_download("apps/a", digest_of(2)));
}
}  // namespace

BOOST_AUTO_TEST_SUITE(sync_store)

BOOST_AUTO_TEST_CASE(the_memory_store_answers_as_its_journal_reads) {
  const auto store = open_memory_sync_store();
  answers_as_the_journal_reads(*store);
}

BOOST_AUTO_TEST_CASE(the_sqlite_store_answers_as_its_journal_reads) {
  outpost::testing::TemporaryDirectory directory{"sync-store-test"};
  const auto store = open_sqlite_sync_store(directory.path());
  answers_as_the_journal_reads(*store);
}

BOOST_AUTO_TEST_CASE(both_stores_forget_the_tags_last_seen_at_a_deleted_digest) {
  forgets_the_tags_at_a_deleted_digest(*open_memory_sync_store());
  outpost::testing::TemporaryDirectory directory{"sync-store-test"};
  forgets_the_tags_at_a_deleted_digest(*open_sqlite_sync_store(directory.path()));
}

BOOST_AUTO_TEST_CASE(both_stores_forget_the_tags_deleted_above_but_those_with_a_change_waiting) {
  forgets_the_tags_deleted_above_but_pending_ones(*open_memory_sync_store());
  outpost::testing::TemporaryDirectory directory{"sync-store-test"};
  forgets_the_tags_deleted_above_but_pending_ones(*open_sqlite_sync_store(directory.path()));
}

BOOST_AUTO_TEST_CASE(both_stores_remember_which_session_holds_a_download_in_progress) {
  remembers_downloads_in_progress(*open_memory_sync_store());
  outpost::testing::TemporaryDirectory directory{"sync-store-test"};
  remembers_downloads_in_progress(*open_sqlite_sync_store(directory.path()));
}

BOOST_AUTO_TEST_CASE(the_sqlite_store_remembers_a_download_in_progress_across_a_reopen) {
  // What a node killed mid-download finds when it starts again on the same data directory.
  outpost::testing::TemporaryDirectory directory{"sync-store-test"};
  open_sqlite_sync_store(directory.path())->set_partial_download("apps/a", digest_of(3), "dddd");
  BOOST_TEST((open_sqlite_sync_store(directory.path())->partial_download("apps/a", digest_of(3)) ==
              std::optional<std::string>("dddd")));
}

// The operator's resync last run to its end (SPEC 2.11): none at first, then the last value set, across a reopen.
BOOST_AUTO_TEST_CASE(both_stores_remember_the_last_resync_done) {
  const auto memory = open_memory_sync_store();
  BOOST_TEST(memory->resync_done() == 0u);
  memory->set_resync_done(3);
  BOOST_TEST(memory->resync_done() == 3u);
  outpost::testing::TemporaryDirectory directory{"sync-store-test"};
  BOOST_TEST(open_sqlite_sync_store(directory.path())->resync_done() == 0u);
  open_sqlite_sync_store(directory.path())->set_resync_done(2);
  open_sqlite_sync_store(directory.path())->set_resync_done(5);
  BOOST_TEST(open_sqlite_sync_store(directory.path())->resync_done() == 5u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::sync
