// MetadataStore contract, run against the memory and the SQLite implementation.
#include <thread>

#include "tests/unit/storage/storage_harness.h"

using namespace outpost;
using namespace outpost::storage;
using namespace outpost::storage::testing;

BOOST_AUTO_TEST_SUITE(metadata_store)

BOOST_AUTO_TEST_CASE_TEMPLATE(links_are_per_repository, Backend, Backends) {
  Node<Backend> node;
  auto& metadata = node.metadata();
  const BlobInfo layer{sha256("layer"), 5};
  BOOST_TEST(!metadata.repository_exists("team/app"));
  metadata.link_blob("team/app", layer);
  BOOST_TEST(metadata.repository_exists("team/app"));
  BOOST_TEST(metadata.blob_linked("team/app", layer.digest));
  BOOST_TEST(!metadata.blob_linked("team/other", layer.digest));
  BOOST_TEST(!metadata.repository_exists("team/other"));
  BOOST_TEST(!metadata.repository_exists("team"));

  metadata.link_blob("team/app", layer);  // linking twice is harmless
  BOOST_TEST(metadata.unlink_blob("team/app", layer.digest));
  BOOST_TEST(!metadata.unlink_blob("team/app", layer.digest));
  BOOST_TEST(!metadata.blob_linked("team/app", layer.digest));
  BOOST_TEST(metadata.repository_exists("team/app"));  // a repository stays once it existed
}

