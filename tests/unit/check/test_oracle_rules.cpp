// The oracle on the connected-registry rules of the SPEC that the token issue's decision table does not reach: who is
// accepted where (4.1, 4.2), ReadOnly writes (4.3(2)), disabled CRs (2.6), rotation and expiry (3.3), access tokens
// (3.4), the derived scope maps (2.4, 2.5, 2.10), endpoints and hosts (1.2, 1.3). Each case names its clause.
#include <boost/test/unit_test.hpp>

#include "simulator/check/content.h"
#include "tests/unit/check/world_fixture.h"

using namespace outpost::check;
using namespace outpost::check::testing;
using namespace std::chrono_literals;

namespace {
Answer ask(const World& world, const NodeRef& node, const Request& request, const Credential& credential,
           outpost::WallTime now = kStart + 1h) {
  return answer(world, node, request, credential, now);
}

void expect_allowed(const Answer& got) { BOOST_TEST(got.allowed(), describe(got)); }
void expect(const Answer& got, int status, const std::string& code, const std::string& message = "") {
  BOOST_TEST(got.status == status, describe(got));
  BOOST_TEST(got.code == code, describe(got));
  if (!message.empty()) BOOST_TEST(got.message == message, describe(got));
}
}  // namespace

BOOST_AUTO_TEST_SUITE(oracle_rules)

BOOST_AUTO_TEST_CASE(client_tokens_are_accepted_only_where_listed) {
  const World world = small_world();
  const Request pull = op(Operation::PullManifest, "samples/app");
  // SPEC 4.2(a): listed at mid and leaf, not at other.
  expect_allowed(ask(world, cr("mid"), pull, basic(world, "mid-client")));
  expect_allowed(ask(world, cr("leaf"), pull, basic(world, "mid-client")));
  expect(ask(world, cr("other"), op(Operation::PullManifest, "other/x"), basic(world, "mid-client")), 401,
         "UNAUTHORIZED");
  expect(ask(world, cr("mid"), pull, basic(world, "leaf-client")), 401, "UNAUTHORIZED");
  // SPEC 4.1: every enabled token at the cloud, client tokens of CRs included; and tokens listed nowhere.
  expect_allowed(ask(world, cloud(), pull, basic(world, "leaf-client")));
  expect_allowed(ask(world, cloud(), pull, basic(world, "cloud-user")));
  expect(ask(world, cr("mid"), pull, basic(world, "cloud-user")), 401, "UNAUTHORIZED");
  // SPEC 4.2: the admin user is accepted only at the cloud.
  expect_allowed(ask(world, cloud(), pull, admin_user()));
  expect(ask(world, cr("mid"), pull, admin_user()), 401, "UNAUTHORIZED");
  expect(ask(world, cloud(), pull, admin_user(false)), 401, "UNAUTHORIZED");
}

