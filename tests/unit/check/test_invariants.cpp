// Each invariant fires on a planted misbehaviour and stays quiet on correct input. The misbehaviour is planted in
// what the checks are shown (a fabricated observation, a blob store that lies, a node that never catches up), so
// every test here could fail: a checker that never reports, or always does, is caught.
#include <boost/test/unit_test.hpp>

#include "reference/auth/base64.h"
#include "reference/common/random.h"
#include "reference/oci/digest.h"
#include "simulator/check/blob_integrity_invariant.h"
#include "simulator/check/blob_read_invariant.h"
#include "simulator/check/content.h"
#include "simulator/check/convergence_invariant.h"
#include "simulator/check/decision_invariant.h"
#include "simulator/check/enforcement_invariant.h"
#include "simulator/check/push_invariant.h"
#include "simulator/check/read_only_invariant.h"
#include "tests/unit/check/world_fixture.h"

using namespace outpost;
using namespace outpost::check;
using namespace outpost::check::testing;
using namespace std::chrono_literals;

namespace {

// The small world with a password for every client token, known to the book.
struct Checked {
  World world = small_world();
  CredentialBook book;
  Checked() {
    for (const auto& [name, token] : world.tokens)
      book.remember_password(name, name + "-password1", {0, token.passwords[0].serial});
  }
};

ObservedDecision decision(WallTime time, const std::string& node, http::Method method, const std::string& path,
                          const std::string& token, Outcome outcome = {}) {
  return observed_at(time, node, method, path, token.empty() ? "" : basic_header(token, token + "-password1"),
                     std::move(outcome));
}

Outcome refused(int status, std::string code, std::string message, std::string scope = "") {
  Outcome outcome;
  outcome.status = status;
  outcome.code = std::move(code);
  outcome.message = std::move(message);
  outcome.challenge = status == 401;
  outcome.challenge_scope = std::move(scope);
  return outcome;
}

class FixedClock final : public Clock {
 public:
  WallTime now() const override { return kStart; }
  Nanoseconds monotonic() const override { return {}; }
};

// A blob store that lists one blob and serves other bytes for it: storage corruption.
class LyingBlobStore final : public storage::BlobStore {
 public:
  std::optional<uint64_t> size_of(const oci::Digest&) override { return 5; }
  std::unique_ptr<storage::BlobReader> open(const oci::Digest&) override {
    struct Reader final : storage::BlobReader {
      uint64_t size() const override { return 5; }
      size_t read_at(uint64_t offset, std::span<char> out) override {
        const std::string bytes = "jello";
        const size_t n = offset >= bytes.size() ? 0 : std::min(out.size(), bytes.size() - offset);
        std::copy_n(bytes.data() + offset, n, out.data());
        return n;
      }
    };
    return std::make_unique<Reader>();
  }
  storage::BlobInfo put(std::string_view) override { return {}; }
  bool remove(const oci::Digest&) override { return false; }
  std::vector<storage::BlobInfo> list() override { return {{oci::digest_of("hello"), 5}}; }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(invariants)

BOOST_AUTO_TEST_CASE(violations_name_seed_time_node_invariant_and_last_events) {
  ViolationLog log(1234, [] { return std::vector<std::string>{"event 1", "event 2"}; });
  std::vector<std::string> seen;
  log.on_violation = [&](const Violation& v) { seen.push_back(v.invariant); };
  log.report(t0, "leaf:5000", invariant::kConvergence, "not there");
  BOOST_TEST_REQUIRE(log.violations().size() == 1u);
  const Violation& v = log.violations()[0];
  BOOST_TEST(v.seed == 1234u);
  BOOST_TEST((v.time == t0));
  BOOST_TEST(v.node == "leaf:5000");
  BOOST_TEST(v.invariant == "convergence");
  BOOST_TEST(v.last_events.size() == 2u);
  BOOST_TEST(describe(v).find("seed 1234") != std::string::npos);
  BOOST_TEST(describe(v).find("event 2") != std::string::npos);
  BOOST_TEST(seen.size() == 1u);
}

// (i)
BOOST_AUTO_TEST_CASE(a_decision_differing_from_the_oracle_fires) {
  Checked c;
  const WorldHistory history(c.world, kStart);
  ViolationLog log(7);
  DecisionInvariant decisions(history, c.book, log);
  // Correct: a pull by a listed client, a 401 for a token not listed, a 403 with the SPEC's words.
  BOOST_TEST(
      decisions.observe(decision(t0, "leaf:5000", http::Method::Get, "/v2/samples/app/manifests/v1", "leaf-client")));
  BOOST_TEST(decisions.observe(
      decision(t0, "leaf:5000", http::Method::Get, "/v2/samples/app/manifests/v1", "other-client",
               refused(401, "UNAUTHORIZED", "authentication required", "repository:samples/app:pull"))));
  BOOST_TEST(
      decisions.observe(decision(t0, "leaf:5000", http::Method::Put, "/v2/samples/app/manifests/v1", "mid-client",
                                 refused(403, "DENIED", "This operation is not allowed on this registry."))));
  BOOST_TEST(log.empty(), log.summary());
  // Planted: a token no CR lists let in; a wrong refusal code; a 401 naming the wrong scope.
  BOOST_TEST(
      !decisions.observe(decision(t0, "leaf:5000", http::Method::Get, "/v2/samples/app/manifests/v1", "other-client")));
  BOOST_TEST(
      !decisions.observe(decision(t0, "leaf:5000", http::Method::Put, "/v2/samples/app/manifests/v1", "mid-client",
                                  refused(403, "DENIED", "Insufficient scopes to perform the operation"))));
  BOOST_TEST(
      !decisions.observe(decision(t0, "leaf:5000", http::Method::Get, "/v2/samples/app/manifests/v1", "",
                                  refused(401, "UNAUTHORIZED", "authentication required", "repository:x:pull"))));
  BOOST_TEST(log.count(invariant::kDecisionMatchesOracle) == 3u);
  BOOST_TEST(log.violations()[0].node == "leaf:5000");
  BOOST_TEST(log.violations()[0].seed == 7u);
  BOOST_TEST(log.violations()[0].detail.find("other-client") != std::string::npos, log.violations()[0].detail);
  BOOST_TEST(decisions.judged() == 6u);
  // A node the World does not know is not judged.
  BOOST_TEST(decisions.observe(decision(t0, "elsewhere:1", http::Method::Get, "/v2/", "leaf-client")));
  BOOST_TEST(decisions.unjudged() == 1u);
}

// (ii)
BOOST_AUTO_TEST_CASE(a_write_accepted_on_a_read_only_node_fires) {
  Checked c;
  const WorldHistory history(c.world, kStart);
  ViolationLog log;
  ReadOnlyInvariant read_only(history, log);
  BOOST_TEST(
      read_only.observe(decision(t0, "mid:5000", http::Method::Put, "/v2/samples/app/manifests/v1", "mid-client")));
  BOOST_TEST(
      read_only.observe(decision(t0, "leaf:5000", http::Method::Get, "/v2/samples/app/manifests/v1", "mid-client")));
  BOOST_TEST(
      read_only.observe(decision(t0, "leaf:5000", http::Method::Put, "/v2/samples/app/manifests/v1", "mid-client",
                                 refused(403, "DENIED", "This operation is not allowed on this registry."))));
  BOOST_TEST(
      read_only.observe_response(t0, "leaf:5000", http::Method::Delete, "/v2/samples/app/manifests/v1", "", 403));
  BOOST_TEST(read_only.observe_response(t0, "leaf:5000", http::Method::Get, "/v2/samples/app/manifests/v1", "", 200));
  BOOST_TEST(log.empty(), log.summary());
  BOOST_TEST(!read_only.observe(
      decision(t0, "leaf:5000", http::Method::Post, "/v2/samples/app/blobs/uploads/", "mid-client")));
  BOOST_TEST(
      !read_only.observe_response(t0, "leaf:5000", http::Method::Delete, "/v2/samples/app/manifests/v1", "", 202));
  BOOST_TEST(log.count(invariant::kNoWriteOnReadOnly) == 2u);
}

// (iii)
BOOST_AUTO_TEST_CASE(a_node_that_never_converges_fires_once_after_the_deadline) {
  const World world = small_world();
  NodeContent cloud;
  cloud.repositories["samples/app"] = {{{"v1", "sha256:m1"}}, {{"sha256:m1", {"sha256:b1"}}}, {"sha256:b1"}, {}};
  cloud.repositories["prod/app"] = {{{"v1", "sha256:m2"}}, {{"sha256:m2", {"sha256:b2"}}}, {"sha256:b2"}, {}};
  NodeContent leaf_caught_up;
  leaf_caught_up.repositories["samples/app"] = cloud.repositories["samples/app"];
  NodeContent leaf_stale = leaf_caught_up;
  leaf_stale.repositories["samples/app"].tags["v1"] = "sha256:old";

  ViolationLog log;
  ConvergenceInvariant convergence(log, 30s);
  convergence.healed(t0);
  BOOST_TEST(node_differences(cloud, world, cr("leaf"), leaf_caught_up).empty());
  BOOST_TEST(!convergence.observe(t0 + 10s, "leaf:5000", node_differences(cloud, world, cr("leaf"), leaf_stale)));
  BOOST_TEST(log.empty());  // still within the deadline
  BOOST_TEST(!convergence.observe(t0 + 31s, "leaf:5000", node_differences(cloud, world, cr("leaf"), leaf_stale)));
  BOOST_TEST(!convergence.observe(t0 + 40s, "leaf:5000", node_differences(cloud, world, cr("leaf"), leaf_stale)));
  BOOST_TEST(log.count(invariant::kConvergence) == 1u);  // once per node and heal
  BOOST_TEST(log.violations()[0].detail.find("samples/app:v1: sha256:old, expected sha256:m1") != std::string::npos,
             log.violations()[0].detail);
  // A node that converged in time is quiet and timed.
  BOOST_TEST(convergence.observe(t0 + 12s, "mid:5000", node_differences(cloud, world, cr("mid"), cloud)));
  BOOST_TEST((convergence.convergence_time("mid:5000") == std::optional<Nanoseconds>(12s)));
  BOOST_TEST(log.count(invariant::kConvergence) == 1u);
}

BOOST_AUTO_TEST_CASE(expected_content_follows_scope_and_mode) {
  const World world = small_world();
  NodeContent cloud;
  cloud.repositories["samples/app"] = {{{"v1", "sha256:m1"}}, {{"sha256:m1", {"sha256:b1"}}}, {"sha256:b1"}, {}};
  cloud.repositories["prod/app"] = {{{"v1", "sha256:m2"}}, {{"sha256:m2", {}}}, {}, {}};
  cloud.repositories["prod/other"] = {{{"v1", "sha256:m3"}}, {{"sha256:m3", {}}}, {}, {}};
  // SPEC 2.5: leaf syncs what it and mid both name; mid holds prod/app too.
  BOOST_TEST(expected_content(cloud, world, cr("leaf")).repositories.size() == 1u);
  BOOST_TEST(expected_content(cloud, world, cr("mid")).repositories.size() == 2u);
  // SPEC 2.8: a ReadWrite CR keeps what left its scope; a ReadOnly one must not hold it.
  NodeContent with_extra = expected_content(cloud, world, cr("leaf"));
  with_extra.repositories["old/thing"] = cloud.repositories["prod/other"];
  BOOST_TEST(node_differences(cloud, world, cr("leaf"), with_extra).size() == 1u);
  NodeContent mid_with_extra = expected_content(cloud, world, cr("mid"));
  mid_with_extra.repositories["old/thing"] = cloud.repositories["prod/other"];
  BOOST_TEST(node_differences(cloud, world, cr("mid"), mid_with_extra).empty());
  // A missing blob is a difference.
  NodeContent no_blob = expected_content(cloud, world, cr("leaf"));
  no_blob.repositories["samples/app"].blobs.clear();
  BOOST_TEST(node_differences(cloud, world, cr("leaf"), no_blob).size() == 1u);
}

BOOST_AUTO_TEST_CASE(content_is_read_through_the_storage_listing) {
  FixedClock clock;
  SeededRandom random(1);
  auto storage = storage::open_memory_storage(clock, random);
  const storage::BlobInfo layer = storage->blobs->put("layer bytes");
  const storage::BlobInfo config = storage->blobs->put("{}");
  storage->metadata->link_blob("samples/app", layer);
  storage->metadata->link_blob("samples/app", config);
  const std::string manifest_bytes = "{\"schemaVersion\":2}";
  const storage::BlobInfo manifest_blob = storage->blobs->put(manifest_bytes);
  storage::ManifestRecord manifest;
  manifest.digest = manifest_blob.digest;
  manifest.media_type = "application/vnd.oci.image.manifest.v1+json";
  manifest.size = manifest_bytes.size();
  manifest.references = {config.digest, layer.digest};
  storage->metadata->put_manifest("samples/app", manifest, std::string("v1"));
  const NodeContent content = read_content(*storage);
  BOOST_TEST_REQUIRE(content.repositories.count("samples/app") == 1u);
  const RepositoryContent& repo = content.repositories.at("samples/app");
  BOOST_TEST(repo.tags.at("v1") == manifest_blob.digest.str());
  BOOST_TEST(repo.blobs.size() == 2u);
  BOOST_TEST(repo.missing.empty());
  BOOST_TEST(stored_manifest(*storage, "samples/app", manifest_blob.digest.str()).value().size() == 2u);
  BOOST_TEST(!stored_manifest(*storage, "samples/other", manifest_blob.digest.str()));
  BOOST_TEST(stored_blob(*storage, "samples/app", layer.digest.str()));
  BOOST_TEST(!stored_blob(*storage, "samples/other", layer.digest.str()));  // one repository's link only
}

// (iv)
BOOST_AUTO_TEST_CASE(a_change_not_enforced_in_time_fires_and_delays_are_measured) {
  Checked c;
  WorldHistory history(c.world, kStart);
  World next = c.world;
  set_client_tokens(next, "leaf", {"leaf-client"});  // mid-client leaves leaf's list at t0
  set_token_status(next, "cloud-user", TokenStatus::Disabled);
  history.record(next, t0);
  ViolationLog log;
  EnforcementInvariant enforcement(history, c.book, log, [](int depth) { return depth * 10s; });
  const std::string pull = "/v2/samples/app/manifests/v1";
  const Outcome unauthorized = refused(401, "UNAUTHORIZED", "authentication required", "repository:samples/app:pull");
  // leaf (depth 2) may lag 20 s: still letting mid-client in after 5 s is fine; refusing it after 8 s proves the
  // change arrived (delay 8 s); letting it in after 25 s is a violation.
  BOOST_TEST(enforcement.observe(decision(t0 + 5s, "leaf:5000", http::Method::Get, pull, "mid-client")));
  BOOST_TEST(enforcement.delays().empty());
  BOOST_TEST(enforcement.observe(decision(t0 + 8s, "leaf:5000", http::Method::Get, pull, "mid-client", unauthorized)));
  BOOST_TEST_REQUIRE(enforcement.delays().size() == 1u);
  BOOST_TEST((enforcement.delays()[0].delay == 8s));
  BOOST_TEST(enforcement.delays()[0].depth == 2);
  BOOST_TEST((enforcement.worst_delay_by_depth().at(2) == 8s));
  BOOST_TEST(log.empty(), log.summary());
  BOOST_TEST(!enforcement.observe(decision(t0 + 25s, "leaf:5000", http::Method::Get, pull, "mid-client")));
  // The cloud may not lag at all (SPEC 4.1: from the next request); the change's own instant may go either way.
  BOOST_TEST(enforcement.observe(decision(t0, "cloud:5000", http::Method::Get, pull, "cloud-user")));
  BOOST_TEST(!enforcement.observe(decision(t0 + 1ms, "cloud:5000", http::Method::Get, pull, "cloud-user")));
  BOOST_TEST(log.count(invariant::kChangesEnforced) == 2u);
  BOOST_TEST(log.count(invariant::kDecisionMatchesOracle) == 0u);  // stale is not wrong
  BOOST_TEST(log.violations()[0].detail.find("not enforced at depth 2") != std::string::npos,
             log.violations()[0].detail);
}

// (v)
BOOST_AUTO_TEST_CASE(an_acknowledged_push_that_never_reaches_the_cloud_fires) {
  ViolationLog log;
  PushInvariant pushes(log, 60s);
  pushes.acknowledged({t0, "mid:5000", "samples/app", "v2", "sha256:m9", {"sha256:c9", "sha256:l9"}});
  pushes.acknowledged({t0, "mid:5000", "samples/app", "v3", "sha256:m8", {"sha256:c8"}});
  pushes.acknowledged({t0, "mid:5000", "samples/app", "v4", "sha256:m7", {"sha256:c7"}});
  std::map<std::string, std::vector<std::string>> cloud_manifests = {{"sha256:m9", {"sha256:l9", "sha256:c9"}},
                                                                     {"sha256:m8", {"sha256:other"}}};
  std::set<std::string> cloud_blobs = {"sha256:c9", "sha256:l9", "sha256:other"};
  auto manifest = [&](std::string_view, std::string_view digest) -> std::optional<std::vector<std::string>> {
    const auto found = cloud_manifests.find(std::string(digest));
    if (found == cloud_manifests.end()) return std::nullopt;
    return found->second;
  };
  auto blob = [&](std::string_view, std::string_view digest) { return cloud_blobs.contains(std::string(digest)); };
  BOOST_TEST(pushes.check(t0 + 10s, manifest, blob) == 2u);  // m9 arrived whole
  BOOST_TEST(pushes.settled() == 1u);
  BOOST_TEST(log.empty());
  BOOST_TEST(pushes.check(t0 + 61s, manifest, blob) == 0u);
  BOOST_TEST(log.count(invariant::kAcknowledgedPushReachesCloud) == 2u);  // m8 arrived with other digests, m7 never
  BOOST_TEST(log.summary().find("other digests") != std::string::npos);
  // A heal restarts the clock; a withdrawn push is no longer expected.
  ViolationLog quiet;
  PushInvariant later(quiet, 60s);
  later.acknowledged({t0, "mid:5000", "samples/app", "v5", "sha256:m6", {}});
  later.acknowledged({t0, "mid:5000", "samples/app", "v6", "sha256:m5", {}});
  later.healed(t0 + 50s);
  later.withdrawn("samples/app", "sha256:m5");
  BOOST_TEST(later.check(t0 + 100s, manifest, blob) == 1u);
  BOOST_TEST(quiet.empty());
}

// (vi)
BOOST_AUTO_TEST_CASE(a_blob_whose_bytes_do_not_match_fires) {
  ViolationLog log;
  BlobIntegrityInvariant integrity(log);
  FixedClock clock;
  SeededRandom random(2);
  auto storage = storage::open_memory_storage(clock, random);
  storage->blobs->put("hello");
  storage->blobs->put(std::string(200'000, 'x'));  // read in several pieces
  BOOST_TEST(integrity.check_store(t0, "mid:5000", *storage->blobs) == 0u);
  BOOST_TEST(integrity.check_bytes(t0, "mid:5000", oci::digest_of("hello").str(), "hello"));
  BOOST_TEST(log.empty());
  LyingBlobStore lying;
  BOOST_TEST(integrity.check_store(t0, "leaf:5000", lying) == 1u);
  BOOST_TEST(!integrity.check_bytes(t0, "leaf:5000", oci::digest_of("hello").str(), "jello"));
  BOOST_TEST(log.count(invariant::kBlobMatchesDigest) == 2u);
  BOOST_TEST(log.violations()[0].node == "leaf:5000");
}

// (vii)
BOOST_AUTO_TEST_CASE(a_blob_read_through_a_repository_the_token_may_not_read_fires) {
  Checked c;
  const WorldHistory history(c.world, kStart);
  ViolationLog log;
  std::set<std::pair<std::string, std::string>> held = {{"samples/app", "sha256:b1"}, {"other/x", "sha256:b2"}};
  BlobReadInvariant reads(
      history, c.book, log, [](int depth) { return depth * 10s; },
      [&](std::string_view, std::string_view repository, std::string_view digest) {
        return held.contains({std::string(repository), std::string(digest)});
      });
  const std::string leaf_client = basic_header("leaf-client", "leaf-client-password1");
  BOOST_TEST(reads.observe({t0, "leaf:5000", leaf_client, "samples/app", "sha256:b1"}));
  BOOST_TEST(reads.observe({t0, "cloud:5000", leaf_client, "samples/app", "sha256:b1"}));
  BOOST_TEST(log.empty(), log.summary());
  // samples/* pull cannot read other/x; and samples/app does not hold b2 (one copy per digest lends nothing).
  BOOST_TEST(!reads.observe({t0, "cloud:5000", leaf_client, "other/x", "sha256:b2"}));
  BOOST_TEST(!reads.observe({t0, "cloud:5000", leaf_client, "samples/app", "sha256:b2"}));
  // A mount lends from its source: the source must be readable.
  BOOST_TEST(!reads.observe({t0, "cloud:5000", leaf_client, "other/x", "sha256:b2", true, "samples/app"}));
  BOOST_TEST(log.count(invariant::kNoReadWithoutRight) == 3u);
}

BOOST_AUTO_TEST_SUITE_END()
