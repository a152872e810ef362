// The oracle's own router (request.h): SPEC 3.6's routes, the gateway table of docs/protocol.md, and the corners a
// registry's router could get wrong (untag vs delete, mount sources, repository names holding route words).
#include <boost/test/unit_test.hpp>

#include "simulator/check/request.h"

using namespace outpost::check;
using outpost::http::Method;

BOOST_AUTO_TEST_SUITE(oracle_router)

BOOST_AUTO_TEST_CASE(repository_routes) {
  struct Row {
    Method method;
    const char* path;
    const char* query;
    Operation operation;
    const char* repository;
  };
  const std::vector<Row> rows = {
      {Method::Get, "/v2/", "", Operation::Ping, ""},
      {Method::Get, "/v2/_catalog", "n=10", Operation::Catalog, ""},
      {Method::Head, "/v2/a/b/manifests/latest", "", Operation::PullManifest, "a/b"},
      {Method::Put, "/v2/a/manifests/v1", "", Operation::PushManifest, "a"},
      {Method::Delete, "/v2/a/manifests/v1", "", Operation::Untag, "a"},
      {Method::Delete, "/v2/a/manifests/sha256:0123", "", Operation::DeleteManifest, "a"},
      {Method::Get, "/v2/a/blobs/sha256:0123", "", Operation::PullBlob, "a"},
      {Method::Delete, "/v2/a/blobs/sha256:0123", "", Operation::DeleteBlob, "a"},
      {Method::Post, "/v2/a/blobs/uploads/", "", Operation::Upload, "a"},
      {Method::Post, "/v2/a/blobs/uploads", "digest=sha256:0", Operation::Upload, "a"},
      {Method::Patch, "/v2/a/blobs/uploads/abc", "", Operation::Upload, "a"},
      {Method::Get, "/v2/a/blobs/uploads/abc", "", Operation::Upload, "a"},
      {Method::Delete, "/v2/a/blobs/uploads/abc", "", Operation::Upload, "a"},
      {Method::Post, "/v2/a/blobs/uploads/", "mount=sha256:0&from=b%2Fc", Operation::Mount, "a"},
      {Method::Post, "/v2/a/blobs/uploads/", "mount=sha256:0&from=B..", Operation::Upload, "a"},  // no such source
      {Method::Post, "/v2/a/blobs/uploads/", "mount=sha256:0", Operation::Upload, "a"},
      {Method::Get, "/v2/a/tags/list", "", Operation::ListTags, "a"},
      {Method::Get, "/v2/a/referrers/sha256:0", "", Operation::Referrers, "a"},
      // Route words inside repository names: matched from the end.
      {Method::Get, "/v2/blobs/manifests/manifests/x", "", Operation::PullManifest, "blobs/manifests"},
      {Method::Get, "/v2/tags/list/tags/list", "", Operation::ListTags, "tags/list"},
      {Method::Get, "/v2/Upper/manifests/x", "", Operation::Unrouted, ""},  // not a repository name
      {Method::Get, "/healthz", "", Operation::Probe, ""},
      {Method::Get, "/metrics", "", Operation::Metrics, ""},
      {Method::Post, "/oauth2/token", "", Operation::TokenExchange, ""},
      {Method::Get, "/acr/oauth2/token", "scope=x", Operation::TokenExchange, ""},
      {Method::Put, "/mgmt/v1/tokens/x", "", Operation::Management, ""},
  };
  for (const Row& row : rows)
    BOOST_TEST_CONTEXT(outpost::http::method_name(row.method) << " " << row.path << "?" << row.query) {
      const Request request = classify(row.method, row.path, row.query);
      BOOST_TEST(to_string(request.operation) == to_string(row.operation));
      BOOST_TEST(request.repository == row.repository);
    }
  BOOST_TEST(classify(Method::Post, "/v2/a/blobs/uploads/", "mount=sha256:0&from=b%2Fc").mount_source == "b/c");
}

BOOST_AUTO_TEST_CASE(writes_as_step_2_counts_them) {
  for (const auto& [method, path] :
       std::vector<std::pair<Method, const char*>>{{Method::Put, "/v2/a/manifests/v1"},
                                                   {Method::Delete, "/v2/a/manifests/v1"},
                                                   {Method::Delete, "/v2/a/blobs/sha256:0"},
                                                   {Method::Post, "/v2/a/blobs/uploads/"},
                                                   {Method::Get, "/v2/a/blobs/uploads/x"}})
    BOOST_TEST(classify(method, path, "").is_write(), path);
  for (const auto& [method, path] : std::vector<std::pair<Method, const char*>>{{Method::Get, "/v2/a/manifests/v1"},
                                                                                {Method::Head, "/v2/a/blobs/sha256:0"},
                                                                                {Method::Get, "/v2/a/tags/list"},
                                                                                {Method::Get, "/v2/_catalog"},
                                                                                {Method::Post, "/oauth2/token"}})
    BOOST_TEST(!classify(method, path, "").is_write(), path);
}

BOOST_AUTO_TEST_CASE(gateway_routes) {
  const auto config = classify(Method::Get, "/gateway/v1/edge1/config", "version=0");
  BOOST_TEST(to_string(config.operation) == "gateway");
  BOOST_TEST(config.gateway_cr == "edge1");
  BOOST_TEST(config.gateway_needs.bits == GatewayRights::kConfigRead);
  BOOST_TEST(classify(Method::Get, "/gateway/v1/edge1/inventory", "").gateway_needs.bits == GatewayRights::kConfigRead);
  BOOST_TEST(classify(Method::Get, "/gateway/v1/edge1/messages", "").gateway_needs.bits == GatewayRights::kMessageRead);
  BOOST_TEST(classify(Method::Post, "/gateway/v1/edge1/status", "").gateway_needs.bits == GatewayRights::kMessageWrite);
  BOOST_TEST(classify(Method::Post, "/gateway/v1/edge1/activate", "").gateway_needs.bits ==
             GatewayRights::kConfigWrite);
  BOOST_TEST(to_string(classify(Method::Get, "/gateway/v1/edge1/teleport", "").operation) == "unrouted");
  // Exactly two segments, the first naming a CR.
  for (const char* path : {"/gateway/v1//config", "/gateway/v1/edge1/config/", "/gateway/v1/edge1/config/x",
                           "/gateway/v1/edge1", "/gateway/v1/edge1/", "/gateway/v1/"})
    BOOST_TEST(to_string(classify(Method::Get, path, "").operation) == "unrouted", path);
}

BOOST_AUTO_TEST_SUITE_END()