BOOST_AUTO_TEST_CASE(sync_tokens_are_accepted_only_at_the_parent) {
  const World world = small_world();
  const Request leaf_config = gateway_call("leaf", GatewayRights::kConfigRead);
  const Request pull = op(Operation::PullManifest, "samples/app");
  const Credential leaf_sync = basic(world, "leaf-sync-token");
  // SPEC 4.2(b): at its parent, with its content and gateway actions (2.4).
  expect_allowed(ask(world, cr("mid"), pull, leaf_sync));
  expect_allowed(ask(world, cr("mid"), leaf_config, leaf_sync));
  expect(ask(world, cr("mid"), gateway_call("mid", GatewayRights::kConfigRead), leaf_sync), 403, "DENIED",
         "Insufficient scopes to perform the operation");
  // SPEC 4.2: not at itself; SPEC 4.1: not at the cloud (its parent is a CR); nor at a sibling.
  expect(ask(world, cr("leaf"), pull, leaf_sync), 401, "UNAUTHORIZED");
  expect(ask(world, cloud(), pull, leaf_sync), 401, "UNAUTHORIZED");
  expect(ask(world, data_endpoint(), leaf_config, leaf_sync), 401, "UNAUTHORIZED");
  expect(ask(world, cr("other"), op(Operation::PullManifest, "other/x"), leaf_sync), 401, "UNAUTHORIZED");
  // A top-level CR's sync token at the cloud: gateway at the data endpoint for itself and its descendants (2.4).
  const Credential mid_sync = basic(world, "mid-sync-token");
  expect_allowed(ask(world, data_endpoint(), gateway_call("mid", GatewayRights::kAll), mid_sync));
  expect_allowed(ask(world, data_endpoint(), leaf_config, mid_sync));
  expect_allowed(ask(world, cloud(), pull, mid_sync));
  expect_allowed(ask(world, cloud(), op(Operation::PushManifest, "prod/app"), mid_sync));  // ReadWrite: all five
  expect(ask(world, cloud(), op(Operation::PullManifest, "other/x"), mid_sync), 403, "DENIED");
  expect(ask(world, data_endpoint(), gateway_call("other", GatewayRights::kConfigRead), mid_sync), 403, "DENIED");
  // SPEC 2.4: the ReadOnly leaf's repositories reach mid's sync map with read actions only; mid's own are ReadWrite.
  expect(ask(world, cr("mid"), op(Operation::PushManifest, "samples/app"), leaf_sync), 403, "DENIED");
}

BOOST_AUTO_TEST_CASE(client_tokens_bring_no_gateway_rights_to_a_connected_registry) {
  const World world = small_world();
  // SPEC 4.2(a): "client tokens ... with their repository actions"; gateway actions count at the cloud (4.1) only.
  expect(ask(world, cr("mid"), gateway_call("leaf", GatewayRights::kConfigRead), basic(world, "gateway-client")), 403,
         "DENIED");
  expect_allowed(
      ask(world, data_endpoint(), gateway_call("leaf", GatewayRights::kConfigRead), basic(world, "gateway-client")));
}

BOOST_AUTO_TEST_CASE(a_read_only_connected_registry_refuses_every_write) {
  const World world = small_world();
  const std::string message = "This operation is not allowed on this registry.";
  Request mount = op(Operation::Mount, "samples/app");
  mount.mount_source = "samples/base";
  for (const Request& write : {op(Operation::Upload, "samples/app"), op(Operation::PushManifest, "samples/app"), mount,
                               op(Operation::DeleteBlob, "samples/app"), op(Operation::DeleteManifest, "samples/app"),
                               op(Operation::Untag, "samples/app"), op(Operation::PushManifest, "unsynced/x")}) {
    BOOST_TEST_CONTEXT("SPEC 4.3(2) " << to_string(write.operation) << " " << write.repository) {
      expect(ask(world, cr("leaf"), write, basic(world, "mid-client")), 403, "DENIED", message);  // whatever it allows
      expect(ask(world, cr("leaf"), write, basic(world, "leaf-client")), 403, "DENIED", message);
      expect(ask(world, cr("leaf"), write, wrong_password("mid-client")), 401, "UNAUTHORIZED");  // 4.3(1) first
    }
  }
  expect_allowed(ask(world, cr("leaf"), op(Operation::PullBlob, "samples/app"), basic(world, "leaf-client")));
  expect_allowed(ask(world, cr("mid"), op(Operation::PushManifest, "samples/app"), basic(world, "mid-client")));
}

