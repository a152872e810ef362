// A world's pulling client (simulator/world/oci_client.h) against a small fake registry: the manifest and every blob
// it pulls are checked against their digests (each blob as its bytes stream in), and a blob that does not match, or an error in place of a blob,
// is told apart and named.
#include <boost/test/unit_test.hpp>

#include <map>
#include <optional>

#include <nlohmann/json.hpp>

#include "reference/common/http.h"
#include "reference/oci/digest.h"
#include "simulator/engine/event_loop.h"
#include "simulator/net/direct_client.h"
#include "simulator/world/http_calls.h"
#include "simulator/world/oci_client.h"

namespace outpost::sim::world {

namespace {

// Serves one manifest (apps/web:v1, naming its digest in Docker-Content-Digest) and the blobs it names, by path;
// anything else is a 404 with an OCI error body.
struct FakeRegistry final : http::Handler {
  std::map<std::string, std::string> bodies;           // path -> body
  std::map<std::string, std::string> content_digests;  // path -> Docker-Content-Digest
  std::unique_ptr<http::Call> start(http::Request request) override {
    http::Response response;
    const auto found = bodies.find(request.path);
    if (found == bodies.end()) {
      response.status = 404;
      response.body = R"({"errors":[{"code":"BLOB_UNKNOWN","message":"blob unknown to registry"}]})";
    } else {
      response.body = found->second;
      if (const auto named = content_digests.find(request.path); named != content_digests.end())
        response.headers.set("Docker-Content-Digest", named->second);
    }
    return http::respond_now(std::move(response));
  }
};

struct Pulled {
  static constexpr const char* kManifestPath = "/v2/apps/web/manifests/v1";
  EventLoop loop;
  DirectNetwork network{loop};
  StopSignal stop{loop};
  FakeRegistry registry;
  std::vector<std::string> layers = {std::string(300'000, 'a'), "the config"};

  Pulled() {
    network.attach("cloud:5000", registry);
    nlohmann::json manifest = {{"schemaVersion", 2},
                               {"config", {{"digest", oci::digest_of(layers[1]).str()}}},
                               {"layers", {{{"digest", oci::digest_of(layers[0]).str()}}}}};
    registry.bodies[kManifestPath] = manifest.dump();
    registry.content_digests[kManifestPath] = oci::digest_of(manifest.dump()).str();
    for (const std::string& layer : layers) registry.bodies["/v2/apps/web/blobs/" + oci::digest_of(layer).str()] = layer;
  }
  std::string path_of(size_t layer) const { return "/v2/apps/web/blobs/" + oci::digest_of(layers[layer]).str(); }

  PullOutcome pull(std::string reference = "v1") {
    std::optional<PullOutcome> outcome;
    const OciEndpoint endpoint{&network.client("client.cloud"), &stop, "cloud:5000", Credentials{"puller", "secret"}};
    run_to_completion(loop, [](OciEndpoint endpoint, std::string reference, std::optional<PullOutcome>* out) -> Task<void> {
      *out = co_await pull_image(endpoint, "apps/web", reference);
    }(endpoint, std::move(reference), &outcome));
    BOOST_REQUIRE(outcome.has_value());
    return *outcome;
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(oci_client)

BOOST_AUTO_TEST_CASE(a_pull_whose_blobs_match_their_digests_is_verified) {
  Pulled world;
  const PullOutcome outcome = world.pull();
  BOOST_TEST(outcome.status == 200);
  BOOST_TEST(outcome.verified);
  BOOST_TEST(outcome.error.empty());
}

BOOST_AUTO_TEST_CASE(a_blob_whose_bytes_do_not_match_its_digest_is_named_and_the_pull_unverified) {
  Pulled world;
  world.registry.bodies[world.path_of(0)].back() = 'b';  // the last byte of 300,000: only a whole digest sees it
  const PullOutcome outcome = world.pull();
  BOOST_TEST(outcome.status == 200);
  BOOST_TEST(!outcome.verified);
  BOOST_TEST(outcome.error.find(oci::digest_of(world.layers[0]).str()) != std::string::npos, outcome.error);
  BOOST_TEST(outcome.error.find("does not match its digest") != std::string::npos, outcome.error);
}

BOOST_AUTO_TEST_CASE(an_error_in_place_of_a_blob_is_its_status_and_the_start_of_its_body) {
  Pulled world;
  world.registry.bodies.erase(world.path_of(1));
  const PullOutcome outcome = world.pull();
  BOOST_TEST(outcome.status == 404);
  BOOST_TEST(!outcome.verified);
  BOOST_TEST(outcome.error.find("404") != std::string::npos, outcome.error);
  BOOST_TEST(outcome.error.find("BLOB_UNKNOWN") != std::string::npos, outcome.error);
}

// A manifest is checked as its blobs are: pulled by tag, against the digest the registry names for it; pulled by
// digest, against that digest. A node serving other bytes than it names fails the pull's verification.
BOOST_AUTO_TEST_CASE(a_manifest_whose_bytes_do_not_match_the_digest_named_leaves_the_pull_unverified) {
  Pulled world;
  const std::string digest = world.registry.content_digests[Pulled::kManifestPath];
  world.registry.bodies["/v2/apps/web/manifests/" + digest] = world.registry.bodies[Pulled::kManifestPath];
  BOOST_TEST(world.pull(digest).verified);

  world.registry.bodies[Pulled::kManifestPath] += " ";  // still the same JSON, other bytes
  const PullOutcome by_tag = world.pull();
  BOOST_TEST(by_tag.status == 200);
  BOOST_TEST(!by_tag.verified);
  BOOST_TEST(by_tag.error.find("does not match the digest " + digest) != std::string::npos, by_tag.error);

  world.registry.bodies["/v2/apps/web/manifests/" + digest] += " ";
  BOOST_TEST(!world.pull(digest).verified);

  world.registry.content_digests.erase(Pulled::kManifestPath);  // pulled by tag and no digest named: nothing to pin
  world.registry.bodies[Pulled::kManifestPath].pop_back();
  const PullOutcome unnamed = world.pull();
  BOOST_TEST(!unnamed.verified);
  BOOST_TEST(unnamed.error.find("(none named)") != std::string::npos, unnamed.error);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::sim::world
