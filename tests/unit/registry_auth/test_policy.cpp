// TokenAccessPolicy against a Snapshot double: Basic and Bearer authentication, the identical refusals of SPEC 4.5,
// the caches and their invalidation, rate limiting, and the SPEC 4.3 answers.
#include <boost/test/unit_test.hpp>

#include <optional>

#include "reference/control/connected_registry_config.h"
#include "reference/registry/auth/token_access_policy.h"
#include "reference/registry/auth/www_authenticate.h"
#include "reference/registry/oci_errors.h"
#include "reference/registry/registry.h"
#include "reference/registry/route.h"
#include "reference/storage/storage.h"
#include "tests/unit/registry/in_process_client.h"
#include "tests/unit/registry_auth/auth_fixture.h"

using namespace outpost;
using namespace outpost::registry;
using namespace outpost::testing;
using namespace std::chrono_literals;
using http::Method;

namespace {
constexpr uint64_t kPullGeneration = 10;

http::Request make_request(Method method, const std::string& target, const std::string& authorization,
                           const std::string& remote = "10.0.0.1:1234") {
  http::Request request;
  request.method = method;
  request.target = target;
  const size_t question = target.find('?');
  request.path = http::percent_decode(target.substr(0, question));
  if (question != std::string::npos) request.query = target.substr(question + 1);
  request.headers = with_authorization(authorization);
  request.remote_address = remote;
  return request;
}

struct PolicyFixture {
  FakeClock clock;
  SeededRandom random{11};
  SnapshotDouble snapshots;
  auth::SigningKey key = auth::SigningKey::generate(random);
  Authenticator authenticator{snapshots.source(), auth::KeySet({key.verifying_key()}), clock,
                              AuthenticatorOptions{kTestCost}};
  TokenAccessPolicy policy{authenticator, ServiceNaming{}};

  PolicyFixture() {
    snapshots.change([&](control::Snapshot& s) {
      put_token(s, random, "pull-token", "pull-pw", "pull-map", {"repositories/samples/*/content/read"},
                kPullGeneration);
      put_token(s, random, "push-token", "push-pw", "push-map",
                {"repositories/samples/*/content/read", "repositories/samples/*/content/write"}, 20);
      put_token(s, random, "off-token", "off-pw", "off-map", {"repositories/samples/*/content/read"}, 30);
      s.tokens.at("off-token").status = auth::TokenStatus::Disabled;
      put_token(s, random, "old-token", "old-pw", "old-map", {"repositories/samples/*/content/read"}, 40);
      s.tokens.at("old-token").password(auth::PasswordName::Password1).expiry = clock.now() - 1s;
      s.admin_password_hash = auth::hash_password(kAdminPassword, random, kTestCost);
      s.generations.insert_or_assign(std::string(control::kAdminUser), 50);
    });
  }

  // Nothing when the request may proceed; the refusal otherwise.
  std::optional<ApiError> attempt(const http::Request& request) {
    try {
      policy.authorize(request, match_route(request));
      return std::nullopt;
    } catch (const ApiError& error) {
      return error;
    }
  }
  std::optional<ApiError> attempt(Method method, const std::string& target, const std::string& authorization) {
    return attempt(make_request(method, target, authorization));
  }

  // An access token as the token endpoint would issue it for `subject` now.
  std::string access_token(const std::string& subject, std::vector<auth::AccessEntry> access,
                           const std::string& audience = kHost, std::optional<uint64_t> generation = {}) {
    const auto& snapshot = *snapshots.current;
    NodeToken token{auth::make_access_claims("outpost", subject, audience, std::move(access), clock.now(), 5min,
                                             random),
                    generation.value_or(snapshot.generation(subject)), credential_fingerprint(snapshot, subject),
                    TokenUse::Access, subject == control::kAdminUser ? std::nullopt : std::optional<int>(0)};
    return sign_node_token(token, key);
  }
};

std::string challenge_of(const ApiError& error) {
  for (const auto& [name, value] : error.headers())
    if (name == "WWW-Authenticate") return value;
  return "";
}

const std::string kManifest = "/v2/samples/app/manifests/latest";
}  // namespace

