// The token endpoint (SPEC 3.4): GET and POST flows, the intersection of asked and allowed, refresh tokens and their
// revocation, malformed requests, and the identical refusals of SPEC 4.5. Against the real control plane.
#include <boost/test/unit_test.hpp>

#include <nlohmann/json.hpp>

#include "reference/common/time_format.h"
#include "reference/registry/auth/www_authenticate.h"
#include "tests/unit/registry_auth/auth_fixture.h"

using namespace outpost;
using namespace outpost::registry;
using namespace outpost::testing;
using namespace std::chrono_literals;
using http::Method;
using nlohmann::json;

namespace {
// The `access` claim of a token response, as (name -> actions).
std::map<std::string, std::vector<std::string>> access_of(const Reply& reply) {
  std::map<std::string, std::vector<std::string>> access;
  const json claims = payload_of(json::parse(reply.body).at("token").get<std::string>());
  for (const auto& entry : claims.at("access"))
    access[entry.at("type").get<std::string>() + ":" + entry.at("name").get<std::string>()] =
        entry.at("actions").get<std::vector<std::string>>();
  return access;
}

http::Headers form_headers() {
  http::Headers headers;
  headers.set("Content-Type", "application/x-www-form-urlencoded");
  return headers;
}

struct EndpointFixture : CloudNode {
  std::string pull_pw = make_token("pull-token", {"repositories/samples/*/content/read"});
  std::string push_pw = make_token("push-token", {"repositories/samples/*/content/read",
                                                  "repositories/samples/*/content/write"});

