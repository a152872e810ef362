// The whole node in-process (NodeHandler -> token endpoint | management API | Registry with TokenAccessPolicy): every
// route's challenge names the scope of SPEC 3.6, the Docker token flow works from a challenge to a push, and a token
// scoped to some repositories cannot read or mount another repository's blobs (SPEC 3.6).
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "reference/oci/digest.h"
#include "reference/registry/auth/www_authenticate.h"
#include "tests/unit/registry_auth/auth_fixture.h"

using namespace outpost;
using namespace outpost::registry;
using namespace outpost::testing;
using http::Method;
using nlohmann::json;

namespace {
// Adds the same Authorization (and Host) to every request, so InProcessClient's push helpers run authenticated.
class Authorizing final : public http::Handler {
 public:
  Authorizing(http::Handler& inner, std::string authorization)
      : inner_(inner), authorization_(std::move(authorization)) {}
  std::unique_ptr<http::Call> start(http::Request request) override {
    request.headers.set("Host", kHost);
    request.headers.set("Authorization", authorization_);
    return inner_.start(std::move(request));
  }

 private:
  http::Handler& inner_;
  std::string authorization_;
};

struct NodeFixture : CloudNode {
  std::string pull_pw = make_token("pull-token", {"repositories/samples/*/content/read"});
  std::string push_pw = make_token("push-token", {"repositories/samples/*/content/read",
                                                  "repositories/samples/*/content/write"});
  std::string admin = basic("admin", kAdminPassword);

  // Follows a 401's challenge to the token endpoint, as a Docker client does.
  std::string token_from_challenge(const Reply& refused, const std::string& name, const std::string& password) {
    const auto challenge = parse_bearer_challenge(refused.header("WWW-Authenticate"));
    BOOST_REQUIRE(challenge.has_value());
    const std::string prefix = std::string("http://") + kHost;
    BOOST_REQUIRE(challenge->realm.starts_with(prefix));
    return bearer_for(name, password,
                      "service=" + http::percent_encode(challenge->service) +
                          "&scope=" + http::percent_encode(challenge->scope));
  }
};

const std::string kDigest = "sha256:" + std::string(64, 'a');
}  // namespace

BOOST_FIXTURE_TEST_SUITE(node_routes, NodeFixture)

// SPEC 3.6, every row: an anonymous request's challenge names the route's scope.
BOOST_AUTO_TEST_CASE(every_route_challenges_with_its_scope) {
  struct Row {
    Method method;
    std::string target;
    std::string scope;  // "" = no scope parameter
  };
  const std::vector<Row> rows = {
      {Method::Get, "/v2/", ""},
      {Method::Get, "/v2/samples/app/manifests/latest", "repository:samples/app:pull"},
      {Method::Head, "/v2/samples/app/manifests/" + kDigest, "repository:samples/app:pull"},
      {Method::Get, "/v2/samples/app/blobs/" + kDigest, "repository:samples/app:pull"},
      {Method::Head, "/v2/samples/app/blobs/" + kDigest, "repository:samples/app:pull"},
      {Method::Post, "/v2/samples/app/blobs/uploads/", "repository:samples/app:pull,push"},
      {Method::Patch, "/v2/samples/app/blobs/uploads/some-id", "repository:samples/app:pull,push"},
      {Method::Put, "/v2/samples/app/blobs/uploads/some-id?digest=" + kDigest, "repository:samples/app:pull,push"},
      {Method::Get, "/v2/samples/app/blobs/uploads/some-id", "repository:samples/app:pull,push"},
      {Method::Delete, "/v2/samples/app/blobs/uploads/some-id", "repository:samples/app:pull,push"},
      {Method::Put, "/v2/samples/app/manifests/v1", "repository:samples/app:pull,push"},
      {Method::Post, "/v2/samples/app/blobs/uploads/?mount=" + kDigest + "&from=base/image",
       "repository:samples/app:pull,push repository:base/image:pull"},
      {Method::Delete, "/v2/samples/app/manifests/" + kDigest, "repository:samples/app:delete"},
      {Method::Delete, "/v2/samples/app/blobs/" + kDigest, "repository:samples/app:delete"},
      {Method::Delete, "/v2/samples/app/manifests/v1", "repository:samples/app:metadata_write"},
      {Method::Get, "/v2/samples/app/tags/list", "repository:samples/app:pull"},
      {Method::Get, "/v2/samples/app/referrers/" + kDigest, "repository:samples/app:pull"},
      {Method::Get, "/v2/_catalog", "registry:catalog:*"},
      {Method::Get, "/v2/a/blobs/b/manifests/latest", "repository:a/blobs/b:pull"},  // "blobs" inside a name
      {Method::Get, "/metrics", ""},
      {Method::Get, "/mgmt/v1/tokens", ""},
  };
  for (const Row& row : rows) {
    BOOST_TEST_INFO(std::string(http::method_name(row.method)) + " " + row.target);
    const Reply reply = send(row.method, row.target, "");
    BOOST_TEST(reply.status == 401);
    BOOST_TEST(reply.error_code() == "UNAUTHORIZED");
    const auto challenge = parse_bearer_challenge(reply.header("WWW-Authenticate"));
    BOOST_REQUIRE(challenge.has_value());
    BOOST_TEST(challenge->realm == "http://registry.test:5000/oauth2/token");
    BOOST_TEST(challenge->service == "registry.test:5000");
    BOOST_TEST(challenge->scope == row.scope);
    BOOST_TEST(!challenge->insufficient_scope);
  }
}