BOOST_FIXTURE_TEST_SUITE(policy, PolicyFixture)

BOOST_AUTO_TEST_CASE(basic_with_either_state_of_the_cache) {
  BOOST_TEST(!attempt(Method::Get, kManifest, basic("pull-token", "pull-pw")).has_value());  // verified
  BOOST_TEST(!attempt(Method::Get, kManifest, basic("pull-token", "pull-pw")).has_value());  // cached
}

// SPEC 4.5: unknown token, wrong password, disabled token and expired password answer the same bytes; so do a
// malformed header and no header at all.
BOOST_AUTO_TEST_CASE(credential_failures_are_indistinguishable) {
  const std::vector<std::string> failures = {
      basic("pull-token", "wrong"), basic("nobody-here", "pull-pw"), basic("off-token", "off-pw"),
      basic("old-token", "old-pw"), "Basic !!!", "", "Bearer not.a.jwt", basic("admin", "wrong")};
  std::optional<ApiError> first;
  for (const std::string& authorization : failures) {
    BOOST_TEST_INFO(authorization);
    const auto error = attempt(Method::Get, kManifest, authorization);
    BOOST_REQUIRE(error.has_value());
    BOOST_TEST(error->status() == 401);
    BOOST_TEST(error->code() == "UNAUTHORIZED");
    if (!first) {
      first = error;
      continue;
    }
    BOOST_TEST(error_response(*error).body == error_response(*first).body);
    BOOST_TEST(challenge_of(*error) == challenge_of(*first));
  }
  BOOST_TEST(challenge_of(*first) ==
             R"(Bearer realm="http://registry.test:5000/oauth2/token",service="registry.test:5000",)"
             R"(scope="repository:samples/app:pull")");
}

BOOST_AUTO_TEST_CASE(cached_login_is_dropped_when_the_generation_changes) {
  BOOST_REQUIRE(!attempt(Method::Get, kManifest, basic("pull-token", "pull-pw")).has_value());
  // The stored hash now belongs to another password, the generation unchanged: the remembered login still counts,
  // which shows the cache is what answered...
  snapshots.change([&](control::Snapshot& s) {
    s.tokens.at("pull-token").password(auth::PasswordName::Password1).hash =
        auth::hash_password("new-pw", random, kTestCost);
  });
  BOOST_TEST(!attempt(Method::Get, kManifest, basic("pull-token", "pull-pw")).has_value());
  // ...and a new generation (as every control-plane change gives) forgets it at once.
  snapshots.change([&](control::Snapshot& s) { s.generations["pull-token"] = kPullGeneration + 1; });
  const auto refused = attempt(Method::Get, kManifest, basic("pull-token", "pull-pw"));
  BOOST_REQUIRE(refused.has_value());
  BOOST_TEST(refused->status() == 401);
  BOOST_TEST(!attempt(Method::Get, kManifest, basic("pull-token", "new-pw")).has_value());
}

// After a login is remembered (in the credential cache and beside the token's facts), only that password passes
// unhashed: a wrong one is still hashed and refused, every time, and the right one still passes after it.
BOOST_AUTO_TEST_CASE(a_remembered_login_never_lets_another_password_in) {
  BOOST_REQUIRE(!attempt(Method::Get, kManifest, basic("pull-token", "pull-pw")).has_value());
  BOOST_REQUIRE(!attempt(Method::Get, kManifest, basic("pull-token", "pull-pw")).has_value());
  for (const std::string wrong : {"pull-pw ", "pull-p", "", "push-pw"}) {
    BOOST_TEST_INFO(wrong);
    const auto refused = attempt(Method::Get, kManifest, basic("pull-token", wrong));
    BOOST_REQUIRE(refused.has_value());
    BOOST_TEST(refused->status() == 401);
  }
  BOOST_TEST(!attempt(Method::Get, kManifest, basic("pull-token", "pull-pw")).has_value());
  // Nor another token's name with the remembered password.
  BOOST_TEST(attempt(Method::Get, kManifest, basic("push-token", "pull-pw")).has_value());
}