BOOST_AUTO_TEST_CASE(repositories_a_connected_registry_does_not_sync) {
  const World world = small_world();
  const Credential client = basic(world, "mid-client");
  // SPEC 4.3(4): after the scope check, the code of the object asked.
  expect(ask(world, cr("mid"), op(Operation::PullManifest, "prod/other"), client), 404, "MANIFEST_UNKNOWN");
  expect(ask(world, cr("mid"), op(Operation::PullBlob, "prod/other"), client), 404, "BLOB_UNKNOWN");
  expect(ask(world, cr("mid"), op(Operation::ListTags, "prod/other"), client), 404, "NAME_UNKNOWN");
  expect(ask(world, cr("mid"), op(Operation::Upload, "prod/other"), client), 404, "NAME_UNKNOWN");
  expect_allowed(ask(world, cr("mid"), op(Operation::PullManifest, "prod/app"), client));
  // "prefix/*" never matches "prefix" itself (SPEC 3.1).
  expect(ask(world, cr("mid"), op(Operation::PullManifest, "samples"), client), 404, "MANIFEST_UNKNOWN");
  // The cloud holds every repository.
  expect_allowed(ask(world, cloud(), op(Operation::PullManifest, "prod/other"), client));
}

BOOST_AUTO_TEST_CASE(a_disabled_connected_registry) {
  World world = small_world();
  set_token_status(world, "leaf-sync-token", TokenStatus::Disabled);
  const Request pull = op(Operation::PullManifest, "samples/app");
  // SPEC 2.6: its clients get 503 whoever they are; probes still answer.
  expect(ask(world, cr("leaf"), pull, basic(world, "leaf-client")), 503, "UNAVAILABLE", "connected registry disabled");
  expect(ask(world, cr("leaf"), pull, Credential{}), 503, "UNAVAILABLE");
  expect_allowed(ask(world, cr("leaf"), op(Operation::Probe), Credential{}));
  // Its parent tells the holder of the right password why; a wrong password learns nothing (4.5).
  expect(ask(world, cr("mid"), pull, basic(world, "leaf-sync-token")), 403, "DENIED", "connected registry disabled");
  expect(ask(world, cr("mid"), pull, wrong_password("leaf-sync-token")), 401, "UNAUTHORIZED");
  // Its sync token is accepted nowhere else, disabled or not: 401 at the cloud.
  expect(ask(world, cloud(), pull, basic(world, "leaf-sync-token")), 401, "UNAUTHORIZED");
  // Its parent and siblings serve on.
  expect_allowed(ask(world, cr("mid"), pull, basic(world, "mid-client")));
  // Enabled again: served again.
  set_token_status(world, "leaf-sync-token", TokenStatus::Enabled);
  expect_allowed(ask(world, cr("leaf"), pull, basic(world, "leaf-client")));
}

BOOST_AUTO_TEST_CASE(rotation_expiry_and_status_of_passwords) {
  World world = small_world();
  const Request pull = op(Operation::PullManifest, "samples/app");
  const Credential old_password1 = basic(world, "cloud-user", 0);
  const Credential password2 = basic(world, "cloud-user", 1);
  // SPEC 3.3: regenerating password1 leaves password2 valid.
  regenerate_password(world, "cloud-user", 0, kStart + 10min);
  expect(ask(world, cloud(), pull, old_password1), 401, "UNAUTHORIZED");
  expect_allowed(ask(world, cloud(), pull, password2));
  expect_allowed(ask(world, cloud(), pull, basic(world, "cloud-user", 0)));
  // An expiry: valid before, refused from the instant itself.
  regenerate_password(world, "cloud-user", 1, kStart, kStart + 2h);
  const Credential expiring = basic(world, "cloud-user", 1);
  expect_allowed(ask(world, cloud(), pull, expiring, kStart + 2h - 1s));
  expect(ask(world, cloud(), pull, expiring, kStart + 2h), 401, "UNAUTHORIZED");
  // SPEC 4.5: a disabled token answers as a wrong password does.
  set_token_status(world, "cloud-user", TokenStatus::Disabled);
  const Answer disabled = ask(world, cloud(), pull, basic(world, "cloud-user"));
  const Answer wrong = ask(world, cloud(), pull, wrong_password("cloud-user"));
  expect(disabled, 401, "UNAUTHORIZED");
  BOOST_TEST((disabled.challenge_scope == wrong.challenge_scope));
  BOOST_TEST(*disabled.challenge_scope == "repository:samples/app:pull");
}

