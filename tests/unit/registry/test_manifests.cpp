#include <boost/test/unit_test.hpp>

#include <atomic>
#include <future>
#include <thread>

#include "tests/unit/registry/registry_fixture.h"

using namespace outpost;
using namespace outpost::testing;
using http::Method;

namespace {
http::Headers content_type(const std::string& type) {
  http::Headers headers;
  headers.set("Content-Type", type);
  return headers;
}
const std::string kOciManifest = "application/vnd.oci.image.manifest.v1+json";
const std::string kOciIndex = "application/vnd.oci.image.index.v1+json";
}  // namespace

BOOST_FIXTURE_TEST_SUITE(manifests, RegistryFixture)

BOOST_AUTO_TEST_CASE(push_and_pull_by_tag_and_digest) {
  oci::Digest digest;
  const std::string bytes = client.push_image("app", "v1", "{\"config\":1}", {"layer-a", "layer-b"}, &digest);
  for (const std::string& reference : {std::string("v1"), digest.str()}) {
    const Reply reply = client.get("/v2/app/manifests/" + reference);
    BOOST_TEST(reply.status == 200);
    BOOST_TEST(reply.body == bytes);
    BOOST_TEST(reply.header("Docker-Content-Digest") == digest.str());
    BOOST_TEST(reply.header("Content-Type") == kOciManifest);
  }
  const Reply head = client.head("/v2/app/manifests/v1");
  BOOST_TEST(head.body.empty());
  BOOST_TEST(head.header("Content-Length") == std::to_string(bytes.size()));
}

BOOST_AUTO_TEST_CASE(missing_blob_is_refused) {
  const std::string manifest = nlohmann::json{
      {"schemaVersion", 2},
      {"mediaType", kOciManifest},
      {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                  {"digest", oci::digest_of("absent config").str()},
                  {"size", 13}}},
      {"layers", nlohmann::json::array()}}.dump();
  const Reply reply = client.send(Method::Put, "/v2/app/manifests/v1", manifest, content_type(kOciManifest));
  BOOST_TEST(reply.status == 400);
  BOOST_TEST(reply.error_code() == "MANIFEST_BLOB_UNKNOWN");
  BOOST_TEST(client.get("/v2/app/manifests/v1").status == 404);
}

// Windows base layers and other non-distributable content: a layer with urls is fetched from them, and clients do
// not upload it (image-spec: such layers SHOULD NOT be uploaded), so its absence does not refuse the manifest. The
// config is needed here all the same.
BOOST_AUTO_TEST_CASE(a_layer_with_urls_need_not_be_held) {
  const auto config = client.push_blob("app", "{}");
  const std::string foreign = oci::digest_of("windows base layer").str();
  nlohmann::json manifest = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.docker.distribution.manifest.v2+json"},
      {"config", {{"mediaType", "application/vnd.docker.container.image.v1+json"}, {"digest", config.str()}, {"size", 2}}},
      {"layers",
       {{{"mediaType", "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"},
         {"digest", foreign},
         {"size", 18},
         {"urls", {"https://mcr.example/v2/windows/blobs/" + foreign}}}}}};
  const std::string type = "application/vnd.docker.distribution.manifest.v2+json";
  BOOST_TEST(client.send(Method::Put, "/v2/app/manifests/ltsc", manifest.dump(), content_type(type)).status == 201);
  BOOST_TEST(client.get("/v2/app/manifests/ltsc").status == 200);
  BOOST_TEST(client.get("/v2/app/blobs/" + foreign).status == 404);  // not served: nobody uploaded it

  // The same layer without urls names a blob this registry must hold.
  manifest["layers"][0].erase("urls");
  const Reply without = client.send(Method::Put, "/v2/app/manifests/plain", manifest.dump(), content_type(type));
  BOOST_TEST(without.error_code() == "MANIFEST_BLOB_UNKNOWN");
  // A config with urls is still needed.
  manifest["layers"] = nlohmann::json::array();
  manifest["config"]["digest"] = oci::digest_of("absent config").str();
  manifest["config"]["urls"] = {"https://example.com/config"};
  const Reply config_absent = client.send(Method::Put, "/v2/app/manifests/cfg", manifest.dump(), content_type(type));
  BOOST_TEST(config_absent.error_code() == "MANIFEST_BLOB_UNKNOWN");
}