// The remembered login ends with its credential cache entry (password_cache_ttl), whichever copy answers: past the TTL
// the password is hashed again. Shown as above, by a stored hash that changed under an unchanged generation.
BOOST_AUTO_TEST_CASE(a_remembered_login_ends_at_the_password_cache_ttl) {
  AuthenticatorOptions options{kTestCost};
  options.password_cache_ttl = 10min;
  Authenticator short_lived{snapshots.source(), auth::KeySet({key.verifying_key()}), clock, options};
  TokenAccessPolicy short_policy{short_lived, ServiceNaming{}};
  const auto attempt_short = [&](const std::string& password) -> std::optional<ApiError> {
    const http::Request request = make_request(Method::Get, kManifest, basic("pull-token", password));
    try {
      short_policy.authorize(request, match_route(request));
      return std::nullopt;
    } catch (const ApiError& error) {
      return error;
    }
  };
  BOOST_REQUIRE(!attempt_short("pull-pw").has_value());
  snapshots.change([&](control::Snapshot& s) {
    s.tokens.at("pull-token").password(auth::PasswordName::Password1).hash =
        auth::hash_password("new-pw", random, kTestCost);
  });
  BOOST_REQUIRE(!attempt_short("pull-pw").has_value());  // remembered: read from the credential cache...
  clock.advance(10min - 1ns);
  BOOST_REQUIRE(!attempt_short("pull-pw").has_value());  // ...and now beside the facts
  clock.advance(1ns);
  const auto refused = attempt_short("pull-pw");
  BOOST_REQUIRE(refused.has_value());
  BOOST_TEST(refused->status() == 401);
  BOOST_TEST(!attempt_short("new-pw").has_value());
}

// A password that expires by the clock stops working on time, with nothing else changing.
BOOST_AUTO_TEST_CASE(a_remembered_login_ends_when_its_password_expires) {
  snapshots.change([&](control::Snapshot& s) {
    s.tokens.at("pull-token").password(auth::PasswordName::Password1).expiry = clock.now() + 1min;
  });
  BOOST_REQUIRE(!attempt(Method::Get, kManifest, basic("pull-token", "pull-pw")).has_value());
  clock.advance(1min - 1ns);
  BOOST_REQUIRE(!attempt(Method::Get, kManifest, basic("pull-token", "pull-pw")).has_value());
  clock.advance(1ns);
  const auto refused = attempt(Method::Get, kManifest, basic("pull-token", "pull-pw"));
  BOOST_REQUIRE(refused.has_value());
  BOOST_TEST(refused->status() == 401);
}

BOOST_AUTO_TEST_CASE(a_token_changed_to_disabled_is_refused_on_the_next_request) {
  BOOST_REQUIRE(!attempt(Method::Get, kManifest, basic("pull-token", "pull-pw")).has_value());
  snapshots.change([&](control::Snapshot& s) {
    s.tokens.at("pull-token").status = auth::TokenStatus::Disabled;
    s.generations["pull-token"] = kPullGeneration + 1;
  });
  const auto refused = attempt(Method::Get, kManifest, basic("pull-token", "pull-pw"));
  BOOST_REQUIRE(refused.has_value());
  BOOST_TEST(refused->status() == 401);
}

// SPEC 4.3 step 3 with Basic credentials: 403 DENIED, no challenge.
BOOST_AUTO_TEST_CASE(basic_without_the_action_is_denied) {
  const auto error = attempt(Method::Post, "/v2/samples/app/blobs/uploads/", basic("pull-token", "pull-pw"));
  BOOST_REQUIRE(error.has_value());
  BOOST_TEST(error->status() == 403);
  BOOST_TEST(error->code() == "DENIED");
  BOOST_TEST(std::string(error->what()) == "Insufficient scopes to perform the operation");
  BOOST_TEST(challenge_of(*error).empty());
  BOOST_TEST(!attempt(Method::Post, "/v2/samples/app/blobs/uploads/", basic("push-token", "push-pw")).has_value());
  // Outside its prefix the push token may not even read.
  BOOST_TEST(attempt(Method::Get, "/v2/other/app/manifests/latest", basic("push-token", "push-pw"))->status() == 403);
}