BOOST_AUTO_TEST_CASE(access_tokens) {
  World world = small_world();
  const Request pull = op(Operation::PullManifest, "samples/app");
  const auto grant = std::vector<AccessGrant>{{"repository", "samples/app", {"pull"}}};
  const Credential at_mid = bearer(world, cr("mid"), "mid-client", kStart + 1h, grant);
  expect_allowed(ask(world, cr("mid"), pull, at_mid, kStart + 1h + 1min));
  // SPEC 3.4: the audience is the node that issued it.
  expect(ask(world, cr("leaf"), pull, at_mid, kStart + 1h + 1min), 401, "UNAUTHORIZED");
  // 5 minutes (the oracle adds its clock-skew leeway).
  expect(ask(world, cr("mid"), pull, at_mid, kStart + 1h + 7min), 401, "UNAUTHORIZED");
  // SPEC 4.3(3): beyond its grant, 401 insufficient_scope naming what is needed.
  const Answer push = ask(world, cr("mid"), op(Operation::PushManifest, "samples/app"), at_mid, kStart + 1h + 1min);
  expect(push, 401, "UNAUTHORIZED");
  BOOST_TEST(push.insufficient_scope);
  BOOST_TEST(*push.challenge_scope == "repository:samples/app:pull,push");
  // SPEC 4.1: changes apply from the next request: a regenerated password ends it, and so does leaving the CR's list.
  World rotated = world;
  regenerate_password(rotated, "mid-client", 1, kStart + 1h + 2min);
  expect(ask(rotated, cr("mid"), pull, at_mid, kStart + 1h + 3min), 401, "UNAUTHORIZED");
  World unlisted = world;
  set_client_tokens(unlisted, "mid", {});
  expect(ask(unlisted, cr("mid"), pull, at_mid, kStart + 1h + 3min), 401, "UNAUTHORIZED");
  // SPEC 3.3, 4.1: a JWT lives no longer than the password it came from, whatever the other password does.
  World expiring = world;
  regenerate_password(expiring, "mid-client", 0, kStart, kStart + 1h + 2min);
  const Credential from_password1 = bearer(expiring, cr("mid"), "mid-client", kStart + 1h, grant);
  expect_allowed(ask(expiring, cr("mid"), pull, from_password1, kStart + 1h + 1min));
  expect(ask(expiring, cr("mid"), pull, from_password1, kStart + 1h + 3min), 401, "UNAUTHORIZED");
  Credential from_password2 = from_password1;
  from_password2.bearer->slot = 1;
  expect_allowed(ask(expiring, cr("mid"), pull, from_password2, kStart + 1h + 3min));
  // A scope map narrowed after issue narrows the JWT too.
  World narrowed = world;
  set_scope_map(narrowed, "everything", {"repositories/prod/*/content/read"});
  expect(ask(narrowed, cr("mid"), pull, at_mid, kStart + 1h + 3min), 401, "UNAUTHORIZED");
  BOOST_TEST(ask(narrowed, cr("mid"), pull, at_mid, kStart + 1h + 3min).insufficient_scope);
}

BOOST_AUTO_TEST_CASE(catalog_and_metrics) {
  const World world = small_world();
  // SPEC 3.6: at the cloud a rule on "*"; at a CR any accepted token. SPEC 1.4: metrics, admin or any CR token.
  expect_allowed(ask(world, cloud(), op(Operation::Catalog), basic(world, "pusher")));
  expect(ask(world, cloud(), op(Operation::Catalog), basic(world, "cloud-user")), 403, "DENIED");
  expect_allowed(ask(world, cr("leaf"), op(Operation::Catalog), basic(world, "leaf-client")));
  expect(ask(world, cloud(), op(Operation::Metrics), basic(world, "pusher")), 403, "DENIED");
  expect_allowed(ask(world, cloud(), op(Operation::Metrics), admin_user()));
  expect_allowed(ask(world, cr("leaf"), op(Operation::Metrics), basic(world, "leaf-client")));
  expect_allowed(ask(world, cloud(), op(Operation::Management), admin_user()));
  expect(ask(world, cloud(), op(Operation::Management), basic(world, "pusher")), 403, "DENIED");
}