BOOST_AUTO_TEST_CASE(docker_flow_from_challenge_to_push_and_pull) {
  const Reply refused = send(Method::Post, "/v2/samples/app/blobs/uploads/", "");
  const std::string push_jwt = token_from_challenge(refused, "push-token", push_pw);
  Authorizing pusher(node, "Bearer " + push_jwt);
  InProcessClient push_client(pusher);
  push_client.push_image("samples/app", "v1", "{\"config\":1}", {"layer-bytes"});

  const Reply pull_refused = get("/v2/samples/app/manifests/v1", "");
  const std::string pull_jwt = token_from_challenge(pull_refused, "pull-token", pull_pw);
  const Reply pulled = get("/v2/samples/app/manifests/v1", "Bearer " + pull_jwt);
  BOOST_TEST(pulled.status == 200);

  // The pull token's push: 401 insufficient_scope with Bearer, 403 with Basic (SPEC 4.3 step 3).
  const Reply bearer_push = send(Method::Post, "/v2/samples/app/blobs/uploads/", "Bearer " + pull_jwt);
  BOOST_TEST(bearer_push.status == 401);
  BOOST_TEST(parse_bearer_challenge(bearer_push.header("WWW-Authenticate"))->insufficient_scope);
  // Asking for push gets a token without it, which is refused the same way.
  const std::string still_pull = token_from_challenge(bearer_push, "pull-token", pull_pw);
  BOOST_TEST(send(Method::Post, "/v2/samples/app/blobs/uploads/", "Bearer " + still_pull).status == 401);
  const Reply basic_push = send(Method::Post, "/v2/samples/app/blobs/uploads/", basic("pull-token", pull_pw));
  BOOST_TEST(basic_push.status == 403);
  BOOST_TEST(basic_push.error_code() == "DENIED");
}

// SPEC 3.6: a token scoped to some repositories cannot read or mount another repository's blobs by digest.
BOOST_AUTO_TEST_CASE(blobs_of_unreadable_repositories_stay_out_of_reach) {
  Authorizing as_admin(node, admin);
  InProcessClient admin_client(as_admin);
  const oci::Digest secret = admin_client.push_blob("other/private", "secret-bytes");
  const std::string blob = "/blobs/" + secret.str();

  BOOST_TEST(get("/v2/other/private" + blob, basic("push-token", push_pw)).status == 403);
  // Same digest through a readable repository that does not reference it: unknown there.
  const Reply through_own = get("/v2/samples/app" + blob, basic("push-token", push_pw));
  BOOST_TEST(through_own.status == 404);
  BOOST_TEST(through_own.error_code() == "BLOB_UNKNOWN");
  // Mounting from the private repository needs content/read there.
  const Reply mount = send(Method::Post, "/v2/samples/app/blobs/uploads/?mount=" + secret.str() + "&from=other/private",
                           basic("push-token", push_pw));
  BOOST_TEST(mount.status == 403);
  // An automatic mount (no `from`) does not pick a repository the token cannot read: an upload session starts instead.
  const Reply automatic = send(Method::Post, "/v2/samples/app/blobs/uploads/?mount=" + secret.str(),
                               basic("push-token", push_pw));
  BOOST_TEST(automatic.status == 202);
  BOOST_TEST(get("/v2/samples/app" + blob, basic("push-token", push_pw)).status == 404);
  // The admin user can mount it (and then the blob is readable there).
  const Reply admin_mount =
      send(Method::Post, "/v2/samples/app/blobs/uploads/?mount=" + secret.str() + "&from=other/private", admin);
  BOOST_TEST(admin_mount.status == 201);
  BOOST_TEST(get("/v2/samples/app" + blob, basic("pull-token", pull_pw)).status == 200);
}

