// Garbage collection over either backend.
#include "reference/storage/gc.h"

#include "tests/unit/storage/storage_harness.h"

using namespace outpost;
using namespace outpost::storage;
using namespace outpost::storage::testing;

namespace {

// A repository with one image (manifest, config, layer), an old unreferenced upload, a never-linked blob and a blob
// linked a moment ago (a push in progress).
template <typename Backend>
struct GcScene {
  Node<Backend> node;
  BlobInfo manifest_blob, config, layer, old_upload, never_linked, fresh_upload;

  GcScene() {
    auto& blobs = node.blobs();
    auto& metadata = node.metadata();
    config = blobs.put("config");
    layer = blobs.put("layer bytes");
    old_upload = blobs.put("abandoned upload");
    never_linked = blobs.put("never linked");
    metadata.link_blob("app", config);
    metadata.link_blob("app", layer);
    metadata.link_blob("app", old_upload);
    metadata.link_blob("other", old_upload);
    node.clock.advance(std::chrono::hours(2));

    manifest_blob = blobs.put("manifest");
    metadata.put_manifest("app", manifest_record("manifest", {config.digest, layer.digest}), std::string("v1"));
    fresh_upload = blobs.put("fresh upload");
    metadata.link_blob("app", fresh_upload);
    node.clock.advance(std::chrono::minutes(30));
  }