  Reply post_form(const std::string& body, const std::string& path = "/oauth2/token") {
    return send(Method::Post, path, "", body, form_headers());
  }
  std::string refresh_token_of(const std::string& name, const std::string& password) {
    const Reply reply = get("/oauth2/token?service=registry.test:5000&offline_token=true", basic(name, password));
    BOOST_REQUIRE_EQUAL(reply.status, 200);
    return json::parse(reply.body).at("refresh_token").get<std::string>();
  }
  Reply refresh(const std::string& refresh_token, const std::string& scope = "repository:samples/app:pull") {
    return post_form("grant_type=refresh_token&service=registry.test%3A5000&refresh_token=" + refresh_token +
                     "&scope=" + http::percent_encode(scope));
  }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(token_endpoint, EndpointFixture)

BOOST_AUTO_TEST_CASE(get_issues_an_es256_access_token) {
  const Reply reply = get("/oauth2/token?service=registry.test%3A5000&scope=repository%3Asamples%2Fapp%3Apull",
                          basic("pull-token", pull_pw));
  BOOST_REQUIRE_EQUAL(reply.status, 200);
  BOOST_TEST(reply.header("Cache-Control") == "no-store");
  const json body = json::parse(reply.body);
  BOOST_TEST(body.at("token") == body.at("access_token"));
  BOOST_TEST(body.at("expires_in").get<int>() == 300);
  BOOST_TEST(parse_rfc3339(body.at("issued_at").get<std::string>()).has_value());
  BOOST_TEST(!body.contains("refresh_token"));

  const std::string jwt = body.at("token").get<std::string>();
  const json header = json::parse(*auth::base64url_decode(jwt.substr(0, jwt.find('.'))));
  BOOST_TEST(header.at("alg") == "ES256");
  BOOST_TEST(header.at("kid") == key.kid());
  const json claims = payload_of(jwt);
  BOOST_TEST(claims.at("sub") == "pull-token");
  BOOST_TEST(claims.at("aud") == "registry.test:5000");
  BOOST_TEST(claims.at("iss") == "outpost");
  BOOST_TEST(claims.at("exp").get<int64_t>() - claims.at("iat").get<int64_t>() == 300);
  BOOST_TEST(claims.at("nbf") == claims.at("iat"));
  BOOST_TEST(!claims.at("jti").get<std::string>().empty());
  BOOST_TEST(claims.at("gen").get<uint64_t>() == control.snapshot()->generation("pull-token"));
  BOOST_TEST(claims.at("token_use") == "access");
  BOOST_TEST(claims.at("access") ==
             json::parse(R"([{"type":"repository","name":"samples/app","actions":["pull"]}])"));
}

// SPEC 3.4: granted = asked ∩ allowed; asking for more is not an error.
BOOST_AUTO_TEST_CASE(granted_access_is_the_intersection) {
  const Reply reply = get(
      "/oauth2/token?service=registry.test:5000&scope=repository:samples/app:pull,push,delete,metadata_write"
      "&scope=repository:other/app:pull%20registry:catalog:*",
      basic("push-token", push_pw));
  BOOST_REQUIRE_EQUAL(reply.status, 200);
  const auto access = access_of(reply);
  BOOST_TEST(access.size() == 1u);
  BOOST_TEST((access.at("repository:samples/app") == std::vector<std::string>{"pull", "push"}));
}

// Scopes repeated or space-separated; names with '/' (several levels) and ':' (a host:port prefix, not a valid
// repository name here, so left out without failing the request); a resource class.
BOOST_AUTO_TEST_CASE(scopes_with_slashes_and_colons) {
  const Reply reply = get(
      "/oauth2/token?scope=repository:samples/a/b/c:pull+repository:localhost:5000/samples/x:pull"
      "&scope=repository(plugin):samples/plugin:pull&scope=bogus&scope=repository:samples/d:push,pull",
      basic("push-token", push_pw));
  BOOST_REQUIRE_EQUAL(reply.status, 200);
  const auto access = access_of(reply);
  BOOST_TEST(access.size() == 3u);
  BOOST_TEST((access.at("repository:samples/a/b/c") == std::vector<std::string>{"pull"}));
  BOOST_TEST((access.at("repository:samples/plugin") == std::vector<std::string>{"pull"}));
  BOOST_TEST((access.at("repository:samples/d") == std::vector<std::string>{"pull", "push"}));
}

BOOST_AUTO_TEST_CASE(no_scope_gives_a_login_token) {
  // docker login: a token with no access, good for GET /v2/.
  const Reply reply = get("/oauth2/token?service=registry.test:5000", basic("pull-token", pull_pw));
  BOOST_REQUIRE_EQUAL(reply.status, 200);
  BOOST_TEST(access_of(reply).empty());
  const std::string jwt = json::parse(reply.body).at("token").get<std::string>();
  BOOST_TEST(get("/v2/", "Bearer " + jwt).status == 200);
  BOOST_TEST(get("/v2/samples/app/tags/list", "Bearer " + jwt).status == 401);
}

BOOST_AUTO_TEST_CASE(catalog_scope_for_the_admin_user_only) {
  const Reply admin = get("/oauth2/token?scope=registry:catalog:*", basic("admin", kAdminPassword));
  BOOST_REQUIRE_EQUAL(admin.status, 200);
  BOOST_TEST(access_of(admin).count("registry:catalog") == 1u);
  const Reply token = get("/oauth2/token?scope=registry:catalog:*", basic("pull-token", pull_pw));
  BOOST_REQUIRE_EQUAL(token.status, 200);
  BOOST_TEST(access_of(token).empty());
}

BOOST_AUTO_TEST_CASE(post_password_grant) {
  const Reply reply = post_form(
      "grant_type=password&username=push-token&password=" + http::percent_encode(push_pw) +
      "&service=registry.test%3A5000&scope=repository%3Asamples%2Fapp%3Apull%2Cpush&access_type=offline"
      "&client_id=docker");
  BOOST_REQUIRE_EQUAL(reply.status, 200);
  BOOST_TEST((access_of(reply).at("repository:samples/app") == std::vector<std::string>{"pull", "push"}));
  const json body = json::parse(reply.body);
  BOOST_REQUIRE(body.contains("refresh_token"));
  BOOST_TEST(payload_of(body.at("refresh_token").get<std::string>()).at("token_use") == "refresh");
  // Without access_type=offline: no refresh token.
  const Reply online = post_form("grant_type=password&username=push-token&password=" + http::percent_encode(push_pw));
  BOOST_REQUIRE_EQUAL(online.status, 200);
  BOOST_TEST(!json::parse(online.body).contains("refresh_token"));
}

BOOST_AUTO_TEST_CASE(also_served_at_acr_path) {
  const Reply get_reply = get("/acr/oauth2/token?scope=repository:samples/app:pull", basic("pull-token", pull_pw));
  BOOST_TEST(get_reply.status == 200);
  const Reply post_reply = post_form(
      "grant_type=password&username=pull-token&password=" + http::percent_encode(pull_pw), "/acr/oauth2/token");
  BOOST_TEST(post_reply.status == 200);
}

BOOST_AUTO_TEST_CASE(refresh_token_flow) {
  const std::string refresh_token = refresh_token_of("pull-token", pull_pw);
  const Reply reply = refresh(refresh_token, "repository:samples/app:pull,push");
  BOOST_REQUIRE_EQUAL(reply.status, 200);
  BOOST_TEST((access_of(reply).at("repository:samples/app") == std::vector<std::string>{"pull"}));
  // The refresh token is not an access token...
  BOOST_TEST(get("/v2/", "Bearer " + refresh_token).status == 401);
  // ...and an access token does not refresh.
  const std::string access_token = json::parse(reply.body).at("token").get<std::string>();
  BOOST_TEST(refresh(access_token).status == 401);
  // A refresh token outlives access tokens.
  clock.advance(24h);
  BOOST_TEST(refresh(refresh_token).status == 200);
}

// SPEC 3.4: refresh tokens stop working when their token is disabled, deleted, or has a password regenerated.
BOOST_AUTO_TEST_CASE(refresh_revoked_by_password_regeneration) {
  const std::string refresh_token = refresh_token_of("pull-token", pull_pw);
  BOOST_REQUIRE_EQUAL(refresh(refresh_token).status, 200);
  control.generate_credentials("pull-token", {{"name", "password2"}});  // the other password: still a change
  const Reply refused = refresh(refresh_token);
  BOOST_TEST(refused.status == 401);
  BOOST_TEST(refused.error_code() == "UNAUTHORIZED");
  BOOST_TEST(!refused.header("WWW-Authenticate").empty());
  // password1 itself still works (rotation), and a fresh refresh token does too.
  BOOST_TEST(refresh(refresh_token_of("pull-token", pull_pw)).status == 200);
}

// SPEC 3.3, 4.1: a JWT is as good as the password it came from. A token whose password1 expires in a day and whose
// password2 never does: what password1 got (a refresh token, and the access tokens that one got in turn) stops working
// when password1 expires, while password2's keep working.
BOOST_AUTO_TEST_CASE(jwts_end_with_the_password_they_came_from) {
  make_token("day-token", {"repositories/samples/*/content/read"});
  const std::string day_pw = control.generate_credentials("day-token", {{"name", "password1"},
                                                                        {"expiry", format_rfc3339(clock.now() + 24h)}})
                                 .body.at("passwords").at(0).at("value").get<std::string>();
  const std::string lasting_pw = control.generate_credentials("day-token", {{"name", "password2"}})
                                     .body.at("passwords").at(0).at("value").get<std::string>();
  const std::string from_day = refresh_token_of("day-token", day_pw);
  const std::string from_lasting = refresh_token_of("day-token", lasting_pw);

  clock.advance(24h - 2min);  // an access token the refresh token got carries the password it came from too
  const Reply refreshed = refresh(from_day);
  BOOST_REQUIRE_EQUAL(refreshed.status, 200);
  const std::string chained = "Bearer " + json::parse(refreshed.body).at("token").get<std::string>();
  BOOST_TEST(get("/v2/", chained).status == 200);

  clock.advance(2min + 1s);  // password1 has expired, the access token's 5 minutes have not; password2 lives on
  BOOST_TEST(get("/v2/", basic("day-token", day_pw)).status == 401);
  BOOST_TEST(refresh(from_day).status == 401);
  BOOST_TEST(get("/v2/", chained).status == 401);
  BOOST_TEST(refresh(from_lasting).status == 200);
  BOOST_TEST(get("/v2/", basic("day-token", lasting_pw)).status == 200);
}

// The same for an access token: one got with a password expiring before it does ends with that password.
BOOST_AUTO_TEST_CASE(an_access_token_ends_with_the_password_it_came_from) {
  make_token("brief-token", {"repositories/samples/*/content/read"});
  const json expiring = {{"name", "password1"}, {"expiry", format_rfc3339(clock.now() + 2min)}};
  const std::string brief_pw =
      control.generate_credentials("brief-token", expiring).body.at("passwords").at(0).at("value").get<std::string>();
  const Reply access = get("/oauth2/token?service=registry.test:5000&scope=repository:samples/app:pull",
                           basic("brief-token", brief_pw));
  BOOST_REQUIRE_EQUAL(access.status, 200);
  const std::string bearer = "Bearer " + json::parse(access.body).at("token").get<std::string>();
  BOOST_TEST(get("/v2/", bearer).status == 200);
  clock.advance(3min);  // the JWT's own 5 minutes have not run out; its password's 2 have
  BOOST_TEST(get("/v2/", bearer).status == 401);
}

BOOST_AUTO_TEST_CASE(refresh_revoked_by_disable_and_delete) {
  const std::string refresh_token = refresh_token_of("pull-token", pull_pw);
  control.patch_token("pull-token", {{"status", "disabled"}});
  BOOST_TEST(refresh(refresh_token).status == 401);
  control.patch_token("pull-token", {{"status", "enabled"}});
  BOOST_TEST(refresh(refresh_token).status == 401);  // revoked for good, not suspended

  const std::string push_refresh = refresh_token_of("push-token", push_pw);
  control.delete_token("push-token");
  BOOST_TEST(refresh(push_refresh).status == 401);
  // A new token of the same name does not inherit the old one's refresh tokens.
  control.put_token("push-token", {{"scopeMap", "push-token-map"}});
  BOOST_TEST(refresh(push_refresh).status == 401);
}

// SPEC 3.4, 4.1: a scope-map change revokes nothing (refresh tokens end only when their token is disabled, deleted or
// has a password regenerated), and every token issued afterwards, refreshed or new, carries the map as it is now.
BOOST_AUTO_TEST_CASE(scope_map_changes_apply_to_refreshed_tokens) {
  const std::string refresh_token = refresh_token_of("pull-token", pull_pw);
  control.put_scope_map("pull-token-map", {{"actions", {"repositories/samples/app/content/read",
                                                       "repositories/samples/app/content/write"}}});
  const Reply wider = refresh(refresh_token, "repository:samples/app:pull,push");
  BOOST_TEST(wider.status == 200);
  BOOST_TEST((access_of(wider).at("repository:samples/app") == std::vector<std::string>{"pull", "push"}));
  const Reply reply = get("/oauth2/token?scope=repository:samples/app:pull,push", basic("pull-token", pull_pw));
  BOOST_TEST((access_of(reply).at("repository:samples/app") == std::vector<std::string>{"pull", "push"}));

  control.put_scope_map("pull-token-map", {{"actions", {"repositories/prod/*/content/read"}}});
  const Reply narrower = refresh(refresh_token, "repository:samples/app:pull,push");
  BOOST_TEST(narrower.status == 200);
  BOOST_TEST(access_of(narrower).empty());
}

// SPEC 4.1: an access token outlives a scope-map change and the map as it is now bounds it, wider or narrower; a
// remembered Basic login sees the new map at once too (what is remembered by generation is never permissions).
BOOST_AUTO_TEST_CASE(access_tokens_are_bounded_by_the_current_scope_map) {
  const std::string jwt =
      bearer_for("pull-token", pull_pw, "service=registry.test:5000&scope=repository:samples/app:pull");
  const std::string manifest = "/v2/samples/app/manifests/v1";
  // 404: the request got through the access policy; nothing was pushed.
  BOOST_REQUIRE_EQUAL(get(manifest, "Bearer " + jwt).status, 404);
  BOOST_REQUIRE_EQUAL(get(manifest, basic("pull-token", pull_pw)).status, 404);  // the login is remembered now

  control.put_scope_map("pull-token-map",
                        {{"actions", {"repositories/samples/*/content/read", "repositories/prod/*/content/read"}}});
  BOOST_TEST(get(manifest, "Bearer " + jwt).status == 404);

  control.put_scope_map("pull-token-map", {{"actions", {"repositories/prod/*/content/read"}}});
  const Reply narrowed = get(manifest, "Bearer " + jwt);
  BOOST_TEST(narrowed.status == 401);
  const auto challenge = parse_bearer_challenge(narrowed.header("WWW-Authenticate"));
  BOOST_REQUIRE(challenge.has_value());
  BOOST_TEST(challenge->insufficient_scope);
  BOOST_TEST(challenge->scope == "repository:samples/app:pull");
  BOOST_TEST(get(manifest, basic("pull-token", pull_pw)).status == 403);

  // Never revoked: widened again, the same JWT reads again.
  control.put_scope_map("pull-token-map", {{"actions", {"repositories/samples/*/content/read"}}});
  BOOST_TEST(get(manifest, "Bearer " + jwt).status == 404);
  // A disable still ends it, for good.
  control.patch_token("pull-token", {{"status", "disabled"}});
  control.patch_token("pull-token", {{"status", "enabled"}});
  BOOST_TEST(get(manifest, "Bearer " + jwt).status == 401);
}

// SPEC 2.6: a disabled connected registry answers its clients 503, at its token endpoint too (the endpoint refines its
// node facts for every login, as the access policy does for every request), and issues tokens again once enabled.
BOOST_AUTO_TEST_CASE(a_disabled_connected_registry_issues_no_tokens) {
  bool disabled = true;
  NodeFacts facts;
  facts.role = auth::NodeRole::ConnectedRegistry;
  facts.refine = [&disabled](auth::NodeView& view, std::string_view) { view.cr_disabled = disabled; };
  TokenEndpoint endpoint(authenticator, key, ServiceNaming{}, facts, random);
  InProcessClient at_cr(endpoint);
  const std::string query = "/oauth2/token?service=registry.test:5000&scope=repository:samples/app:pull";
  const std::string form = "grant_type=password&service=registry.test%3A5000&scope=repository%3Asamples%2Fapp%3Apull"
                           "&username=pull-token&password=" + http::percent_encode(pull_pw);
  http::Headers form_with_host = form_headers();
  form_with_host.set("Host", kHost);
  for (const Reply& refused : {at_cr.send(Method::Get, query, "", with_authorization(basic("pull-token", pull_pw))),
                               at_cr.send(Method::Post, "/oauth2/token", form, form_with_host)}) {
    BOOST_TEST(refused.status == 503);
    BOOST_TEST(refused.error_code() == "UNAVAILABLE");
    BOOST_TEST(refused.body.find("connected registry disabled") != std::string::npos);
    BOOST_TEST(refused.body.find("access_token") == std::string::npos);
  }
  disabled = false;
  BOOST_TEST(at_cr.send(Method::Get, query, "", with_authorization(basic("pull-token", pull_pw))).status == 200);
}

// SPEC 1.2: the cloud's data endpoint serves the gateway only. A token endpoint built with its facts (as the node wires
// the data endpoint's handler) issues nothing, and names the login server to use.
BOOST_AUTO_TEST_CASE(the_data_endpoint_issues_no_tokens) {
  NodeFacts facts;
  facts.endpoint = auth::Endpoint::DataEndpoint;
  facts.login_server = kHost;
  facts.data_endpoint = "data.test:5001";
  TokenEndpoint endpoint(authenticator, key, ServiceNaming{}, facts, random);
  InProcessClient at_data(endpoint);
  const Reply refused = at_data.send(Method::Get, "/oauth2/token?scope=repository:samples/app:pull", "",
                                     with_authorization(basic("pull-token", pull_pw)));
  BOOST_TEST(refused.status == 403);
  BOOST_TEST(refused.error_code() == "DENIED");
  BOOST_TEST(refused.body.find(std::string("use the login server ") + kHost) != std::string::npos, refused.body);
  // The same whoever asks: the endpoint decides before the credentials do.
  BOOST_TEST(at_data.send(Method::Get, "/oauth2/token", "", with_authorization(basic("pull-token", "wrong"))).body ==
             refused.body);
  // And whatever the request says: another service, a body that is no form, another method.
  BOOST_TEST(at_data.send(Method::Get, "/oauth2/token?service=elsewhere.test", "",
                          with_authorization(basic("pull-token", pull_pw))).body == refused.body);
  BOOST_TEST(at_data.send(Method::Post, "/oauth2/token", "not a form", {}).body == refused.body);
  const Reply put = at_data.send(Method::Put, "/oauth2/token", "", {});
  BOOST_TEST(put.status == 403);
  BOOST_TEST(put.body == refused.body);
}

// SPEC 4.5: the same bytes for unknown, wrong, disabled and expired credentials, on both flows.
BOOST_AUTO_TEST_CASE(refusals_are_indistinguishable) {
  make_token("off-token", {"repositories/samples/*/content/read"});
  const std::string off_pw = [&] {
    const auto result = control.generate_credentials("off-token", {{"name", "password1"}});
    return result.body.at("passwords").at(0).at("value").get<std::string>();
  }();
  control.patch_token("off-token", {{"status", "disabled"}});
  make_token("old-token", {"repositories/samples/*/content/read"});
  const std::string old_pw = [&] {
    const auto result = control.generate_credentials(
        "old-token", {{"name", "password1"}, {"expiry", format_rfc3339(clock.now() - 1h)}});
    return result.body.at("passwords").at(0).at("value").get<std::string>();
  }();

  const std::string query = "/oauth2/token?service=registry.test:5000&scope=repository:samples/app:pull";
  std::vector<Reply> replies = {
      get(query, basic("pull-token", "wrong")), get(query, basic("nobody-here", pull_pw)),
      get(query, basic("off-token", off_pw)),   get(query, basic("old-token", old_pw)),
      get(query, ""),                           get(query, "Bearer abc"),
  };
  for (const auto& [name, password] : std::vector<std::pair<std::string, std::string>>{
           {"pull-token", "wrong"}, {"nobody-here", "x"}, {"off-token", off_pw}, {"old-token", old_pw}})
    replies.push_back(post_form("grant_type=password&service=registry.test:5000&scope=repository:samples/app:pull"
                                "&username=" + name + "&password=" + http::percent_encode(password)));
  replies.push_back(refresh("not-a-jwt"));
  replies.push_back(post_form("grant_type=password&service=registry.test:5000&scope=repository:samples/app:pull"
                              "&username=" + std::string(10'000, 'n') + "&password=x"));
  for (const Reply& reply : replies) {
    BOOST_TEST(reply.status == 401);
    BOOST_TEST(reply.body == replies.front().body);
    BOOST_TEST(reply.header("WWW-Authenticate") == replies.front().header("WWW-Authenticate"));
  }
  BOOST_TEST(replies.front().header("WWW-Authenticate") ==
             R"(Bearer realm="http://registry.test:5000/oauth2/token",service="registry.test:5000",)"
             R"(scope="repository:samples/app:pull")");
}

BOOST_AUTO_TEST_CASE(malformed_requests) {
  const std::string credentials = "&username=pull-token&password=" + http::percent_encode(pull_pw);
  auto expect_400 = [&](const Reply& reply) {
    BOOST_TEST(reply.status == 400);
    BOOST_TEST(reply.error_code() == "INVALID_REQUEST");
  };
  expect_400(send(Method::Post, "/oauth2/token", "", "grant_type=password" + credentials));  // no Content-Type
  http::Headers json_type;
  json_type.set("Content-Type", "application/json");
  expect_400(send(Method::Post, "/oauth2/token", "", "{}", json_type));
  expect_400(post_form("grant_type=password" + credentials + "&bad=%zz"));
  expect_400(post_form("grant_type=client_credentials" + credentials));
  expect_400(post_form(credentials.substr(1)));                           // no grant_type
  expect_400(post_form("grant_type=password&password=x"));                // no username
  expect_400(post_form("grant_type=refresh_token"));                      // no refresh_token
  expect_400(post_form("grant_type=password&grant_type=password" + credentials));
  expect_400(post_form("grant_type=password&service=elsewhere" + credentials));
  expect_400(post_form(std::string(70 * 1024, 'a')));
  expect_400(get("/oauth2/token?service=elsewhere", basic("pull-token", pull_pw)));
  expect_400(get("/oauth2/token?offline_token=true&offline_token=false", basic("pull-token", pull_pw)));
  for (const Method method : {Method::Put, Method::Delete}) {
    const auto refused = send(method, "/oauth2/token", basic("pull-token", pull_pw));
    BOOST_TEST(refused.status == 405);
    BOOST_TEST(refused.headers.get("Allow").value_or("") == "GET, POST");  // RFC 9110 15.5.6
  }
  // The service check ignores case, as host names do.
  BOOST_TEST(get("/oauth2/token?service=REGISTRY.test:5000", basic("pull-token", pull_pw)).status == 200);
}

BOOST_AUTO_TEST_CASE(signing_key_survives_a_restart) {
  SeededRandom other{1234};
  const auth::SigningKey again = load_or_create_signing_key(control, other);
  BOOST_TEST(again.kid() == key.kid());
  control.put_setting(kSigningKeySetting, "garbage");
  BOOST_CHECK_THROW(load_or_create_signing_key(control, other), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_nodes_key_is_made_when_it_first_signs_and_loaded_at_once_after_a_restart) {
  FakeClock fresh_clock;
  SeededRandom fresh_random{99};
  const auto fresh_store = control::open_memory_control_store();
  control::ControlPlane fresh{*fresh_store, fresh_clock, fresh_random, {kTestCost}};
  std::string kid;
  {
    NodeSigningKey lazy(fresh, fresh_random);
    BOOST_TEST(!fresh.setting(kSigningKeySetting).has_value());  // nothing made at start
    BOOST_TEST(lazy.verifying_keys().size() == 0u);                // so no bearer token verifies yet
    kid = lazy.get().kid();
    BOOST_TEST(fresh.setting(kSigningKeySetting).has_value());  // stored the first time it signs
    BOOST_TEST(lazy.get().kid() == kid);                         // and made once
    BOOST_TEST(lazy.verifying_keys().find(kid) != nullptr);
  }
  NodeSigningKey restarted(fresh, fresh_random);
  BOOST_TEST(restarted.verifying_keys().find(kid) != nullptr);  // tokens issued before the restart still verify
  BOOST_TEST(restarted.get().kid() == kid);
  fresh.put_setting(kSigningKeySetting, "garbage");
  BOOST_CHECK_THROW(NodeSigningKey(fresh, fresh_random), std::invalid_argument);  // damaged: reported at start
}

BOOST_AUTO_TEST_SUITE_END()