BOOST_AUTO_TEST_CASE(bearer_accepted) {
  const std::string jwt = access_token("pull-token", {{"repository", "samples/app", {"pull"}}});
  BOOST_TEST(!attempt(Method::Get, kManifest, "Bearer " + jwt).has_value());
  BOOST_TEST(!attempt(Method::Get, kManifest, "Bearer " + jwt).has_value());  // from the cache
  BOOST_TEST(!attempt(Method::Get, "/v2/", "Bearer " + jwt).has_value());
}

// SPEC 4.3 step 3 with a JWT: 401 with the challenge and error="insufficient_scope".
BOOST_AUTO_TEST_CASE(bearer_without_the_scope_gets_insufficient_scope) {
  const std::string jwt = access_token("push-token", {{"repository", "samples/app", {"pull"}}});
  const auto error = attempt(Method::Post, "/v2/samples/app/blobs/uploads/", "Bearer " + jwt);
  BOOST_REQUIRE(error.has_value());
  BOOST_TEST(error->status() == 401);
  BOOST_TEST(std::string(error->what()) == "Insufficient scopes to perform the operation");
  const auto challenge = parse_bearer_challenge(challenge_of(*error));
  BOOST_REQUIRE(challenge.has_value());
  BOOST_TEST(challenge->scope == "repository:samples/app:pull,push");
  BOOST_TEST(challenge->insufficient_scope);
  // A JWT for another repository grants nothing here, even though the scope map would.
  const std::string elsewhere = access_token("push-token", {{"repository", "samples/other", {"pull", "push"}}});
  BOOST_TEST(attempt(Method::Get, kManifest, "Bearer " + elsewhere)->status() == 401);
  // And the JWT never grants more than the scope map does now.
  const std::string greedy = access_token("pull-token", {{"repository", "samples/app", {"pull", "push"}}});
  BOOST_TEST(attempt(Method::Post, "/v2/samples/app/blobs/uploads/", "Bearer " + greedy)->status() == 401);
}

BOOST_AUTO_TEST_CASE(bearer_refusals) {
  const std::vector<auth::AccessEntry> pull = {{"repository", "samples/app", {"pull"}}};
  const std::string good = access_token("pull-token", pull);
  // alg none: the header says none and the signature is empty.
  const std::string payload = good.substr(good.find('.') + 1, good.rfind('.') - good.find('.') - 1);
  const std::string none = auth::base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + payload + ".";
  // Signed by a key this node does not trust, with this node's kid.
  SeededRandom other_random{99};
  const auth::SigningKey stranger = auth::SigningKey::generate(other_random);
  const std::string header_and_payload = good.substr(0, good.rfind('.'));
  const std::string wrong_key =
      header_and_payload + "." + auth::base64url_encode(auth::es256_sign(header_and_payload, stranger));
  const std::string wrong_audience = access_token("pull-token", pull, "elsewhere.test");
  const std::string stale = access_token("pull-token", pull, kHost, kPullGeneration - 1);
  const std::string for_deleted = access_token("ghost-token", pull);
  std::string refresh;
  {
    const auto& snapshot = *snapshots.current;
    NodeToken token{auth::make_access_claims("outpost", "pull-token", kHost, pull, clock.now(), 5min, random),
                    kPullGeneration, credential_fingerprint(snapshot, "pull-token"), TokenUse::Refresh, 0};
    refresh = sign_node_token(token, key);
  }
  // A JWT naming no password (issued before JWTs named theirs), or one the token does not have (pull-token has only
  // password1): nothing says the password it came from is still valid.
  std::string no_password, empty_password;
  {
    const auto& snapshot = *snapshots.current;
    NodeToken token{auth::make_access_claims("outpost", "pull-token", kHost, pull, clock.now(), 5min, random),
                    kPullGeneration, credential_fingerprint(snapshot, "pull-token"), TokenUse::Access};
    no_password = sign_node_token(token, key);
    token.password_slot = 1;
    empty_password = sign_node_token(token, key);
  }
  for (const std::string& jwt : {none, wrong_key, wrong_audience, stale, for_deleted, refresh, no_password,
                                 empty_password}) {
    BOOST_TEST_INFO(jwt.substr(0, 40));
    const auto error = attempt(Method::Get, kManifest, "Bearer " + jwt);
    BOOST_REQUIRE(error.has_value());
    BOOST_TEST(error->status() == 401);
    BOOST_TEST(!parse_bearer_challenge(challenge_of(*error))->insufficient_scope);
  }
  // Expired: the good token, five minutes and the leeway later.
  BOOST_REQUIRE(!attempt(Method::Get, kManifest, "Bearer " + good).has_value());
  clock.advance(5min + auth::kDefaultJwtLeeway);
  BOOST_TEST(attempt(Method::Get, kManifest, "Bearer " + good)->status() == 401);
}

