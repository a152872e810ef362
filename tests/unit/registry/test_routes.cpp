#include <boost/test/unit_test.hpp>

#include <utility>

#include "reference/common/error.h"
#include "reference/registry/route.h"

using namespace outpost;
using namespace outpost::registry;

namespace {
Route route_of(http::Method method, const std::string& target) {
  http::Request request;
  request.method = method;
  const size_t q = target.find('?');
  request.path = target.substr(0, q);
  if (q != std::string::npos) request.query = target.substr(q + 1);
  return match_route(request);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(routes)

BOOST_AUTO_TEST_CASE(names_may_contain_route_words) {
  const Route r = route_of(http::Method::Get, "/v2/team/blobs/manifests/manifests/latest");
  BOOST_TEST(static_cast<int>(r.kind) == static_cast<int>(RouteKind::Manifest));
  BOOST_TEST(r.repository == "team/blobs/manifests");
  BOOST_TEST(r.object == "latest");
}

BOOST_AUTO_TEST_CASE(each_route_names_the_access_it_needs) {
  BOOST_TEST((route_of(http::Method::Get, "/v2/a/blobs/sha256:x").access == Access::ContentRead));
  BOOST_TEST((route_of(http::Method::Delete, "/v2/a/blobs/sha256:x").access == Access::ContentDelete));
  BOOST_TEST((route_of(http::Method::Put, "/v2/a/manifests/v1").access == Access::ContentWrite));
  BOOST_TEST((route_of(http::Method::Delete, "/v2/a/manifests/v1").access == Access::MetadataWrite));
  BOOST_TEST((route_of(http::Method::Delete, "/v2/a/manifests/sha256:abc").access == Access::ContentDelete));
  BOOST_TEST((route_of(http::Method::Get, "/v2/a/tags/list").access == Access::ContentOrMetadataRead));
  BOOST_TEST((route_of(http::Method::Get, "/v2/a/referrers/sha256:x").access == Access::ContentOrMetadataRead));
  BOOST_TEST((route_of(http::Method::Get, "/v2/_catalog").access == Access::Catalog));
  BOOST_TEST((route_of(http::Method::Get, "/v2/").access == Access::AnyCredentials));
  BOOST_TEST((route_of(http::Method::Get, "/healthz").access == Access::None));
}

BOOST_AUTO_TEST_CASE(uploads_and_mounts) {
  const Route start = route_of(http::Method::Post, "/v2/a/b/blobs/uploads/?mount=sha256:x&from=c/d");
  BOOST_TEST((start.kind == RouteKind::UploadStart));
  BOOST_TEST(start.repository == "a/b");
  BOOST_REQUIRE(start.mount_source);
  BOOST_TEST(*start.mount_source == "c/d");
  BOOST_TEST(start.is_write);
  const Route upload = route_of(http::Method::Patch, "/v2/a/b/blobs/uploads/abc123");
  BOOST_TEST((upload.kind == RouteKind::Upload));
  BOOST_TEST(upload.object == "abc123");
  BOOST_TEST((route_of(http::Method::Post, "/v2/a/blobs/uploads").kind == RouteKind::UploadStart));
}

BOOST_AUTO_TEST_CASE(writes_are_flagged) {
  BOOST_TEST(!route_of(http::Method::Get, "/v2/a/manifests/v1").is_write);
  BOOST_TEST(route_of(http::Method::Put, "/v2/a/manifests/v1").is_write);
  BOOST_TEST(route_of(http::Method::Delete, "/v2/a/blobs/sha256:x").is_write);
}

BOOST_AUTO_TEST_CASE(an_empty_repository_name_is_invalid_on_every_route) {
  // "/v2//..." used to route to the repository "": an upload and a manifest PUT there were accepted (201), and
  // the repository it made was listed by tags/list but never by the catalog.
  const std::pair<http::Method, const char*> requests[] = {
      {http::Method::Get, "/v2//tags/list"},
      {http::Method::Put, "/v2//manifests/v1"},
      {http::Method::Get, "/v2//manifests/v1"},
      {http::Method::Get, "/v2//blobs/sha256:x"},
      {http::Method::Post, "/v2//blobs/uploads/"},
      {http::Method::Post, "/v2//blobs/uploads"},
      {http::Method::Patch, "/v2//blobs/uploads/abc"},
      {http::Method::Get, "/v2//referrers/sha256:x"},
  };
  for (const auto& [method, target] : requests) {
    BOOST_TEST_CONTEXT(target) {
      try {
        route_of(method, target);
        BOOST_FAIL("expected NAME_INVALID");
      } catch (const ApiError& error) {
        BOOST_TEST(error.code() == "NAME_INVALID");
        BOOST_TEST(error.status() == 400);
      }
    }
  }
}

BOOST_AUTO_TEST_CASE(bad_names_and_methods_are_refused) {
  try {
    route_of(http::Method::Get, "/v2/Upper/tags/list");
    BOOST_FAIL("expected NAME_INVALID");
  } catch (const ApiError& error) {
    BOOST_TEST(error.code() == "NAME_INVALID");
    BOOST_TEST(error.status() == 400);
  }
  try {
    route_of(http::Method::Post, "/v2/a/tags/list");
    BOOST_FAIL("expected 405");
  } catch (const ApiError& error) {
    BOOST_TEST(error.status() == 405);
    BOOST_TEST(error.headers().size() == 1u);
    BOOST_TEST(error.headers().at(0).first == "Allow");
    BOOST_TEST(error.headers().at(0).second == "GET");
  }
  try {
    route_of(http::Method::Patch, "/v2/a/manifests/v1");
    BOOST_FAIL("expected 405");
  } catch (const ApiError& error) {
    BOOST_TEST(error.headers().at(0).second == "GET, HEAD, PUT, DELETE");
  }
  BOOST_TEST((route_of(http::Method::Get, "/v3/x").kind == RouteKind::NotFound));
}

BOOST_AUTO_TEST_SUITE_END()