BOOST_AUTO_TEST_CASE_TEMPLATE(repositories_linking_a_digest, Backend, Backends) {
  Node<Backend> node;
  auto& metadata = node.metadata();
  const Digest shared = sha256("shared"), alone = sha256("alone");
  metadata.link_blob("zeta", {shared, 6});
  metadata.link_blob("alpha", {shared, 6});
  metadata.link_blob("alpha", {alone, 5});
  metadata.put_manifest("mid", manifest_record("shared"), std::nullopt);  // a manifest links its digest too
  BOOST_TEST(metadata.repositories_linking(shared) == strings({"alpha", "mid", "zeta"}), boost::test_tools::per_element());
  BOOST_TEST(metadata.repositories_linking(alone) == strings({"alpha"}), boost::test_tools::per_element());
  BOOST_TEST(metadata.repositories_linking(sha256("nothing")).empty());
  metadata.unlink_blob("mid", shared);
  BOOST_TEST(metadata.repositories_linking(shared) == strings({"alpha", "zeta"}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(put_manifest_records_everything, Backend, Backends) {
  Node<Backend> node;
  auto& metadata = node.metadata();
  const Digest config = sha256("config"), layer = sha256("layer"), subject = sha256("subject");
  ManifestRecord record = manifest_record("manifest", {config, layer, layer}, subject, "application/vnd.example");
  record.annotations_json = R"({"org.opencontainers.image.created":"2024-01-01T00:00:00Z"})";
  metadata.put_manifest("app", record, std::string("v1"));

  BOOST_TEST(metadata.repository_exists("app"));
  BOOST_TEST(metadata.blob_linked("app", record.digest));
  BOOST_TEST(metadata.resolve_tag("app", "v1") == std::optional<Digest>(record.digest));
  const auto stored = metadata.manifest("app", record.digest);
  BOOST_REQUIRE(stored);
  BOOST_TEST(stored->digest == record.digest);
  BOOST_TEST(stored->media_type == record.media_type);
  BOOST_TEST(stored->size == record.size);
  BOOST_TEST(stored->references == record.references);  // in order, duplicates kept
  BOOST_TEST(stored->subject == record.subject);
  BOOST_TEST(stored->artifact_type == record.artifact_type);
  BOOST_TEST(stored->annotations_json == record.annotations_json);

  BOOST_TEST(!metadata.manifest("other", record.digest));
  BOOST_TEST(!metadata.manifest("app", config));
  BOOST_TEST(metadata.has_manifest("app", record.digest));
  BOOST_TEST(!metadata.has_manifest("other", record.digest));
  BOOST_TEST(!metadata.has_manifest("app", config));  // referenced by the manifest, not one
  BOOST_TEST(!metadata.resolve_tag("app", "v2"));
  BOOST_TEST(!metadata.resolve_tag("other", "v1"));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(put_manifest_without_tag_or_subject, Backend, Backends) {
  Node<Backend> node;
  const ManifestRecord record = manifest_record("untagged");
  node.metadata().put_manifest("app", record, std::nullopt);
  BOOST_TEST(node.metadata().tags("app", "", 100).empty());
  const auto stored = node.metadata().manifest("app", record.digest);
  BOOST_REQUIRE(stored);
  BOOST_TEST(!stored->subject);
  BOOST_TEST(stored->references.empty());
  BOOST_TEST(stored->annotations_json == "");
}

BOOST_AUTO_TEST_CASE_TEMPLATE(putting_again_replaces_the_record_and_moves_tags, Backend, Backends) {
  Node<Backend> node;
  auto& metadata = node.metadata();
  const ManifestRecord first = manifest_record("first", {sha256("a")});
  const ManifestRecord second = manifest_record("second");
  metadata.put_manifest("app", first, std::string("latest"));
  metadata.put_manifest("app", second, std::string("latest"));
  BOOST_TEST(metadata.resolve_tag("app", "latest") == std::optional<Digest>(second.digest));
  BOOST_TEST(metadata.manifest("app", first.digest).has_value());  // untagged, still there by digest

  ManifestRecord changed = first;
  changed.references = {sha256("b")};
  metadata.put_manifest("app", changed, std::string("old"));
  BOOST_TEST(metadata.manifest("app", first.digest)->references == std::vector<Digest>{sha256("b")});
  BOOST_TEST(metadata.resolve_tag("app", "old") == std::optional<Digest>(first.digest));
}

// The distribution-spec lists tags in "lexical order (i.e. case-insensitive alphanumeric order)"; tags that differ
// only in case follow their bytes, and `last=` pages through that order exactly.
BOOST_AUTO_TEST_CASE_TEMPLATE(tags_are_sorted_case_insensitively_and_paginated, Backend, Backends) {
  Node<Backend> node;
  auto& metadata = node.metadata();
  const ManifestRecord record = manifest_record("m");
  for (const char* tag : {"v1.0", "latest", "Z", "_x", "a", "v1.0-rc1", "b", "V1.0", "A"})
    metadata.put_manifest("app", record, std::string(tag));

  BOOST_TEST(metadata.tags("app", "", 100) ==
                 strings({"_x", "A", "a", "b", "latest", "V1.0", "v1.0", "v1.0-rc1", "Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(metadata.tags("app", "", 2) == strings({"_x", "A"}), boost::test_tools::per_element());
  BOOST_TEST(metadata.tags("app", "A", 3) == strings({"a", "b", "latest"}), boost::test_tools::per_element());
  BOOST_TEST(metadata.tags("app", "c", 100) == strings({"latest", "V1.0", "v1.0", "v1.0-rc1", "Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(metadata.tags("app", "V1.0", 100) == strings({"v1.0", "v1.0-rc1", "Z"}),
             boost::test_tools::per_element());
  BOOST_TEST(metadata.tags("app", "v1.0-rc1", 100) == strings({"Z"}), boost::test_tools::per_element());
  BOOST_TEST(metadata.tags("app", "z", 100).empty());
  BOOST_TEST(metadata.tags("app", "Z", 100).empty());
  BOOST_TEST(metadata.tags("app", "", 0).empty());
  BOOST_TEST(metadata.tags("nothing", "", 100).empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(delete_tag_keeps_the_manifest, Backend, Backends) {
  Node<Backend> node;
  auto& metadata = node.metadata();
  const ManifestRecord record = manifest_record("m");
  metadata.put_manifest("app", record, std::string("v1"));
  metadata.put_manifest("app", record, std::string("v2"));
  BOOST_TEST(metadata.delete_tag("app", "v1"));
  BOOST_TEST(!metadata.delete_tag("app", "v1"));
  BOOST_TEST(!metadata.delete_tag("other", "v2"));
  BOOST_TEST(!metadata.resolve_tag("app", "v1"));
  BOOST_TEST(metadata.tags("app", "", 10) == strings({"v2"}), boost::test_tools::per_element());
  BOOST_TEST(metadata.manifest("app", record.digest).has_value());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(delete_manifest_removes_its_tags_and_references, Backend, Backends) {
  Node<Backend> node;
  auto& metadata = node.metadata();
  const ManifestRecord doomed = manifest_record("doomed", {sha256("only here")});
  const ManifestRecord kept = manifest_record("kept");
  metadata.put_manifest("app", doomed, std::string("a"));
  metadata.put_manifest("app", doomed, std::string("b"));
  metadata.put_manifest("app", kept, std::string("c"));
  metadata.put_manifest("mirror", doomed, std::string("a"));

  BOOST_TEST(metadata.delete_manifest("app", doomed.digest));
  BOOST_TEST(!metadata.delete_manifest("app", doomed.digest));
  BOOST_TEST(!metadata.manifest("app", doomed.digest));
  BOOST_TEST(!metadata.has_manifest("app", doomed.digest));
  BOOST_TEST(metadata.has_manifest("mirror", doomed.digest));
  BOOST_TEST(!metadata.blob_linked("app", doomed.digest));  // its bytes no longer read through the blob route
  BOOST_TEST(metadata.blob_linked("app", kept.digest));
  BOOST_TEST(metadata.blob_linked("mirror", doomed.digest));
  BOOST_TEST(metadata.tags("app", "", 10) == strings({"c"}), boost::test_tools::per_element());
  // Other repositories are untouched.
  BOOST_TEST(metadata.resolve_tag("mirror", "a") == std::optional<Digest>(doomed.digest));

  BOOST_TEST(metadata.delete_manifest("mirror", doomed.digest));
  BOOST_TEST(metadata.referenced_digests() == std::vector<Digest>{kept.digest});
}

// A deleted manifest's digest stays linked while another manifest of the repository names it (as a layer, a config,
// an index's child): that manifest's blobs stay readable and pushable there (SPEC 3.6).
BOOST_AUTO_TEST_CASE_TEMPLATE(a_deleted_manifest_named_by_another_keeps_its_link, Backend, Backends) {
  Node<Backend> node;
  auto& metadata = node.metadata();
  const ManifestRecord named = manifest_record("named");
  const ManifestRecord naming = manifest_record("naming", {named.digest});
  metadata.put_manifest("app", named, std::string("a"));
  metadata.put_manifest("app", naming, std::string("b"));
  BOOST_TEST(metadata.delete_manifest("app", named.digest));
  BOOST_TEST(metadata.blob_linked("app", named.digest));
  BOOST_TEST(metadata.delete_manifest("app", naming.digest));
  BOOST_TEST(!metadata.blob_linked("app", naming.digest));
}

BOOST_AUTO_TEST_CASE_TEMPLATE(referrers_are_filtered_by_subject, Backend, Backends) {
  Node<Backend> node;
  auto& metadata = node.metadata();
  const Digest subject = sha256("image"), other_subject = sha256("other image");
  const ManifestRecord signature = manifest_record("signature", {sha256("sig")}, subject, "application/sig");
  const ManifestRecord sbom = manifest_record("sbom", {sha256("spdx")}, subject, "application/spdx");
  const ManifestRecord elsewhere = manifest_record("elsewhere", {}, other_subject, "application/sig");
  metadata.put_manifest("app", signature, std::nullopt);
  metadata.put_manifest("app", sbom, std::nullopt);
  metadata.put_manifest("app", elsewhere, std::nullopt);
  metadata.put_manifest("app", manifest_record("no subject"), std::nullopt);
  metadata.put_manifest("other", manifest_record("other repo", {}, subject), std::nullopt);

  const auto found = metadata.referrers("app", subject);
  BOOST_REQUIRE(found.size() == 2u);
  BOOST_TEST(found[0].digest < found[1].digest);  // sorted by digest
  for (const auto& record : found) {
    const ManifestRecord& expected = record.digest == signature.digest ? signature : sbom;
    BOOST_TEST(record.digest == expected.digest);
    BOOST_TEST(record.artifact_type == expected.artifact_type);
    BOOST_TEST(record.references == expected.references);
    BOOST_TEST(record.subject == std::optional<Digest>(subject));
  }
  BOOST_TEST(metadata.referrers("app", other_subject).size() == 1u);
  BOOST_TEST(metadata.referrers("app", sha256("nothing")).empty());
  BOOST_TEST(metadata.referrers("nowhere", subject).empty());
}

// What a full resync compares below (the gateway's inventory): every manifest of one repository, tagged or not.
BOOST_AUTO_TEST_CASE_TEMPLATE(manifest_digests_are_a_repositorys_manifests_sorted, Backend, Backends) {
  Node<Backend> node;
  auto& metadata = node.metadata();
  const ManifestRecord tagged = manifest_record("tagged"), untagged = manifest_record("untagged");
  metadata.put_manifest("app", tagged, std::string("v1"));
  metadata.put_manifest("app", untagged, std::nullopt);
  metadata.put_manifest("other", manifest_record("elsewhere"), std::nullopt);
  std::vector<Digest> expected = {tagged.digest, untagged.digest};
  std::sort(expected.begin(), expected.end());
  BOOST_TEST(metadata.manifest_digests("app") == expected, boost::test_tools::per_element());
  BOOST_TEST(metadata.manifest_digests("nothing").empty());
  metadata.delete_manifest("app", untagged.digest);
  BOOST_TEST(metadata.manifest_digests("app") == std::vector<Digest>{tagged.digest}, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(repositories_are_sorted_and_paginated, Backend, Backends) {
  Node<Backend> node;
  auto& metadata = node.metadata();
  metadata.link_blob("b", {sha256("x"), 1});
  metadata.link_blob("a/c", {sha256("x"), 1});
  metadata.put_manifest("d", manifest_record("m"), std::nullopt);
  metadata.link_blob("a", {sha256("y"), 1});
  metadata.put_manifest("a-b", manifest_record("m"), std::string("t"));

  BOOST_TEST(metadata.repositories("", 100) == strings({"a", "a-b", "a/c", "b", "d"}), boost::test_tools::per_element());
  BOOST_TEST(metadata.repositories("", 2) == strings({"a", "a-b"}), boost::test_tools::per_element());
  BOOST_TEST(metadata.repositories("a-b", 2) == strings({"a/c", "b"}), boost::test_tools::per_element());
  BOOST_TEST(metadata.repositories("b", 100) == strings({"d"}), boost::test_tools::per_element());
  BOOST_TEST(metadata.repositories("d", 100).empty());
  BOOST_TEST(metadata.repositories("", 0).empty());
}

BOOST_AUTO_TEST_CASE_TEMPLATE(referenced_digests_span_all_repositories, Backend, Backends) {
  Node<Backend> node;
  auto& metadata = node.metadata();
  const Digest base = sha256("base layer"), app = sha256("app layer"), tool = sha256("tool layer");
  const ManifestRecord first = manifest_record("first", {base, app});
  const ManifestRecord second = manifest_record("second", {base, tool});
  metadata.put_manifest("one", first, std::string("v1"));
  metadata.put_manifest("two", second, std::nullopt);
  metadata.put_manifest("two", first, std::nullopt);
  metadata.link_blob("one", {sha256("unreferenced"), 12});

  std::vector<Digest> expected{base, app, tool, first.digest, second.digest};
  std::sort(expected.begin(), expected.end());
  BOOST_TEST(metadata.referenced_digests() == expected);

  metadata.delete_manifest("one", first.digest);  // still in "two"
  BOOST_TEST(metadata.referenced_digests() == expected);
}

BOOST_AUTO_TEST_CASE_TEMPLATE(linked_since_uses_the_link_time, Backend, Backends) {
  Node<Backend> node;
  auto& metadata = node.metadata();
  const WallTime start = node.clock.now();
  const Digest old_blob = sha256("old"), new_blob = sha256("new");
  metadata.link_blob("a", {old_blob, 3});
  node.clock.advance(std::chrono::minutes(10));
  metadata.link_blob("a", {new_blob, 3});
  metadata.link_blob("b", {new_blob, 3});  // listed once

  BOOST_TEST(metadata.linked_since(start + std::chrono::minutes(5)) == std::vector<Digest>{new_blob});
  std::vector<Digest> both{old_blob, new_blob};
  std::sort(both.begin(), both.end());
  BOOST_TEST(metadata.linked_since(start) == both);  // at or after
  BOOST_TEST(metadata.linked_since(node.clock.now() + std::chrono::seconds(1)).empty());

  node.clock.advance(std::chrono::minutes(10));
  metadata.link_blob("c", {old_blob, 3});  // a fresh link protects the blob again
  BOOST_TEST(metadata.linked_since(node.clock.now()) == std::vector<Digest>{old_blob});

  node.clock.advance(std::chrono::minutes(10));
  const ManifestRecord record = manifest_record("manifest");
  metadata.put_manifest("a", record, std::nullopt);  // a manifest links its own digest
  BOOST_TEST(metadata.linked_since(node.clock.now()) == std::vector<Digest>{record.digest});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(forget_blob_removes_every_link, Backend, Backends) {
  Node<Backend> node;
  auto& metadata = node.metadata();
  const Digest doomed = sha256("doomed"), kept = sha256("kept");
  metadata.link_blob("a", {doomed, 6});
  metadata.link_blob("b", {doomed, 6});
  metadata.link_blob("b", {kept, 4});
  metadata.forget_blob(doomed);
  BOOST_TEST(!metadata.blob_linked("a", doomed));
  BOOST_TEST(!metadata.blob_linked("b", doomed));
  BOOST_TEST(metadata.blob_linked("b", kept));
  BOOST_TEST(metadata.linked_since(WallTime{}) == std::vector<Digest>{kept});
}

BOOST_AUTO_TEST_CASE_TEMPLATE(concurrent_writers_lose_nothing, Backend, Backends) {
  Node<Backend> node;
  constexpr int kThreads = 4, kPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string repository = "repo" + std::to_string(t);
      for (int i = 0; i < kPerThread; ++i) {
        const std::string content = repository + "/" + std::to_string(i);
        node.metadata().link_blob(repository, {sha256(content), content.size()});
        node.metadata().put_manifest(repository, manifest_record(content, {sha256(content + " layer")}),
                                     "t" + std::to_string(100 + i));
      }
    });
  }
  for (auto& thread : threads) thread.join();
  BOOST_TEST(node.metadata().repositories("", 100).size() == static_cast<size_t>(kThreads));
  for (int t = 0; t < kThreads; ++t)
    BOOST_TEST(node.metadata().tags("repo" + std::to_string(t), "", 1000).size() == static_cast<size_t>(kPerThread));
  BOOST_TEST(node.metadata().referenced_digests().size() == static_cast<size_t>(2 * kThreads * kPerThread));
}

BOOST_AUTO_TEST_SUITE_END()