BOOST_AUTO_TEST_CASE(bearer_follows_the_token_state) {
  const std::string jwt = access_token("pull-token", {{"repository", "samples/app", {"pull"}}});
  BOOST_REQUIRE(!attempt(Method::Get, kManifest, "Bearer " + jwt).has_value());
  // A regenerated password changes the credential claim's digest: refused even if a generation came round again.
  snapshots.change([&](control::Snapshot& s) {
    s.tokens.at("pull-token").password(auth::PasswordName::Password1).hash =
        auth::hash_password("new-pw", random, kTestCost);
  });
  BOOST_TEST(attempt(Method::Get, kManifest, "Bearer " + jwt)->status() == 401);
}

BOOST_AUTO_TEST_CASE(the_admin_user_may_do_everything) {
  const std::string admin = basic("admin", kAdminPassword);
  BOOST_TEST(!attempt(Method::Delete, "/v2/any/repo/manifests/sha256:" + std::string(64, 'a'), admin).has_value());
  BOOST_TEST(!attempt(Method::Delete, "/v2/any/repo/manifests/tag", admin).has_value());
  BOOST_TEST(!attempt(Method::Get, "/v2/_catalog", admin).has_value());
  BOOST_TEST(!attempt(Method::Get, "/metrics", admin).has_value());
  BOOST_TEST(!attempt(Method::Post, "/v2/x/blobs/uploads/?mount=sha256:" + std::string(64, 'a') + "&from=y", admin)
                  .has_value());
  const std::string jwt = access_token("admin", {{"registry", "catalog", {"*"}}});
  BOOST_TEST(!attempt(Method::Get, "/v2/_catalog", "Bearer " + jwt).has_value());
  BOOST_TEST(attempt(Method::Get, "/v2/_catalog", basic("pull-token", "pull-pw"))->status() == 403);
}

// SPEC 1.4: probes need nothing; /metrics at the cloud needs the admin user.
BOOST_AUTO_TEST_CASE(probes_and_metrics) {
  BOOST_TEST(!attempt(Method::Get, "/healthz", "").has_value());
  BOOST_TEST(!attempt(Method::Get, "/readyz", "Basic !!!").has_value());
  BOOST_TEST(attempt(Method::Get, "/metrics", "")->status() == 401);
  BOOST_TEST(attempt(Method::Get, "/metrics", basic("pull-token", "pull-pw"))->status() == 403);
}

// SPEC 7.2: the management API is for the admin user only, Basic or Bearer.
BOOST_AUTO_TEST_CASE(management_needs_the_admin_user) {
  auto manage = [&](const std::string& authorization) -> std::optional<ApiError> {
    try {
      policy.authorize_management(make_request(Method::Get, "/mgmt/v1/tokens", authorization));
      return std::nullopt;
    } catch (const ApiError& error) {
      return error;
    }
  };
  BOOST_TEST(!manage(basic("admin", kAdminPassword)).has_value());
  BOOST_TEST(!manage("Bearer " + access_token("admin", {})).has_value());
  const auto anonymous = manage("");
  BOOST_REQUIRE(anonymous.has_value());
  BOOST_TEST(anonymous->status() == 401);
  BOOST_TEST(parse_bearer_challenge(challenge_of(*anonymous))->scope.empty());
  BOOST_TEST(manage(basic("push-token", "push-pw"))->status() == 403);
  BOOST_TEST(manage("Bearer " + access_token("push-token", {}))->status() == 403);
}