  std::vector<BlobInfo> garbage() const {
    std::vector<BlobInfo> expected{old_upload, never_linked};
    std::sort(expected.begin(), expected.end(), [](const auto& a, const auto& b) { return a.digest < b.digest; });
    return expected;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(garbage_collection)

BOOST_AUTO_TEST_CASE_TEMPLATE(removes_exactly_the_unreferenced_blobs, Backend, Backends) {
  GcScene<Backend> scene;
  auto& node = scene.node;
  const GcReport report = collect_garbage(*node.storage, node.clock, GcOptions{std::chrono::hours(1), false});

  const auto expected = scene.garbage();
  BOOST_TEST(digests_of(report.removed) == digests_of(expected));
  BOOST_TEST(report.bytes_freed == scene.old_upload.size + scene.never_linked.size);
  BOOST_TEST(report.blobs_kept == 4u);

  std::vector<Digest> remaining{scene.manifest_blob.digest, scene.config.digest, scene.layer.digest,
                                scene.fresh_upload.digest};
  std::sort(remaining.begin(), remaining.end());
  BOOST_TEST(digests_of(node.blobs().list()) == remaining);
  BOOST_TEST(!node.metadata().blob_linked("app", scene.old_upload.digest));
  BOOST_TEST(!node.metadata().blob_linked("other", scene.old_upload.digest));
  BOOST_TEST(node.metadata().blob_linked("app", scene.layer.digest));
  BOOST_TEST(node.metadata().blob_linked("app", scene.fresh_upload.digest));

  const GcReport again = collect_garbage(*node.storage, node.clock, GcOptions{std::chrono::hours(1), false});
  BOOST_TEST(again.removed.empty());
  BOOST_TEST(again.bytes_freed == 0u);
  BOOST_TEST(again.blobs_kept == 4u);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(recent_links_are_kept_until_the_grace_period_ends, Backend, Backends) {
  GcScene<Backend> scene;
  auto& node = scene.node;
  collect_garbage(*node.storage, node.clock, GcOptions{std::chrono::hours(1), false});
  node.clock.advance(std::chrono::minutes(31));  // the fresh upload is now 61 minutes old and still unreferenced
  const GcReport report = collect_garbage(*node.storage, node.clock, GcOptions{std::chrono::hours(1), false});
  BOOST_TEST(digests_of(report.removed) == std::vector<Digest>{scene.fresh_upload.digest});
  BOOST_TEST(!node.blobs().size_of(scene.fresh_upload.digest));
  BOOST_TEST(node.blobs().size_of(scene.layer.digest).has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_longer_grace_keeps_more, Backend, Backends) {
  GcScene<Backend> scene;
  auto& node = scene.node;
  const GcReport report = collect_garbage(*node.storage, node.clock, GcOptions{std::chrono::hours(3), false});
  BOOST_TEST(digests_of(report.removed) == std::vector<Digest>{scene.never_linked.digest});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(dry_run_removes_nothing, Backend, Backends) {
  GcScene<Backend> scene;
  auto& node = scene.node;
  const auto before = digests_of(node.blobs().list());
  const GcReport report = collect_garbage(*node.storage, node.clock, GcOptions{std::chrono::hours(1), true});
  BOOST_TEST(digests_of(report.removed) == digests_of(scene.garbage()));
  BOOST_TEST(report.bytes_freed == scene.old_upload.size + scene.never_linked.size);
  BOOST_TEST(digests_of(node.blobs().list()) == before);
  BOOST_TEST(node.metadata().blob_linked("app", scene.old_upload.digest));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(a_deleted_manifest_frees_its_blobs, Backend, Backends) {
  GcScene<Backend> scene;
  auto& node = scene.node;
  node.metadata().delete_manifest("app", scene.manifest_blob.digest);
  const GcReport report = collect_garbage(*node.storage, node.clock, GcOptions{std::chrono::minutes(1), false});
  BOOST_TEST(report.blobs_kept == 0u);
  BOOST_TEST(node.blobs().list().empty());
}

// Upload sessions nobody finishes (a client that walked away, a server killed mid-push) were never removed, by gc or
// anything else. Those started longer ago than the upload grace go; younger ones stay; a dry run only counts.
BOOST_AUTO_TEST_CASE_TEMPLATE(abandoned_upload_sessions_are_removed_after_their_grace, Backend, Backends) {
  Node<Backend> node;
  const UploadState old_session = node.uploads().create("app");
  node.uploads().open_writer(old_session.id)->write("ten bytes.");
  node.clock.advance(std::chrono::hours(20));
  const UploadState young_session = node.uploads().create("app");
  node.clock.advance(std::chrono::hours(5));

  GcOptions dry;
  dry.dry_run = true;
  const GcReport counted = collect_garbage(*node.storage, node.clock, dry);
  BOOST_REQUIRE(counted.uploads_removed.size() == 1u);
  BOOST_TEST(counted.uploads_removed[0].id == old_session.id);
  BOOST_TEST(counted.upload_bytes_freed == 10u);
  BOOST_TEST(node.uploads().get(old_session.id).has_value());

  const GcReport report = collect_garbage(*node.storage, node.clock, GcOptions{});
  BOOST_TEST(report.uploads_removed.size() == 1u);
  BOOST_TEST(!node.uploads().get(old_session.id).has_value());
  BOOST_TEST(node.uploads().get(young_session.id).has_value());
  GcOptions shorter;
  shorter.upload_grace = std::chrono::hours(1);
  BOOST_TEST(collect_garbage(*node.storage, node.clock, shorter).uploads_removed.size() == 1u);
  BOOST_TEST(node.uploads().list().empty());
}

// The grace runs from a session's last bytes, not from its start: a download or a push still making progress a day
// after it began keeps what it holds (on disk across a restart too), and one that stopped goes a day after its last
// bytes. Before, both went a day after their start, and a 3 GB layer resumed over a bad link for longer started over.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_session_that_still_grows_outlives_the_upload_grace, Backend, Backends) {
  Node<Backend> node;
  const UploadState growing = node.uploads().create("app");
  const UploadState stopped = node.uploads().create("app");
  node.uploads().open_writer(stopped.id)->write("stopped");
  for (int hours = 0; hours < 30; hours += 2) {
    node.clock.advance(std::chrono::hours(2));
    node.uploads().open_writer(growing.id)->write("x");
  }
  if constexpr (Backend::kOnDisk) node.reopen();
  const auto grown = node.uploads().get(growing.id);
  BOOST_REQUIRE(grown.has_value());
  BOOST_TEST((grown->started == growing.started));
  BOOST_TEST((grown->written == node.clock.now()));
  BOOST_TEST((node.uploads().get(stopped.id)->written == stopped.started));

  const GcReport report = collect_garbage(*node.storage, node.clock, GcOptions{});
  BOOST_REQUIRE(report.uploads_removed.size() == 1u);
  BOOST_TEST(report.uploads_removed[0].id == stopped.id);
  BOOST_TEST(node.uploads().get(growing.id)->size == 15u);

  node.clock.advance(std::chrono::hours(23));
  BOOST_TEST(collect_garbage(*node.storage, node.clock, GcOptions{}).uploads_removed.empty());
  node.clock.advance(std::chrono::hours(2));  // a day and an hour without a byte
  BOOST_TEST(collect_garbage(*node.storage, node.clock, GcOptions{}).uploads_removed.size() == 1u);
  BOOST_TEST(node.uploads().list().empty());
}

// A session's last write is recorded to the hour, by both stores: on disk a stream of chunks then costs one database
// commit an hour, not one each, and a simulated run collects the same sessions in memory as on disk.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_sessions_last_write_is_recorded_to_the_hour, Backend, Backends) {
  Node<Backend> node;
  const UploadState session = node.uploads().create("app");
  node.clock.advance(std::chrono::minutes(30));
  node.uploads().open_writer(session.id)->write("half an hour in");
  BOOST_TEST((node.uploads().get(session.id)->written == session.started));
  node.clock.advance(std::chrono::minutes(40));
  const WallTime later = node.clock.now();
  node.uploads().open_writer(session.id)->write("seventy minutes in");
  node.clock.advance(std::chrono::minutes(10));
  node.uploads().open_writer(session.id)->write("eighty");
  if constexpr (Backend::kOnDisk) node.reopen();
  BOOST_TEST((node.uploads().get(session.id)->written == later));
  BOOST_TEST((node.uploads().list().at(0).written == later));
}

// gc decides from a listing; a client that resumes a session before gc cancels it keeps it: the cancel goes only
// while the last write is older than the grace allows.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_session_resumed_after_the_listing_is_not_cancelled, Backend, Backends) {
  Node<Backend> node;
  const UploadState session = node.uploads().create("app");
  node.clock.advance(std::chrono::hours(30));
  const WallTime idle_before = node.clock.now() - std::chrono::hours(24);
  BOOST_TEST((node.uploads().list().at(0).written < idle_before));  // what gc's listing saw
  node.uploads().open_writer(session.id)->write("resumed");        // the client came back meanwhile
  BOOST_TEST(!node.uploads().cancel_idle(session.id, idle_before));
  BOOST_TEST(node.uploads().get(session.id)->size == 7u);
  BOOST_TEST(!node.uploads().cancel_idle("0123456789abcdef", idle_before));  // no such session
  node.clock.advance(std::chrono::hours(25));
  BOOST_TEST(node.uploads().cancel_idle(session.id, node.clock.now() - std::chrono::hours(24)));
  BOOST_TEST(!node.uploads().get(session.id).has_value());
}

// A request writing to a session resumes it from the moment it opens its writer, before its first byte lands: gc does
// not cancel the session under it (its chunk would have been acknowledged into a session already gone, and a store
// that counts space released it twice). Once the writer is gone, the session is idle again if nothing was written.
BOOST_AUTO_TEST_CASE_TEMPLATE(a_session_with_an_open_writer_is_not_cancelled_as_idle, Backend, Backends) {
  Node<Backend> node;
  const UploadState session = node.uploads().create("app");
  node.clock.advance(std::chrono::hours(30));
  const WallTime idle_before = node.clock.now() - std::chrono::hours(24);
  {
    const auto writer = node.uploads().open_writer(session.id);  // a PATCH arrived; its body has not yet
    BOOST_TEST(!node.uploads().cancel_idle(session.id, idle_before));
    writer->write("resumed");
    writer->close();
    BOOST_TEST(!node.uploads().cancel_idle(session.id, idle_before));  // closed, not gone: a PUT commits next
  }
  BOOST_TEST(node.uploads().get(session.id)->size == 7u);
  const UploadState untouched = node.uploads().create("app");
  node.clock.advance(std::chrono::hours(25));
  const WallTime later_idle_before = node.clock.now() - std::chrono::hours(24);
  node.uploads().open_writer(untouched.id).reset();  // opened and gone without a byte
  BOOST_TEST(node.uploads().cancel_idle(untouched.id, later_idle_before));
  BOOST_TEST(node.uploads().cancel_idle(session.id, later_idle_before));
}

// A link to a blob whose file is gone (a pass on a disk too full to record the removal takes the file first) is
// forgotten by the next pass: the repository no longer claims, for a manifest push, a blob it cannot serve.
BOOST_AUTO_TEST_CASE_TEMPLATE(links_to_a_missing_unreferenced_blob_are_forgotten, Backend, Backends) {
  Node<Backend> node;
  const BlobInfo gone = node.blobs().put("gone"), kept = node.blobs().put("kept");
  node.metadata().link_blob("app", gone);
  node.metadata().link_blob("app", kept);
  node.metadata().put_manifest("app", manifest_record("m", {kept.digest}), std::string("v1"));
  node.blobs().put("m");
  node.blobs().remove(gone.digest);
  node.clock.advance(std::chrono::hours(2));
  collect_garbage(*node.storage, node.clock, GcOptions{});
  BOOST_TEST(!node.metadata().blob_linked("app", gone.digest));
  BOOST_TEST(node.metadata().blob_linked("app", kept.digest));
}

BOOST_AUTO_TEST_SUITE_END()