BOOST_AUTO_TEST_CASE(derived_scope_maps_follow_permissions_and_deletes) {
  World world = small_world();
  const Request pull = op(Operation::PullManifest, "tools/x");
  // SPEC 2.5: permissions add on leaf reaches mid's and the cloud-level sync maps (leaf's mode: read only).
  add_repositories(world, "mid", {"tools/*"});
  add_repositories(world, "leaf", {"tools/*"});
  expect_allowed(ask(world, cr("mid"), pull, basic(world, "leaf-sync-token")));
  expect_allowed(ask(world, cloud(), pull, basic(world, "mid-sync-token")));
  // permissions remove on mid removes from mid's map and every descendant's.
  remove_repositories(world, "mid", {"tools/*"});
  expect(ask(world, cr("mid"), pull, basic(world, "leaf-sync-token")), 403, "DENIED");
  expect(ask(world, cloud(), pull, basic(world, "mid-sync-token")), 403, "DENIED");
  // SPEC 2.10: a deleted leaf's kept sync token is accepted nowhere; with cleanup it is gone.
  World kept = world;
  delete_connected_registry(kept, "leaf", false);
  expect(ask(kept, cr("mid"), op(Operation::Ping), basic(kept, "leaf-sync-token")), 401, "UNAUTHORIZED");
  expect(ask(kept, cloud(), op(Operation::Ping), basic(kept, "leaf-sync-token")), 401, "UNAUTHORIZED");
  delete_connected_registry(world, "leaf", true);
  BOOST_TEST(world.token("leaf-sync-token") == nullptr);
  expect(ask(world, data_endpoint(), gateway_call("leaf", GatewayRights::kConfigRead), basic(world, "mid-sync-token")),
         403, "DENIED");
}

// SPEC 2.4/2.5: a child's repositories reach every ancestor's sync map, and the control plane derives each CR's
// repositories from its map (refresh_repositories), so the ancestor syncs them too. The model added them to the maps
// only: mid answered leaf's sync token 404 for tools/x, and a leaf that synced it was "holding what it should not".
BOOST_AUTO_TEST_CASE(an_ancestor_syncs_what_its_descendants_were_given) {
  World world = small_world();
  add_repositories(world, "leaf", {"tools/x"});
  expect_allowed(ask(world, cr("mid"), op(Operation::PullManifest, "tools/x"), basic(world, "leaf-sync-token")));
  BOOST_TEST(syncs(world, cr("leaf"), "tools/x"));
  BOOST_TEST(syncs(world, cr("mid"), "tools/x"));
  BOOST_TEST(!syncs(world, cr("other"), "tools/x"));

  create_connected_registry(world, {"leaf2", Mode::ReadOnly, "mid", {"tools/y"}, {}, "", "leaf2:5000"}, kStart);
  expect_allowed(ask(world, cr("mid"), op(Operation::PullManifest, "tools/y"), basic(world, "leaf2-sync-token")));
  BOOST_TEST(syncs(world, cr("leaf2"), "tools/y"));
  BOOST_TEST(syncs(world, cr("mid"), "tools/y"));
}

// As the control plane: leaf deleted without cleanup and created again under `other` is no longer reachable through
// mid, its old parent, whose map kept leaf's gateway actions.
BOOST_AUTO_TEST_CASE(a_cr_created_again_elsewhere_is_not_reachable_through_its_old_parent) {
  World world = small_world();
  const Request config = gateway_call("leaf", GatewayRights::kConfigRead);
  expect_allowed(ask(world, data_endpoint(), config, basic(world, "mid-sync-token")));
  delete_connected_registry(world, "leaf", false);
  create_connected_registry(world, {"leaf", Mode::ReadOnly, "other", {"other/*"}, {}, "", "leaf:5000"}, kStart);
  expect(ask(world, data_endpoint(), config, basic(world, "mid-sync-token")), 403, "DENIED");
  expect_allowed(ask(world, data_endpoint(), config, basic(world, "other-sync-token")));
}