// An automatic mount (no `from`) picks its source among the repositories the request may read: with a Bearer JWT,
// those its access claim grants, not every one its token's scope map could read. A JWT narrowed to one repository
// once mounted (201) a blob of another, then read it through its own.
BOOST_AUTO_TEST_CASE(an_automatic_mount_stays_within_a_jwts_grant) {
  Authorizing as_admin(node, admin);
  InProcessClient admin_client(as_admin);
  const oci::Digest other = admin_client.push_blob("samples/other", "other-bytes");
  const std::string mount = "/v2/samples/own/blobs/uploads/?mount=" + other.str();
  const std::string blob = "/v2/samples/own/blobs/" + other.str();

  const std::string narrow = "Bearer " + bearer_for("push-token", push_pw, "scope=repository:samples/own:pull,push");
  const Reply narrowed = send(Method::Post, mount, narrow);
  BOOST_TEST(narrowed.status == 202, narrowed.body);  // an upload session instead
  BOOST_TEST(get(blob, narrow).status == 404);

  // A JWT that also grants pull on the source mounts it, as Basic credentials of the same token do.
  const std::string both = "Bearer " + bearer_for("push-token", push_pw,
                                                  "scope=repository:samples/own:pull,push&"
                                                  "scope=repository:samples/other:pull");
  BOOST_TEST(send(Method::Post, mount, both).status == 201);
  BOOST_TEST(get(blob, narrow).status == 200);
}

// SPEC 3.6: the catalog at the cloud is for a token with a rule on "*" (and the admin user).
BOOST_AUTO_TEST_CASE(catalog) {
  Authorizing as_admin(node, admin);
  InProcessClient admin_client(as_admin);
  admin_client.push_blob("samples/one", "a");
  admin_client.push_blob("other/two", "b");
  const std::string all_pw = make_token("all-token", {"repositories/*/content/read"});

  const Reply listed = get("/v2/_catalog", admin);
  BOOST_REQUIRE_EQUAL(listed.status, 200);
  BOOST_TEST(json::parse(listed.body).at("repositories") == json::parse(R"(["other/two","samples/one"])"));
  BOOST_TEST(get("/v2/_catalog", basic("all-token", all_pw)).status == 200);
  BOOST_TEST(get("/v2/_catalog", basic("pull-token", pull_pw)).status == 403);

  const std::string jwt = bearer_for("all-token", all_pw, "scope=registry:catalog:*");
  const Reply bearer = get("/v2/_catalog", "Bearer " + jwt);
  BOOST_REQUIRE_EQUAL(bearer.status, 200);
  BOOST_TEST(json::parse(bearer.body).at("repositories").size() == 2u);
  // A JWT without the catalog scope is refused with the catalog challenge.
  const std::string no_catalog = bearer_for("all-token", all_pw, "scope=repository:samples/one:pull");
  const Reply refused = get("/v2/_catalog", "Bearer " + no_catalog);
  BOOST_TEST(refused.status == 401);
  BOOST_TEST(parse_bearer_challenge(refused.header("WWW-Authenticate"))->scope == "registry:catalog:*");
}

BOOST_AUTO_TEST_CASE(management_through_the_node) {
  BOOST_TEST(get("/mgmt/v1/tokens", admin).status == 200);
  const std::string admin_jwt = bearer_for("admin", kAdminPassword, "");
  BOOST_TEST(get("/mgmt/v1/tokens", "Bearer " + admin_jwt).status == 200);
  BOOST_TEST(get("/mgmt/v1/tokens", basic("push-token", push_pw)).status == 403);
  BOOST_TEST(get("/mgmt/v1/tokens", basic("admin", "wrong")).status == 401);
  // A change through the API applies from the next request.
  BOOST_TEST(get("/v2/samples/app/tags/list", basic("pull-token", pull_pw)).status == 404);  // readable, absent
  const Reply disabled = send(Method::Patch, "/mgmt/v1/tokens/pull-token", admin, R"({"status":"disabled"})",
                              [] {
                                http::Headers headers;
                                headers.set("Content-Type", "application/json");
                                return headers;
                              }());
  BOOST_TEST(disabled.status == 200);
  BOOST_TEST(get("/v2/samples/app/tags/list", basic("pull-token", pull_pw)).status == 401);
}

BOOST_AUTO_TEST_CASE(probes_and_metrics) {
  BOOST_TEST(get("/healthz", "").status == 200);
  BOOST_TEST(get("/readyz", "").status == 200);
  const Reply metrics = get("/metrics", admin);
  BOOST_TEST(metrics.status == 200);
  BOOST_TEST(metrics.body == "up 1\n");
  BOOST_TEST(get("/metrics", basic("push-token", push_pw)).status == 403);
  BOOST_TEST(get("/nowhere", "").status == 404);
}

BOOST_AUTO_TEST_SUITE_END()