BOOST_AUTO_TEST_CASE(blob_of_another_repository_does_not_count) {
  client.push_blob("other", "cfg");
  const std::string manifest = nlohmann::json{
      {"schemaVersion", 2},
      {"mediaType", kOciManifest},
      {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                  {"digest", oci::digest_of("cfg").str()},
                  {"size", 3}}},
      {"layers", nlohmann::json::array()}}.dump();
  BOOST_TEST(client.send(Method::Put, "/v2/app/manifests/v1", manifest, content_type(kOciManifest)).error_code() ==
             "MANIFEST_BLOB_UNKNOWN");
}

BOOST_AUTO_TEST_CASE(invalid_and_oversized_manifests) {
  BOOST_TEST(client.send(Method::Put, "/v2/app/manifests/v1", "not json", content_type(kOciManifest)).error_code() ==
             "MANIFEST_INVALID");
  const std::string huge(4 * 1024 * 1024 + 1, ' ');
  const Reply big = client.send(Method::Put, "/v2/app/manifests/v1", huge, content_type(kOciManifest));
  BOOST_TEST(big.status == 413);
  BOOST_TEST(big.error_code() == "MANIFEST_INVALID");
  BOOST_TEST(client.send(Method::Put, "/v2/app/manifests/-bad-tag", "{}", content_type(kOciManifest)).error_code() ==
             "TAG_INVALID");
}

BOOST_AUTO_TEST_CASE(a_manifest_that_is_not_utf8_is_invalid_not_a_server_error) {
  // The parse error quotes the byte it stopped at; the error body once failed to encode it (500 UNKNOWN).
  const std::string manifest = "{\"schemaVersion\":2,\"annotations\":{\"k\":\"\xff\"}}";
  const Reply reply = client.send(Method::Put, "/v2/app/manifests/v1", manifest, content_type(kOciManifest));
  BOOST_TEST(reply.status == 400);
  BOOST_TEST(reply.error_code() == "MANIFEST_INVALID");
  BOOST_TEST(nlohmann::json::accept(reply.body));
}

BOOST_AUTO_TEST_CASE(the_same_bytes_under_another_type_are_refused) {
  // Without a mediaType field the Content-Type says what a manifest is. Pushed again as another type, the same bytes
  // (the same digest) once retyped the stored manifest and every tag on it.
  client.push_image("app", "base", "c", {"l"});
  const std::string bytes =
      nlohmann::json{{"schemaVersion", 2},
                     {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                 {"digest", oci::digest_of("c").str()},
                                 {"size", 1}}},
                     {"layers", nlohmann::json::array()}}
          .dump();
  BOOST_TEST(client.send(Method::Put, "/v2/app/manifests/a", bytes, content_type(kOciManifest)).status == 201);
  const Reply retyped =
      client.send(Method::Put, "/v2/app/manifests/b", bytes, content_type("application/vnd.docker.distribution.manifest.v2+json"));
  BOOST_TEST(retyped.status == 400);
  BOOST_TEST(retyped.error_code() == "MANIFEST_INVALID");
  BOOST_TEST(retyped.body.find("is stored as " + kOciManifest) != std::string::npos, retyped.body);
  BOOST_TEST(client.get("/v2/app/manifests/a").header("Content-Type") == kOciManifest);
  BOOST_TEST(client.get("/v2/app/manifests/b").status == 404);
  // The same bytes as the same type: another tag, as ever.
  BOOST_TEST(client.send(Method::Put, "/v2/app/manifests/b", bytes, content_type(kOciManifest)).status == 201);
}

BOOST_AUTO_TEST_CASE(invalid_reference_reads_as_unknown) {
  const Reply get = client.get("/v2/app/manifests/.INVALID_MANIFEST_NAME");
  BOOST_TEST(get.status == 404);
  BOOST_TEST(get.error_code() == "MANIFEST_UNKNOWN");
  BOOST_TEST(client.head("/v2/app/manifests/.INVALID_MANIFEST_NAME").status == 404);
  BOOST_TEST(client.send(Method::Delete, "/v2/app/manifests/.bad").status == 404);
}

