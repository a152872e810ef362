// The challenge scope of every route (SPEC 3.6).
#include <boost/test/unit_test.hpp>
#include <string>
#include <vector>

#include "reference/auth/challenge.h"

using namespace outpost::auth;

BOOST_AUTO_TEST_SUITE(challenges)

BOOST_AUTO_TEST_CASE(route_to_scope_table) {
  struct Row {
    const char* clause;
    RouteNeeds route;
    std::string scope;
  };
  const std::vector<Row> rows = {
      {"3.6 GET /v2/", {RouteAccess::AnyCredentials}, ""},
      {"3.6 manifest/blob GET", {RouteAccess::ContentRead, false, "samples/app"}, "repository:samples/app:pull"},
      {"3.6 uploads, manifest PUT", {RouteAccess::ContentWrite, true, "samples/app"},
       "repository:samples/app:pull,push"},
      {"3.6 mount", {RouteAccess::ContentWrite, true, "t/app", "s/app"},
       "repository:t/app:pull,push repository:s/app:pull"},
      {"3.6 delete by digest", {RouteAccess::ContentDelete, true, "a"}, "repository:a:delete"},
      {"3.6 untag", {RouteAccess::MetadataWrite, true, "a"}, "repository:a:metadata_write"},
      {"3.6 tags/list, referrers", {RouteAccess::ContentOrMetadataRead, false, "a"}, "repository:a:pull"},
      {"3.6 _catalog", {RouteAccess::Catalog}, "registry:catalog:*"},
      {"1.4 probes", {RouteAccess::None}, ""},
      {"1.4 metrics", {RouteAccess::Metrics}, ""},
      {"7.2 management", {RouteAccess::Management}, ""},
      {"1.2 gateway",
       {RouteAccess::Gateway, false, "", std::nullopt, RouteObject::Repository, "child", kConfigRead},
       ""},
  };
  for (const Row& row : rows) BOOST_TEST(challenge_scope(row.route) == row.scope, "SPEC " << row.clause);
}

BOOST_AUTO_TEST_SUITE_END()