BOOST_AUTO_TEST_CASE(may_read_follows_the_scope_map) {
  BOOST_TEST(policy.may_read(make_request(Method::Get, "/v2/_catalog", basic("pull-token", "pull-pw")), "samples/a"));
  BOOST_TEST(!policy.may_read(make_request(Method::Get, "/v2/_catalog", basic("pull-token", "pull-pw")), "other/a"));
  BOOST_TEST(!policy.may_read(make_request(Method::Get, "/v2/_catalog", basic("pull-token", "wrong")), "samples/a"));
  BOOST_TEST(!policy.may_read(make_request(Method::Get, "/v2/_catalog", ""), "samples/a"));
  BOOST_TEST(policy.may_read(make_request(Method::Get, "/v2/_catalog", basic("admin", kAdminPassword)), "any"));
  // A JWT naming only the catalog still lets the catalog list what the scope map can read (may_list); it reads no
  // repository's content, so it picks no mount source (may_read), nor does one granting another repository.
  const std::string jwt = access_token("pull-token", {{"registry", "catalog", {"*"}}});
  BOOST_TEST(policy.may_list(make_request(Method::Get, "/v2/_catalog", "Bearer " + jwt), "samples/a"));
  BOOST_TEST(!policy.may_list(make_request(Method::Get, "/v2/_catalog", "Bearer " + jwt), "other/a"));
  BOOST_TEST(!policy.may_read(make_request(Method::Get, "/v2/_catalog", "Bearer " + jwt), "samples/a"));
  const std::string pull_b = access_token("pull-token", {{"repository", "samples/b", {"pull"}}});
  BOOST_TEST(!policy.may_read(make_request(Method::Post, "/v2/samples/b/blobs/uploads/", "Bearer " + pull_b),
                              "samples/a"));
  BOOST_TEST(policy.may_read(make_request(Method::Post, "/v2/samples/b/blobs/uploads/", "Bearer " + pull_b),
                             "samples/b"));
}

// The catalog lists what a token may see: a repository whose tags it may list (metadata/read) is listed, though its
// content may not be read; may_read (a mount's source) still asks for content/read.
BOOST_AUTO_TEST_CASE(may_list_takes_metadata_read_as_well_as_content_read) {
  snapshots.change([&](control::Snapshot& s) {
    put_token(s, random, "meta-token", "meta-pw", "meta-map", {"repositories/*/metadata/read"}, 60);
  });
  const auto catalog = [&](const std::string& authorization) {
    return make_request(Method::Get, "/v2/_catalog", authorization);
  };
  BOOST_TEST(policy.may_list(catalog(basic("meta-token", "meta-pw")), "any/repo"));
  BOOST_TEST(!policy.may_read(catalog(basic("meta-token", "meta-pw")), "any/repo"));
  BOOST_TEST(policy.may_list(catalog(basic("pull-token", "pull-pw")), "samples/a"));
  BOOST_TEST(!policy.may_list(catalog(basic("pull-token", "pull-pw")), "other/a"));
  BOOST_TEST(!policy.may_list(catalog(basic("meta-token", "wrong")), "any/repo"));
}

// SPEC 4.1/4.2: a valid token the node does not accept is refused like a wrong one (the connected-registry rules plug
// in through this hook).
BOOST_AUTO_TEST_CASE(tokens_the_node_does_not_accept_get_401) {
  AuthenticatorOptions options{kTestCost};
  options.accepts = [](const control::Snapshot&, const auth::Token& token) { return token.name != "push-token"; };
  Authenticator picky(snapshots.source(), auth::KeySet({key.verifying_key()}), clock, options);
  TokenAccessPolicy picky_policy(picky, ServiceNaming{});
  auto check = [&](const std::string& authorization) {
    const http::Request request = make_request(Method::Get, kManifest, authorization);
    try {
      picky_policy.authorize(request, match_route(request));
      return 0;
    } catch (const ApiError& error) {
      return error.status();
    }
  };
  BOOST_TEST(check(basic("pull-token", "pull-pw")) == 0);
  BOOST_TEST(check(basic("push-token", "push-pw")) == 401);
  BOOST_TEST(check("Bearer " + access_token("push-token", {{"repository", "samples/app", {"pull"}}})) == 401);
}