BOOST_AUTO_TEST_CASE(digest_in_url_must_match) {
  oci::Digest digest;
  const std::string bytes = client.push_image("app", "v1", "c", {"l"}, &digest);
  const Reply ok = client.send(Method::Put, "/v2/app/manifests/" + digest.str(), bytes, content_type(kOciManifest));
  BOOST_TEST(ok.status == 201);
  const Reply wrong = client.send(Method::Put, "/v2/app/manifests/" + oci::digest_of("x").str(), bytes,
                                  content_type(kOciManifest));
  BOOST_TEST(wrong.error_code() == "DIGEST_INVALID");
}

BOOST_AUTO_TEST_CASE(index_needs_its_children) {
  oci::Digest child;
  const std::string child_bytes = client.push_image("app", "amd64", "c", {"l"}, &child);
  auto index = [&](const oci::Digest& digest) {
    return nlohmann::json{{"schemaVersion", 2},
                          {"mediaType", kOciIndex},
                          {"manifests", {{{"mediaType", kOciManifest}, {"digest", digest.str()}, {"size", 10}}}}}
        .dump();
  };
  BOOST_TEST(client.send(Method::Put, "/v2/app/manifests/multi", index(child), content_type(kOciIndex)).status == 201);
  BOOST_TEST(client.send(Method::Put, "/v2/app/manifests/bad", index(oci::digest_of("nope")), content_type(kOciIndex))
                 .error_code() == "MANIFEST_BLOB_UNKNOWN");
}

BOOST_AUTO_TEST_CASE(accept_header_negotiation) {
  client.push_image("app", "v1", "c", {"l"});
  http::Headers docker_only;
  docker_only.set("Accept", "application/vnd.docker.distribution.manifest.v2+json");
  BOOST_TEST(client.get("/v2/app/manifests/v1", docker_only).error_code() == "MANIFEST_UNKNOWN");
  http::Headers both;
  both.add("Accept", "application/vnd.docker.distribution.manifest.v2+json");
  both.add("Accept", kOciManifest + ";q=0.9");
  BOOST_TEST(client.get("/v2/app/manifests/v1", both).status == 200);
  // Media types compare without regard to case, and q=0 refuses a type (RFC 9110).
  http::Headers upper;
  upper.set("Accept", "APPLICATION/VND.OCI.IMAGE.MANIFEST.V1+JSON");
  BOOST_TEST(client.get("/v2/app/manifests/v1", upper).status == 200);
  http::Headers refused;
  refused.set("Accept", kOciManifest + "; q=0, application/vnd.docker.distribution.manifest.v2+json");
  BOOST_TEST(client.get("/v2/app/manifests/v1", refused).error_code() == "MANIFEST_UNKNOWN");
  http::Headers wildcard_refused;
  wildcard_refused.set("Accept", "*/*;q=0.000");
  BOOST_TEST(client.get("/v2/app/manifests/v1", wildcard_refused).status == 404);
  // The most specific range decides (RFC 9110 12.5.1): a type refused by name stays refused beside "*/*" (it was
  // served), and a type named is taken even when its "type/*" is refused.
  const auto status_with = [&](const std::string& accept) {
    http::Headers headers;
    headers.set("Accept", accept);
    return client.get("/v2/app/manifests/v1", headers).status;
  };
  BOOST_TEST(status_with(kOciManifest + ";q=0, */*") == 404);
  BOOST_TEST(status_with("*/*, " + kOciManifest + ";q=0") == 404);
  BOOST_TEST(status_with("application/*;q=0, " + kOciManifest) == 200);
  BOOST_TEST(status_with("application/*") == 200);
  BOOST_TEST(status_with("application/*;q=0, */*") == 404);
  BOOST_TEST(status_with("text/*") == 404);
}

