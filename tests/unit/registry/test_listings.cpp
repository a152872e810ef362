#include <boost/test/unit_test.hpp>

#include "tests/unit/registry/registry_fixture.h"

using namespace outpost;
using namespace outpost::testing;
using http::Method;

BOOST_FIXTURE_TEST_SUITE(listings, RegistryFixture)

BOOST_AUTO_TEST_CASE(tags_paginate_with_link) {
  for (const char* tag : {"c", "a", "b", "d"}) client.push_image("app", tag, "c", {"l"});
  const Reply all = client.get("/v2/app/tags/list");
  BOOST_TEST(nlohmann::json::parse(all.body)["tags"] == nlohmann::json({"a", "b", "c", "d"}));
  BOOST_TEST(all.header("Link").empty());
  const Reply page = client.get("/v2/app/tags/list?n=2");
  BOOST_TEST(nlohmann::json::parse(page.body)["tags"] == nlohmann::json({"a", "b"}));
  BOOST_TEST(page.header("Link") == "</v2/app/tags/list?last=b&n=2>; rel=\"next\"");
  const Reply next = client.get("/v2/app/tags/list?n=2&last=b");
  BOOST_TEST(nlohmann::json::parse(next.body)["tags"] == nlohmann::json({"c", "d"}));
  BOOST_TEST(client.get("/v2/app/tags/list?n=x").error_code() == "UNSUPPORTED");
  BOOST_TEST(client.get("/v2/nothing/tags/list").error_code() == "NAME_UNKNOWN");
}

BOOST_AUTO_TEST_CASE(catalog_paginates) {
  for (const char* repository : {"b", "a/x", "c"}) client.push_blob(repository, "x");
  BOOST_TEST(nlohmann::json::parse(client.get("/v2/_catalog").body)["repositories"] ==
             nlohmann::json({"a/x", "b", "c"}));
  const Reply page = client.get("/v2/_catalog?n=1&last=a/x");
  BOOST_TEST(nlohmann::json::parse(page.body)["repositories"] == nlohmann::json({"b"}));
  BOOST_TEST(page.header("Link").find("last=b") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(base_and_probes) {
  const Reply base = client.get("/v2/");
  BOOST_TEST(base.status == 200);
  BOOST_TEST(base.header("Docker-Distribution-API-Version") == "registry/2.0");
  BOOST_TEST(client.get("/healthz").status == 200);
  BOOST_TEST(client.get("/readyz").status == 200);
  BOOST_TEST(client.get("/nowhere").status == 404);
  BOOST_TEST(client.get("/nowhere").error_code() == "NOT_FOUND");
  // Under /v2/ an error's code is one of the distribution-spec's.
  for (const char* path : {"/v2/foo", "/v2/app/blobs/", "/v2/app/referrers/"}) {
    const Reply unknown = client.get(path);
    BOOST_TEST(unknown.status == 404, path);
    BOOST_TEST(unknown.error_code() == "UNSUPPORTED", path);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_FIXTURE_TEST_SUITE(listing_edges, RegistryFixture)

BOOST_AUTO_TEST_CASE(n_zero_is_empty_without_link) {
  client.push_image("app", "v1", "c", {"l"});
  const Reply reply = client.get("/v2/app/tags/list?n=0");
  BOOST_TEST(nlohmann::json::parse(reply.body)["tags"].empty());
  BOOST_TEST(reply.header("Link").empty());
}

BOOST_AUTO_TEST_SUITE_END()