// SPEC 4.2: at a connected registry a client token is accepted with its repository actions only; gateway actions come
// with a child's sync token (4.2(b)), Basic or Bearer. At the cloud's data endpoint a token has all its actions (4.1).
BOOST_AUTO_TEST_CASE(gateway_actions_at_a_connected_registry_come_with_sync_tokens) {
  snapshots.change([&](control::Snapshot& s) {
    const std::vector<std::string> actions = {"repositories/samples/*/content/read", "gateway/childone/config/read"};
    put_token(s, random, "client-token", "client-pw", "client-map", actions, 60);
    put_token(s, random, "childone-sync-token", "sync-pw", "childone-sync-scope-map", actions, 70);
    control::ConnectedRegistry child;
    child.name = "childone";
    child.parent = "edgenode";
    child.sync.token = "childone-sync-token";
    s.connected_registries.insert_or_assign(child.name, child);
    s.sync_token_owners.insert_or_assign(child.sync.token, child.name);
  });
  AuthenticatorOptions options{kTestCost};
  options.is_sync_token = [](const control::Snapshot& snapshot, const auth::Token& token) {
    return control::sync_token_owner(snapshot, token.name) != nullptr;
  };
  Authenticator authenticator_here(snapshots.source(), auth::KeySet({key.verifying_key()}), clock, options);
  NodeFacts connected_registry;
  connected_registry.role = auth::NodeRole::ConnectedRegistry;
  NodeFacts data_endpoint;
  data_endpoint.endpoint = auth::Endpoint::DataEndpoint;
  data_endpoint.data_endpoint = "data.test:5001";
  TokenAccessPolicy at_cr(authenticator_here, ServiceNaming{}, connected_registry);
  TokenAccessPolicy at_cloud(authenticator_here, ServiceNaming{}, data_endpoint);
  const auto config_read = [](TokenAccessPolicy& guard, const std::string& authorization) {
    try {
      guard.authorize_gateway(make_request(Method::Get, "/gateway/v1/childone/config", authorization), "childone",
                              auth::kConfigRead);
      return 0;
    } catch (const ApiError& error) {
      BOOST_TEST(error.code() == "DENIED");
      return error.status();
    }
  };
  BOOST_TEST(config_read(at_cr, basic("childone-sync-token", "sync-pw")) == 0);
  BOOST_TEST(config_read(at_cr, "Bearer " + access_token("childone-sync-token", {})) == 0);
  BOOST_TEST(config_read(at_cr, basic("client-token", "client-pw")) == 403);
  BOOST_TEST(config_read(at_cr, "Bearer " + access_token("client-token", {})) == 403);
  BOOST_TEST(config_read(at_cloud, basic("client-token", "client-pw")) == 0);
  // A 401 there challenges for Basic: the data endpoint serves no tokens, so a Bearer realm would lead nowhere. A
  // connected registry serves both APIs, its token endpoint included, and keeps the Bearer challenge.
  const auto challenge_at = [](TokenAccessPolicy& guard) {
    try {
      guard.authorize_gateway(make_request(Method::Get, "/gateway/v1/childone/config", ""), "childone",
                              auth::kConfigRead);
    } catch (const ApiError& error) {
      BOOST_TEST(error.status() == 401);
      for (const auto& [name, value] : error.headers())
        if (name == "WWW-Authenticate") return value;
    }
    return std::string("(no challenge)");
  };
  BOOST_TEST(challenge_at(at_cloud).starts_with("Basic realm="));
  BOOST_TEST(challenge_at(at_cr).starts_with("Bearer realm="));
  // The client token's repository actions still count at the CR.
  const http::Request pull = make_request(Method::Get, kManifest, basic("client-token", "client-pw"));
  BOOST_CHECK_NO_THROW(at_cr.authorize(pull, match_route(pull)));
}