BOOST_AUTO_TEST_CASE(delete_by_tag_untags_and_by_digest_removes) {
  oci::Digest digest;
  client.push_image("app", "v1", "c", {"l"}, &digest);
  client.push_image("app", "v2", "c", {"l"});
  BOOST_TEST(client.send(Method::Delete, "/v2/app/manifests/v1").status == 202);
  BOOST_TEST(client.get("/v2/app/manifests/v1").status == 404);
  BOOST_TEST(client.get("/v2/app/manifests/" + digest.str()).status == 200);
  BOOST_TEST(client.send(Method::Delete, "/v2/app/manifests/" + digest.str()).status == 202);
  BOOST_TEST(client.get("/v2/app/manifests/" + digest.str()).error_code() == "MANIFEST_UNKNOWN");
  BOOST_TEST(client.get("/v2/app/manifests/v2").status == 404);  // v2 pointed at the same bytes
  BOOST_TEST(client.send(Method::Delete, "/v2/app/manifests/" + digest.str()).status == 404);
}

// A manifest declared larger than the limit is refused before its body (no "100 Continue" inviting it); one within
// the limit is not decided before its body.
BOOST_AUTO_TEST_CASE(an_oversized_manifest_is_decided_before_its_body) {
  const auto oversized = registry.start(request_for(Method::Put, "/v2/app/manifests/v1", 5u << 20));
  BOOST_TEST(oversized->decided());
  // Decided, it reads at most kDecidedBodyDrain of the body a client sends anyway (it read up to 64 MiB).
  const std::string piece(64 * 1024, 'x');
  size_t fed = 0;
  while (fed < (5u << 20)) {
    fed += piece.size();
    if (!oversized->on_body(piece)) break;
  }
  BOOST_TEST(fed <= http::kDecidedBodyDrain);
  BOOST_TEST(oversized->finish().status == 413);
  BOOST_TEST(!registry.start(request_for(Method::Put, "/v2/app/manifests/v1", 1000))->decided());
}

// A manifest's bytes read through the blob route while it is there; deleted, they are gone from that route too, and
// cannot be mounted into another repository from this one (SPEC 3.6: nothing here references them any more).
BOOST_AUTO_TEST_CASE(a_deleted_manifest_is_gone_from_the_blob_route_too) {
  oci::Digest digest;
  client.push_image("app", "v1", "c", {"l"}, &digest);
  BOOST_TEST(client.get("/v2/app/blobs/" + digest.str()).status == 200);
  BOOST_TEST(client.send(Method::Delete, "/v2/app/manifests/" + digest.str()).status == 202);
  BOOST_TEST(client.get("/v2/app/blobs/" + digest.str()).error_code() == "BLOB_UNKNOWN");
  BOOST_TEST(client.send(Method::Head, "/v2/app/blobs/" + digest.str()).status == 404);
  BOOST_TEST(client.send(Method::Delete, "/v2/app/blobs/" + digest.str()).status == 404);
  // Not mounted: a mount that finds nothing to link starts an upload session instead (202).
  BOOST_TEST(client.send(Method::Post, "/v2/other/blobs/uploads/?mount=" + digest.str() + "&from=app").status == 202);
}

BOOST_AUTO_TEST_CASE(subject_header_and_referrers) {
  oci::Digest subject;
  client.push_image("app", "v1", "c", {"l"}, &subject);
  const auto empty = client.push_blob("app", "{}");
  const std::string artifact =
      nlohmann::json{{"schemaVersion", 2},
                     {"mediaType", kOciManifest},
                     {"artifactType", "application/vnd.example.sbom"},
                     {"config", {{"mediaType", "application/vnd.oci.empty.v1+json"}, {"digest", empty.str()}, {"size", 2}}},
                     {"layers", nlohmann::json::array()},
                     {"subject", {{"mediaType", kOciManifest}, {"digest", subject.str()}, {"size", 100}}},
                     {"annotations", {{"org.example", "yes"}}}}
          .dump();
  const Reply pushed =
      client.send(Method::Put, "/v2/app/manifests/" + oci::digest_of(artifact).str(), artifact, content_type(kOciManifest));
  BOOST_TEST(pushed.status == 201);
  BOOST_TEST(pushed.header("OCI-Subject") == subject.str());

  const auto index = nlohmann::json::parse(client.get("/v2/app/referrers/" + subject.str()).body);
  BOOST_TEST(index["manifests"].size() == 1u);
  BOOST_TEST(index["manifests"][0]["artifactType"] == "application/vnd.example.sbom");
  BOOST_TEST(index["manifests"][0]["annotations"]["org.example"] == "yes");
  const Reply filtered = client.get("/v2/app/referrers/" + subject.str() + "?artifactType=application/other");
  BOOST_TEST(filtered.header("OCI-Filters-Applied") == "artifactType");
  BOOST_TEST(nlohmann::json::parse(filtered.body)["manifests"].empty());
  const Reply empty_filter = client.get("/v2/app/referrers/" + subject.str() + "?artifactType=");
  BOOST_TEST(empty_filter.header("OCI-Filters-Applied").empty());  // an empty artifactType filters nothing
  BOOST_TEST(nlohmann::json::parse(empty_filter.body)["manifests"].size() == 1u);
  const Reply none = client.get("/v2/app/referrers/" + oci::digest_of("no subject").str());
  BOOST_TEST(none.status == 200);
  BOOST_TEST(none.header("Content-Type") == kOciIndex);
}

