// The checks on real nodes: a hierarchy of reference nodes (tests/unit/sync/hierarchy_world.h) in virtual time, each
// with the decision observer seam wired in. Clients with every kind of credentials ask every node for every kind of
// thing; the agents sync, push up and long-poll meanwhile. Every decision any node made must agree with the oracle
// (i) in time (iv), no write may pass at the ReadOnly node (ii), every node must converge (iii), the push at a
// ReadWrite node must reach the cloud (v), every stored and served blob must match its digest (vi), and no blob may be
// read through a repository the reader may not read (vii).
#include <boost/test/unit_test.hpp>
#include <set>
#include <tuple>

#include "simulator/check/blob_integrity_invariant.h"
#include "simulator/check/blob_read_invariant.h"
#include "simulator/check/content.h"
#include "simulator/check/convergence_invariant.h"
#include "simulator/check/decision_invariant.h"
#include "simulator/check/enforcement_invariant.h"
#include "simulator/check/push_invariant.h"
#include "simulator/check/read_only_invariant.h"
#include "simulator/check/world_changes.h"
#include "tests/unit/check/checked_hierarchy.h"

namespace outpost::check {
namespace {
using namespace std::chrono_literals;
using namespace outpost::check::testing;

// The blobs an image pushed by HierarchyWorld::push_image names, from the node's own listing.
std::vector<std::string> named_by(storage::Storage& storage, const std::string& repository, const std::string& digest) {
  return stored_manifest(storage, repository, digest).value_or(std::vector<std::string>{});
}
}  // namespace

BOOST_AUTO_TEST_SUITE(end_to_end)

BOOST_AUTO_TEST_CASE(every_decision_of_a_real_hierarchy_agrees_with_the_oracle) {
  CheckedHierarchy h;
  HierarchyWorld& world = h.world();
  h.create_scope_map("samples-pull", {"repositories/samples/*/content/read"});
  h.create_token("cloud-reader", "samples-pull");
  h.create_token("cloud-pusher", "_repositories_push");
  const auto mid = h.add_connected_registry("middle", Mode::ReadWrite, "", {"samples/*", "prod/*"},
                                            repository_actions({"samples/*", "prod/*"}, kAllActions));
  const auto leaf = h.add_connected_registry("edge1", Mode::ReadOnly, "middle", {"samples/*"},
                                             repository_actions({"samples/*"}, kReadActions));
  const auto other =
      h.add_connected_registry("other", Mode::ReadWrite, "", {"other/*"}, repository_actions({"other/*"}, kAllActions));

  // Content at the cloud; then every node catches up.
  const std::string pusher_password = [&] {
    // A fresh password2 for cloud-pusher, so that HierarchyWorld's push helper can use it.
    const auto regenerated =
        world.manage(http::Method::Post, "tokens/cloud-pusher/generateCredentials", {{"name", "password2"}});
    regenerate_password(h.model(), "cloud-pusher", 1, h.now());
    const std::string value = regenerated.at("passwords").at(0).at("value");
    h.book().remember_password("cloud-pusher", value, {1, h.model().token("cloud-pusher")->passwords[1].serial});
    h.commit();
    return value;
  }();
  const std::pair<std::string, std::string> pusher{"cloud-pusher", pusher_password};
  const std::string app = world.push_image("cloud:5000", pusher, "samples/app", "v1", "app");
  world.push_image("cloud:5000", pusher, "prod/app", "v1", "prod");
  const std::string other_image = world.push_image("cloud:5000", pusher, "other/x", "v1", "other");
  BOOST_REQUIRE(
      world.run_until([&] { return world.tag_digest("edge1:5000", leaf, "samples/app", "v1") == app; }, 5min));
  BOOST_REQUIRE(
      world.run_until([&] { return world.tag_digest("other:5000", other, "other/x", "v1") == other_image; }, 5min));
  // Let the setup settle (ten minutes of virtual time), so that the versions of the World it went through fall
  // behind the decision check's horizon and cannot excuse a wrong answer later.
  world.run_until([] { return false; }, 10min);
  storage::Storage& cloud_storage = *world.cloud().storage;
  const auto app_named = named_by(cloud_storage, "samples/app", app);
  const auto other_named = named_by(cloud_storage, "other/x", other_image);
  BOOST_REQUIRE(app_named.size() == 2u);
  BOOST_REQUIRE(other_named.size() == 2u);
  const std::string app_layer = app_named[1], other_layer = other_named[1];

  // Who holds which blob where, as the workload knows it: pushed at the cloud, synced by scope, lent by a mount.
  std::set<std::tuple<std::string, std::string, std::string>> mounted;
  const auto holds = [&](std::string_view address, std::string_view repository, std::string_view digest) {
    if (mounted.contains({std::string(address), std::string(repository), std::string(digest)})) return true;
    const auto node = h.model().node_at(address);
    if (!node || !syncs(h.model(), *node, repository)) return false;
    return (repository == "samples/app" && (digest == app_named[0] || digest == app_layer)) ||
           (repository == "other/x" && (digest == other_named[0] || digest == other_layer));
  };
  const auto lag = [](int depth) { return depth * 2min; };
  ReadOnlyInvariant read_only(h.history(), h.log());
  BlobIntegrityInvariant integrity(h.log());
  BlobReadInvariant reads(h.history(), h.book(), h.log(), lag, holds);

  // Every node, every kind of credentials, every kind of request.
  struct Who {
    std::string label;
    std::string authorization;
  };
  const std::vector<Who> everyone = {
      {"admin", basic("admin", HierarchyWorld::kAdminPassword)},
      {"cloud-reader", ""},  // filled below (its password came from the create answer)
      {"cloud-pusher", basic(pusher.first, pusher.second)},
      {"mid-client", basic(mid.first, mid.second)},
      {"leaf-client", basic(leaf.first, leaf.second)},
      {"other-client", basic(other.first, other.second)},
      {"wrong password", basic(mid.first, "not-the-password")},
      {"unknown token", basic("nobody-here", "whatever")},
      {"nothing", ""},
  };
  std::vector<Who> who = everyone;
  // cloud-reader (samples/* pull) is also a client of "other", which syncs other/* only (SPEC 4.3(4)).
  world.manage(http::Method::Patch, "connectedRegistries/other", {{"addClientTokens", {"cloud-reader"}}});
  set_client_tokens(h.model(), "other", {other.first, "cloud-reader"});
  h.commit();
  const auto reader =
      world.manage(http::Method::Post, "tokens/cloud-reader/generateCredentials", {{"name", "password1"}});
  regenerate_password(h.model(), "cloud-reader", 0, h.now());
  const std::string reader_password = reader.at("passwords").at(0).at("value");
  h.book().remember_password("cloud-reader", reader_password,
                             {0, h.model().token("cloud-reader")->passwords[0].serial});
  h.commit();
  who[1].authorization = basic("cloud-reader", reader_password);

  struct Ask {
    http::Method method;
    std::string target;
  };
  const std::vector<Ask> asks = {
      {http::Method::Get, "/v2/"},
      {http::Method::Head, "/v2/samples/app/manifests/v1"},
      {http::Method::Get, "/v2/samples/app/blobs/" + app_layer},
      {http::Method::Get, "/v2/samples/app/blobs/" + other_layer},  // held by other/x only
      {http::Method::Get, "/v2/other/x/blobs/" + other_layer},
      {http::Method::Head, "/v2/prod/app/manifests/v1"},
      {http::Method::Get, "/v2/samples/app/tags/list"},
      {http::Method::Get, "/v2/_catalog"},
      {http::Method::Delete, "/v2/samples/app/manifests/no-such-tag"},
      {http::Method::Post, "/v2/samples/app/blobs/uploads/"},
      {http::Method::Post, "/v2/samples/app/blobs/uploads/?mount=" + other_layer + "&from=other/x"},
      {http::Method::Head, "/v2/samples/app/blobs/uploads/no-such-session"},
      {http::Method::Get, "/metrics"},
  };
  const std::vector<std::string> nodes = {"cloud:5000", "middle:5000", "edge1:5000", "other:5000"};
  int client_number = 0;
  std::vector<std::pair<std::string, std::string>> bearers;  // (node, Authorization)
  for (const std::string& node : nodes) {
    for (const Who& w : who) {
      for (const Ask& ask : asks) {
        // Failed logins are rate-limited per client; each gets its own address so none is.
        const std::string from = "client" + std::to_string(++client_number);
        const auto response = h.exchange(node, ask.method, ask.target, w.authorization, from);
        const size_t question = ask.target.find('?');
        const std::string path = ask.target.substr(0, question);
        const std::string query = question == std::string::npos ? "" : ask.target.substr(question + 1);
        read_only.observe_response(h.now(), node, ask.method, path, query, response.status);
        if (ask.method == http::Method::Get && path.find("/blobs/sha256:") != std::string::npos &&
            response.status == 200) {
          const std::string digest = path.substr(path.rfind('/') + 1);
          const std::string repository = path.substr(4, path.find("/blobs/") - 4);
          integrity.check_bytes(h.now(), node, digest, response.body);
          reads.observe({h.now(), node, w.authorization, repository, digest});
        }
        if (response.status == 201 && query.starts_with("mount=")) {
          reads.observe({h.now(), node, w.authorization, "other/x", other_layer, true, "samples/app"});
          mounted.insert({node, "samples/app", other_layer});
        }
      }
      // The token flow: an access token for pulling samples/app, then used.
      const auto token =
          h.exchange(node, http::Method::Get, "/oauth2/token?service=" + node + "&scope=repository:samples/app:pull",
                     w.authorization, "client" + std::to_string(++client_number));
      if (token.status == 200) {
        const std::string jwt = nlohmann::json::parse(token.body).at("token");
        h.book().remember_bearer(jwt, *CredentialBook::read_bearer(jwt, h.model()));
        bearers.emplace_back(node, "Bearer " + jwt);
      }
    }
  }
  for (const auto& [node, authorization] : bearers) {
    h.exchange(node, http::Method::Head, "/v2/samples/app/manifests/v1", authorization);
    h.exchange(node, http::Method::Post, "/v2/samples/app/blobs/uploads/", authorization);
    h.exchange(node, http::Method::Get, "/v2/_catalog", authorization);
  }
  BOOST_TEST(bearers.size() >= 8u);

  // (v) A push at the ReadWrite CR reaches the cloud.
  PushInvariant pushes(h.log(), 5min);
  const std::string edge = world.push_image("middle:5000", mid, "samples/edge", "v1", "edge");
  pushes.acknowledged({h.now(), "middle:5000", "samples/edge", "v1", edge,
                       named_by(*world.node("middle").storage, "samples/edge", edge)});
  const auto cloud_manifest = [&](std::string_view repository, std::string_view digest) {
    return stored_manifest(cloud_storage, repository, digest);
  };
  const auto cloud_blob = [&](std::string_view repository, std::string_view digest) {
    return stored_blob(cloud_storage, repository, digest);
  };
  BOOST_TEST(world.run_until([&] { return pushes.check(h.now(), cloud_manifest, cloud_blob) == 0; }, 5min));
  BOOST_TEST(pushes.settled() == 1u);

  // (iv) Changes at the cloud: a client token disabled, a client scope map narrowed; probed until enforced.
  world.manage(http::Method::Patch, "tokens/" + leaf.first, {{"status", "disabled"}});
  set_token_status(h.model(), leaf.first, TokenStatus::Disabled);
  h.commit();
  const size_t disabled_version = h.history().size() - 1;
  world.manage(http::Method::Put, "scopeMaps/middle-clients",
               {{"actions", repository_actions({"samples/*", "prod/*"}, kReadActions)}});
  set_scope_map(h.model(), "middle-clients", repository_actions({"samples/*", "prod/*"}, kReadActions));
  h.commit();
  const size_t narrowed_version = h.history().size() - 1;
  const std::string leaf_auth = basic(leaf.first, leaf.second), mid_auth = basic(mid.first, mid.second);
  BOOST_TEST(h.exchange("cloud:5000", http::Method::Head, "/v2/samples/app/manifests/v1", leaf_auth).status == 401);
  BOOST_TEST(world.run_until(
      [&] {
        return h.exchange("edge1:5000", http::Method::Head, "/v2/samples/app/manifests/v1", leaf_auth).status == 401 &&
               h.exchange("middle:5000", http::Method::Post, "/v2/samples/app/blobs/uploads/", mid_auth).status == 403;
      },
      5min));

  // (iii) Every node converges; (vi) every stored blob matches its digest.
  ConvergenceInvariant convergence(h.log(), 5min);
  convergence.healed(h.now());
  const std::vector<std::pair<std::string, NodeRef>> crs = {
      {"middle", {"middle", false}}, {"edge1", {"edge1", false}}, {"other", {"other", false}}};
  BOOST_TEST(world.run_until(
      [&] {
        const NodeContent cloud = read_content(cloud_storage);
        bool all = true;
        for (const auto& [name, ref] : crs)
          all = convergence.observe(h.now(), name + ":5000",
                                    node_differences(cloud, h.model(), ref, read_content(*world.node(name).storage))) &&
                all;
        return all;
      },
      5min));
  for (const auto& [name, ref] : crs) BOOST_TEST(convergence.convergence_time(name + ":5000").has_value(), name);
  BOOST_TEST(read_content(*world.node("edge1").storage).repositories.count("samples/edge") == 1u);
  for (const std::string name : {"middle", "edge1", "other"})
    BOOST_TEST(integrity.check_store(h.now(), name, *world.node(name).storage->blobs) == 0u);
  BOOST_TEST(integrity.check_store(h.now(), "cloud", *cloud_storage.blobs) == 0u);

  // (i), (ii), (iv) over every decision every node made, the agents' included.
  DecisionInvariant decisions(h.history(), h.book(), h.log(), lag(3));
  EnforcementInvariant enforcement(h.history(), h.book(), h.log(), lag);
  size_t by_agents = 0;
  std::map<std::string, size_t> refusals;
  for (const ObservedDecision& decision : h.decisions()) {
    decisions.observe(decision);
    enforcement.observe(decision);
    read_only.observe(decision);
    if (decision.from == "middle:1" || decision.from == "edge1:1" || decision.from == "other:1") ++by_agents;
    if (decision.outcome.status) ++refusals[std::to_string(decision.outcome.status) + " " + decision.outcome.code];
  }
  BOOST_TEST(h.log().empty(), h.log().summary());
  BOOST_TEST(decisions.unjudged() == 0u);
  BOOST_TEST(decisions.judged() > 500u, decisions.judged());
  BOOST_TEST(by_agents > 20u, by_agents);
  for (const std::string kind : {"401 UNAUTHORIZED", "403 DENIED", "404 MANIFEST_UNKNOWN", "404 BLOB_UNKNOWN"})
    BOOST_TEST(refusals[kind] > 0u, kind);
  // The two changes were seen enforced where they were probed, and how long they took was measured: the disabled
  // token at the cloud (depth 0) and at edge1 (depth 2), the narrowed scope map at middle (depth 1).
  std::set<std::pair<size_t, int>> measured;
  for (const EnforcementInvariant::Delay& delay : enforcement.delays()) {
    if (delay.version != disabled_version && delay.version != narrowed_version) continue;
    measured.insert({delay.version, delay.depth});
    BOOST_TEST_MESSAGE(
        "change " << delay.version << " enforced at " << delay.node << " (depth " << delay.depth << ") after "
                  << std::chrono::duration_cast<std::chrono::milliseconds>(delay.delay).count() << " ms");
  }
  BOOST_TEST(measured.contains({disabled_version, 0}));
  BOOST_TEST(measured.contains({disabled_version, 2}));
  BOOST_TEST(measured.contains({narrowed_version, 1}));
  BOOST_TEST_MESSAGE(decisions.judged() << " decisions judged, " << by_agents << " of them the agents'");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::check

namespace outpost::check {

BOOST_AUTO_TEST_SUITE(decision_seam)

// The observer seam (reference/registry/auth/decision_observer.h): one report per decision, with the request as sent,
// who asked, and what was answered; probes make no decision and report nothing.
BOOST_AUTO_TEST_CASE(each_decision_is_reported_once_with_its_request_and_answer) {
  testing::CheckedHierarchy h;
  h.create_scope_map("samples-pull", {"repositories/samples/*/content/read"});
  const size_t before = h.decisions().size();  // the management calls' own decisions
  BOOST_TEST(before >= 1u);
  const std::string admin = testing::basic("admin", test::HierarchyWorld::kAdminPassword);
  const std::string wrong = testing::basic("nobody1", "x");
  h.exchange("cloud:5000", http::Method::Get, "/healthz", "", "prober");
  h.exchange("cloud:5000", http::Method::Head, "/v2/samples/app/manifests/v1", admin, "first");
  h.exchange("cloud:5000", http::Method::Put, "/v2/samples/app/manifests/v1", wrong, "second");
  h.exchange("cloud:5001", http::Method::Get, "/gateway/v1/edge1/config", admin, "third");
  h.exchange("cloud:5000", http::Method::Get, "/oauth2/token?service=cloud:5000", wrong, "fourth");
  const auto& seen = h.decisions();
  BOOST_TEST_REQUIRE(seen.size() == before + 4);
  const ObservedDecision& allowed = seen[before];
  BOOST_TEST(allowed.node == "cloud:5000");
  BOOST_TEST(allowed.host == "cloud:5000");
  BOOST_TEST(allowed.from == "first:1");
  BOOST_TEST((allowed.method == http::Method::Head));
  BOOST_TEST(allowed.path == "/v2/samples/app/manifests/v1");
  BOOST_TEST(allowed.authorization == admin);
  BOOST_TEST(allowed.outcome.status == 0);
  BOOST_TEST(allowed.node_said.find("admin") != std::string::npos, allowed.node_said);
  const ObservedDecision& refused = seen[before + 1];
  BOOST_TEST(refused.outcome.status == 401);
  BOOST_TEST(refused.outcome.code == "UNAUTHORIZED");
  BOOST_TEST(refused.outcome.challenge);
  BOOST_TEST(refused.outcome.challenge_scope == "repository:samples/app:pull,push");
  BOOST_TEST(refused.node_said.find("unknown token 'nobody1'") != std::string::npos, refused.node_said);
  const ObservedDecision& gateway = seen[before + 2];  // the data endpoint's policy reports too
  BOOST_TEST(gateway.host == "cloud:5001");
  BOOST_TEST(gateway.outcome.status == 403);
  const ObservedDecision& token = seen[before + 3];  // and the token endpoint
  BOOST_TEST(token.path == "/oauth2/token");
  BOOST_TEST(token.outcome.status == 401);
  // All four agree with the oracle.
  ViolationLog log;
  DecisionInvariant decisions(h.history(), h.book(), log);
  for (size_t i = before; i < seen.size(); ++i) decisions.observe(seen[i]);
  BOOST_TEST(log.empty(), log.summary());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::check