// SPEC 4.3 step 4, 3.6: at a connected registry, a repository it no longer syncs (a ReadWrite node keeps its content,
// SPEC 2.8) serves nothing, and a mount naming it as the source does not read its blobs either: an upload session
// starts instead (202). (The mount linked them, 201, and they read through the target.)
BOOST_AUTO_TEST_CASE(a_mount_from_a_repository_the_node_no_longer_syncs_links_nothing) {
  snapshots.change([&](control::Snapshot& s) {
    put_token(s, random, "site-token", "site-pw", "site-map",
              {"repositories/samples/*/content/read", "repositories/samples/*/content/write",
               "repositories/legacy/*/content/read"},
              80);
  });
  NodeFacts site;
  site.role = auth::NodeRole::ConnectedRegistry;
  site.refine = [](auth::NodeView& view, std::string_view repository) {
    view.repository_synced = repository.starts_with("samples/");
  };
  TokenAccessPolicy at_site(authenticator, ServiceNaming{}, site);
  const auto storage = storage::open_memory_storage(clock, random);
  const storage::BlobInfo secret = storage->blobs->put("kept from when it was synced");
  storage->metadata->link_blob("legacy/secret", secret);
  storage->metadata->link_blob("samples/mine", storage->blobs->put("mine"));
  Registry registry(*storage, clock, random, at_site);
  InProcessClient client(registry);
  const http::Headers as_site = with_authorization(basic("site-token", "site-pw"));

  BOOST_TEST(client.send(Method::Get, "/v2/legacy/secret/blobs/" + secret.digest.str(), "", as_site).status == 404);
  const Reply mount = client.send(
      Method::Post, "/v2/samples/app/blobs/uploads/?mount=" + secret.digest.str() + "&from=legacy/secret", "", as_site);
  BOOST_TEST(mount.status == 202);
  BOOST_TEST(client.send(Method::Get, "/v2/samples/app/blobs/" + secret.digest.str(), "", as_site).status == 404);
  // From a repository it syncs, the same mount links.
  const oci::Digest mine = oci::digest_of("mine");
  BOOST_TEST(client.send(Method::Post, "/v2/samples/app/blobs/uploads/?mount=" + mine.str() + "&from=samples/mine", "",
                         as_site)
                 .status == 201);
}

// SPEC 4.5: failed Basic logins are limited per (name, client address); the limit treats every failure alike.
BOOST_AUTO_TEST_CASE(failed_logins_are_rate_limited) {
  BOOST_REQUIRE(!attempt(Method::Get, kManifest, basic("pull-token", "pull-pw")).has_value());  // now cached
  const LoginLimits limits;
  for (const std::string name : {"pull-token", "nobody-here", "off-token"}) {
    BOOST_TEST_INFO(name);
    for (unsigned i = 0; i < limits.burst; ++i)
      BOOST_TEST(attempt(Method::Get, kManifest, basic(name, "wrong"))->status() == 401);
    const auto limited = attempt(Method::Get, kManifest, basic(name, "wrong"));
    BOOST_REQUIRE(limited.has_value());
    BOOST_TEST(limited->status() == 429);
    BOOST_TEST(limited->code() == "TOOMANYREQUESTS");
    bool retry_after = false;
    for (const auto& [header, value] : limited->headers()) retry_after = retry_after || header == "Retry-After";
    BOOST_TEST(retry_after);
  }
  // The same 429 bytes whichever name was limited.
  BOOST_TEST(error_response(*attempt(Method::Get, kManifest, basic("nobody-here", "x"))).body ==
             error_response(*attempt(Method::Get, kManifest, basic("off-token", "off-pw"))).body);
  // The holder of a login verified before is not locked out by someone guessing from the same address...
  BOOST_TEST(!attempt(Method::Get, kManifest, basic("pull-token", "pull-pw")).has_value());
  // ...another address is not limited at all...
  BOOST_TEST(attempt(make_request(Method::Get, kManifest, basic("pull-token", "wrong"), "10.0.0.2:1"))->status() ==
             401);
  // ...while another port of the limited address is the same client: the limit keys on the address without its port.
  BOOST_TEST(attempt(make_request(Method::Get, kManifest, basic("nobody-here", "wrong"), "10.0.0.1:9999"))->status() ==
             429);
  // ...and the bucket refills with time.
  clock.advance(limits.refill_every);
  BOOST_TEST(attempt(Method::Get, kManifest, basic("nobody-here", "wrong"))->status() == 401);
}

BOOST_AUTO_TEST_SUITE_END()