BOOST_AUTO_TEST_SUITE_END()

// A connected registry journals a client's manifest PUT through on_change, and its sync agent decides a parent's
// delete of a manifest under the manifest lock: the PUT must be journalled before it lets the lock go. Told after,
// the delete could land between the store and the journal entry, and the acknowledged push was lost.
BOOST_FIXTURE_TEST_CASE(a_stored_manifest_is_reported_before_the_manifest_lock_is_let_go, RegistryFixture) {
  storage::Storage& held_storage = *this->storage;
  registry::RegistryOptions options;
  std::vector<bool> lock_free;  // whether the commit lock could be taken alone, at each report
  options.on_change = [&](const oci::ContentChange&) {
    // Asked from another thread: this one may hold the lock shared, and try_lock on a lock it holds is undefined.
    const bool free = std::async(std::launch::async, [&] {
                        const bool taken = held_storage.manifest_lock.try_lock();
                        if (taken) held_storage.manifest_lock.unlock();
                        return taken;
                      }).get();
    lock_free.push_back(free);
  };
  registry::Registry reporting{held_storage, clock, random, this->policy, options};
  InProcessClient reporting_client{reporting};
  reporting_client.push_image("app", "v1", "{\"config\":1}", {"layer"});
  BOOST_TEST_REQUIRE(lock_free.size() == 1u);
  BOOST_TEST(!lock_free[0]);
}

// Concurrent pushes of one tag are told (on_change: the children's message log, the push-up journal) in the order
// they were stored: each is told while what it stored is still the tag's value. Told out of order, a child applying
// the messages in turn ended at the older value while this node kept the newer, for good (found in review). Four
// threads push 50 manifests each to one tag; without the order, some are told after another push moved the tag.
BOOST_FIXTURE_TEST_CASE(concurrent_pushes_of_a_tag_are_told_in_the_order_they_were_stored, RegistryFixture) {
  storage::Storage& shared = *this->storage;
  std::atomic<int> told{0}, told_after_a_later_store{0};
  registry::RegistryOptions options;
  options.on_change = [&](const oci::ContentChange& change) {
    ++told;
    if (change.tag && shared.metadata->resolve_tag(change.repository, *change.tag) != change.digest)
      ++told_after_a_later_store;
  };
  registry::Registry ordered{shared, clock, random, this->policy, options};
  InProcessClient setup{ordered};
  const oci::Digest config = setup.push_blob("app", "{}");
  told = 0;
  std::vector<std::thread> pushers;
  for (int thread = 0; thread < 4; ++thread) {
    pushers.emplace_back([&, thread] {
      InProcessClient client{ordered};
      for (int i = 0; i < 50; ++i) {
        const std::string manifest =
            nlohmann::json{{"schemaVersion", 2},
                           {"mediaType", kOciManifest},
                           {"config", {{"mediaType", "application/vnd.oci.image.config.v1+json"},
                                       {"digest", config.str()}, {"size", 2}}},
                           {"layers", nlohmann::json::array()},
                           {"annotations", {{"push", std::to_string(thread) + "-" + std::to_string(i)}}}}
                .dump();
        client.send(Method::Put, "/v2/app/manifests/latest", manifest, content_type(kOciManifest));
      }
    });
  }
  for (auto& pusher : pushers) pusher.join();
  BOOST_TEST(told.load() == 200);
  BOOST_TEST(told_after_a_later_store.load() == 0);
}
