// A full resync pulls several tags at once (ContentSync, kTagsInFlight): a blob two of them need at the same time
// crosses the link once, and each repository still gets it.
#include <boost/test/unit_test.hpp>

#include "tests/unit/sync/hierarchy_world.h"

namespace outpost::test {

namespace {
using namespace std::chrono_literals;
}  // namespace

BOOST_AUTO_TEST_SUITE(resync_concurrency)

BOOST_AUTO_TEST_CASE(a_blob_wanted_by_two_tags_pulled_at_once_is_fetched_once_and_linked_in_both_repositories) {
  HierarchyWorld world;
  // The same image (config and layer) in two repositories, held at the cloud before the child starts: its first round
  // is a full resync that pulls both tags at once, and both want the same two blobs at the same moment.
  const std::string digest = world.push_image("cloud:5000", world.admin(), "apps/one", "1", "shared");
  BOOST_REQUIRE_EQUAL(world.push_image("cloud:5000", world.admin(), "apps/two", "1", "shared"), digest);
  const auto store = world.add_connected_registry(
      "store", {{"mode", "ReadOnly"}, {"parent", nullptr}, {"repositories", {"apps/*"}}}, kReadApps);
  BOOST_REQUIRE(world.run_until([&] { return world.node("store").node->agent()->ready(); }, 1min));

  BOOST_TEST(world.tag_digest("store:5000", store, "apps/one", "1") == digest);
  BOOST_TEST(world.tag_digest("store:5000", store, "apps/two", "1") == digest);
  const auto& network = world.network();
  const uint64_t fetched = network.requests_between("store", "cloud:5000", "/v2/apps/one/blobs/") +
                           network.requests_between("store", "cloud:5000", "/v2/apps/two/blobs/");
  BOOST_TEST(fetched == 2u);  // the config and the layer, once each: fetched in parallel they would cross twice
  BOOST_TEST(network.requests_between("store", "cloud:5000", "/v2/apps/one/manifests/") == 1u);
  BOOST_TEST(network.requests_between("store", "cloud:5000", "/v2/apps/two/manifests/") == 1u);
  for (const std::string repository : {"apps/one", "apps/two"}) {
    const auto manifest = world.call("store:5000", http::Method::Get, "/v2/" + repository + "/manifests/1", store);
    BOOST_REQUIRE_EQUAL(manifest.status, 200);
    const nlohmann::json parsed = nlohmann::json::parse(manifest.body);  // named: a range-for over a temporary's member dangles
    for (const auto& blob : parsed["layers"]) {
      const auto got = world.call("store:5000", http::Method::Get,
                                  "/v2/" + repository + "/blobs/" + blob["digest"].get<std::string>(), store);
      BOOST_TEST(got.status == 200, repository);
      BOOST_TEST(oci::digest_of(got.body).str() == blob["digest"].get<std::string>());
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::test