BOOST_AUTO_TEST_CASE(endpoints_and_hosts) {
  World world = small_world();
  const Request pull = op(Operation::PullManifest, "samples/app");
  // SPEC 1.2: the gateway at the data endpoint, the API at the login server.
  const Answer misplaced =
      ask(world, cloud(), gateway_call("mid", GatewayRights::kConfigRead), basic(world, "mid-sync-token"));
  expect(misplaced, 403, "DENIED");
  BOOST_TEST(misplaced.message == "cloud:5001");
  expect(ask(world, data_endpoint(), pull, admin_user()), 403, "DENIED");
  world.cloud_data_endpoint.clear();
  BOOST_TEST(ask(world, cloud(), gateway_call("mid", GatewayRights::kConfigRead), Credential{}).status == 404);
  // SPEC 1.3: a node told its login server refuses other Hosts, before credentials.
  world.host_checked.insert("mid");
  Request elsewhere = pull;
  elsewhere.host = "10.0.0.7:5000";
  expect(ask(world, cr("mid"), elsewhere, basic(world, "mid-client")), 403, "DENIED");
  elsewhere.host = "mid:5000";
  expect_allowed(ask(world, cr("mid"), elsewhere, basic(world, "mid-client")));
}

BOOST_AUTO_TEST_CASE(scope_rules_as_the_spec_words_them) {
  // SPEC 3.1: names, prefix/* (not the prefix itself), *; lowercased; additive; malformed strings grant nothing.
  BOOST_TEST(repository_pattern_matches("samples/*", "samples/a/b"));
  BOOST_TEST(!repository_pattern_matches("samples/*", "samples"));
  BOOST_TEST(!repository_pattern_matches("samples/*", "samplesx/a"));
  BOOST_TEST(repository_pattern_matches("Samples/App", "samples/app"));
  const std::vector<std::string> actions = {
      "repositories/samples/*/content/read", "REPOSITORIES/samples/app/content/write",
      "repositories/sam*/content/delete", "repositories/samples/app/content/fly", "gateway/Edge/config/read"};
  BOOST_TEST(repository_rights(actions, "samples/app").bits == (Rights::kContentRead | Rights::kContentWrite));
  BOOST_TEST(repository_rights(actions, "samples/other").bits == Rights::kContentRead);
  BOOST_TEST(gateway_rights(actions, "edge").bits == GatewayRights::kConfigRead);
  // A gateway rule names its CR right after the kind, in any case; longer names, nested paths and short rules are
  // other CRs' or no rules.
  const std::vector<std::string> gateway = {
      "GATEWAY/EDGE/message/write", "gateway/edgex/config/write", "gateway/edge/a/message/read",
      "gateway/edge/config", "gateway/edg/config/write", "repositories/edge/content/read", "gateway/edge/message/read"};
  BOOST_TEST(gateway_rights(gateway, "Edge").bits == (GatewayRights::kMessageWrite | GatewayRights::kMessageRead));
  BOOST_TEST(gateway_rights(gateway, "edgex").bits == GatewayRights::kConfigWrite);
  BOOST_TEST(gateway_rights(gateway, "ed").bits == 0);
  BOOST_TEST(!has_rule_on_every_repository(actions));
  // SPEC 3.2 and 3.5.
  BOOST_TEST(system_scope_map("_repositories_push_metadata_write")->size() == 4u);
  BOOST_TEST(system_scope_map("_repositories_everything") == nullptr);
  BOOST_TEST(docker_word_rights("*").bits == Rights::kAll);
  BOOST_TEST(docker_word_rights("metadata_write").bits == Rights::kMetadataWrite);
  BOOST_TEST(docker_word_rights("pull,push").bits == 0);
}

BOOST_AUTO_TEST_SUITE_END()
