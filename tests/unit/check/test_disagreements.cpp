// Disagreements the checks once found between the reference nodes and the SPEC (docs/simulator.md lists them and their
// fixes). Each scenario drives real nodes into the situation, then judges the one decision it is about: the oracle's
// answer is asserted (it is the SPEC's), and so is the node's agreement with it, so that the test fails if the
// reference drifts back. The pipeline seam -> observation -> oracle is exercised on each.
#include <boost/test/unit_test.hpp>

#include "simulator/check/decision_invariant.h"
#include "simulator/check/judgement.h"
#include "tests/unit/check/checked_hierarchy.h"

namespace outpost::check {
namespace {
using namespace std::chrono_literals;
using namespace outpost::check::testing;

struct Verdict {
  std::optional<Answer> oracle;  // the oracle's answer now
  std::optional<Outcome> node;   // what the node did
  std::string violations;        // DecisionInvariant's reports ("" = agreed)
};

// Judges the decisions of requests sent from client `from`.
Verdict judge_requests_from(CheckedHierarchy& h, const std::string& from) {
  Verdict verdict;
  ViolationLog log(42);
  // Horizon zero: each scenario waits until its change is in force, so only the World as it is now counts.
  DecisionInvariant decisions(h.history(), h.book(), log, Nanoseconds::zero());
  for (const ObservedDecision& decision : h.decisions()) {
    if (decision.from != from + ":1") continue;
    decisions.observe(decision);
    if (const auto judgement = judge(h.history(), h.book(), decision)) verdict.oracle = judgement->answers.back();
    verdict.node = decision.outcome;
  }
  verdict.violations = log.summary();
  return verdict;
}

// The node made the decision, and DecisionInvariant found it to be the oracle's.
void expect_agreement(const std::string& what, const Verdict& verdict) {
  BOOST_TEST_REQUIRE(verdict.node.has_value(), what << ": no decision was observed");
  if (verdict.oracle) BOOST_TEST(verdict.node->status == verdict.oracle->status, what);
  BOOST_TEST(verdict.violations.empty(), what << ": the node disagrees with the SPEC: " << verdict.violations);
  BOOST_TEST_MESSAGE(what << ": the node answered " << describe(*verdict.node));
}

struct Hierarchy {
  CheckedHierarchy h;
  std::pair<std::string, std::string> middle, edge;
  Hierarchy() {
    middle = h.add_connected_registry("middle", Mode::ReadWrite, "", {"samples/*"},
                                      repository_actions({"samples/*"}, kAllActions));
    edge = h.add_connected_registry("edge1", Mode::ReadOnly, "middle", {"samples/*"},
                                    repository_actions({"samples/*"}, kReadActions));
    h.create_scope_map("samples-pull", {"repositories/samples/*/content/read"});
    h.create_token("reader", "samples-pull");
    BOOST_REQUIRE(h.world().run_until([&] { return h.world().node("edge1").node->agent()->ready(); }, 2min));
  }
  // A second of virtual time, so that the request below comes strictly after the last change (at the very instant
  // of a change the World before it still counts).
  void settle() {
    h.world().run_until([] { return false; }, 1s);
  }
  std::string reader_password() {
    const auto answer =
        h.world().manage(http::Method::Post, "tokens/reader/generateCredentials", {{"name", "password2"}});
    regenerate_password(h.model(), "reader", 1, h.now());
    const std::string value = answer.at("passwords").at(0).at("value");
    h.book().remember_password("reader", value, {1, h.model().token("reader")->passwords[1].serial});
    h.commit();
    return value;
  }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(reference_disagreements)

// SPEC 1.2: the token endpoint is the login server's; the data endpoint serves the gateway API only.
BOOST_AUTO_TEST_CASE(the_token_endpoint_at_the_cloud_data_endpoint) {
  Hierarchy x;
  const std::string password = x.reader_password();
  x.settle();
  x.h.exchange("cloud:5001", http::Method::Get, "/oauth2/token?service=cloud:5001&scope=repository:samples/a:pull",
               basic("reader", password), "asker");
  const Verdict verdict = judge_requests_from(x.h, "asker");
  BOOST_TEST_REQUIRE(verdict.oracle.has_value());
  BOOST_TEST(verdict.oracle->status == 403);
  expect_agreement("SPEC 1.2, a token issued at the data endpoint", verdict);
}

// SPEC 2.6: a disabled CR answers its clients 503 until it sees its token enabled again; its token endpoint too.
BOOST_AUTO_TEST_CASE(the_token_endpoint_of_a_disabled_connected_registry) {
  Hierarchy x;
  x.h.world().manage(http::Method::Patch, "tokens/edge1-sync-token", {{"status", "disabled"}});
  set_token_status(x.h.model(), "edge1-sync-token", TokenStatus::Disabled);
  x.h.commit();
  const std::string client = basic(x.edge.first, x.edge.second);
  BOOST_REQUIRE(x.h.world().run_until(
      [&] { return x.h.exchange("edge1:5000", http::Method::Get, "/v2/", client).status == 503; }, 5min));
  x.settle();
  x.h.exchange("edge1:5000", http::Method::Get, "/oauth2/token?service=edge1:5000&scope=repository:samples/a:pull",
               client, "asker");
  const Verdict verdict = judge_requests_from(x.h, "asker");
  BOOST_TEST_REQUIRE(verdict.oracle.has_value());
  BOOST_TEST(verdict.oracle->status == 503);
  expect_agreement("SPEC 2.6, a token issued by a disabled CR", verdict);
}

// SPEC 4.2(a): client tokens are accepted at a CR "with their repository actions"; gateway actions come with
// children's sync tokens (4.2(b)).
BOOST_AUTO_TEST_CASE(a_client_token_with_gateway_actions_at_a_connected_registry) {
  Hierarchy x;
  x.h.create_scope_map("gateway-reader", {"repositories/samples/*/content/read", "gateway/edge1/config/read"});
  x.h.create_token("gwreader", "gateway-reader");
  const auto regenerated =
      x.h.world().manage(http::Method::Post, "tokens/gwreader/generateCredentials", {{"name", "password1"}});
  regenerate_password(x.h.model(), "gwreader", 0, x.h.now());
  const std::string password = regenerated.at("passwords").at(0).at("value");
  x.h.book().remember_password("gwreader", password, {0, x.h.model().token("gwreader")->passwords[0].serial});
  x.h.world().manage(http::Method::Patch, "connectedRegistries/middle", {{"addClientTokens", {"gwreader"}}});
  set_client_tokens(x.h.model(), "middle", {x.middle.first, "gwreader"});
  x.h.commit();
  const std::string auth = basic("gwreader", password);
  BOOST_REQUIRE(x.h.world().run_until(
      [&] { return x.h.exchange("middle:5000", http::Method::Get, "/v2/", auth).status == 200; }, 5min));
  x.settle();
  x.h.exchange("middle:5000", http::Method::Get, "/gateway/v1/edge1/config?version=0", auth, "asker");
  const Verdict verdict = judge_requests_from(x.h, "asker");
  BOOST_TEST_REQUIRE(verdict.oracle.has_value());
  BOOST_TEST(verdict.oracle->status == 403);
  expect_agreement("SPEC 4.2(a), a client token's gateway actions at a CR", verdict);
}

// SPEC 2.10: the sync token of a CR deleted without cleanup is accepted nowhere, even enabled again.
BOOST_AUTO_TEST_CASE(a_kept_sync_token_enabled_again_after_its_connected_registry_was_deleted) {
  Hierarchy x;
  x.h.world().manage(http::Method::Delete, "connectedRegistries/edge1");
  delete_connected_registry(x.h.model(), "edge1", false);
  x.h.world().manage(http::Method::Patch, "tokens/edge1-sync-token", {{"status", "enabled"}});
  const auto regenerated =
      x.h.world().manage(http::Method::Post, "tokens/edge1-sync-token/generateCredentials", {{"name", "password2"}});
  regenerate_password(x.h.model(), "edge1-sync-token", 1, x.h.now());
  const std::string password = regenerated.at("passwords").at(0).at("value");
  x.h.book().remember_password("edge1-sync-token", password,
                               {1, x.h.model().token("edge1-sync-token")->passwords[1].serial});
  x.h.commit();
  x.settle();
  x.h.exchange("cloud:5000", http::Method::Get, "/v2/", basic("edge1-sync-token", password), "asker");
  const Verdict verdict = judge_requests_from(x.h, "asker");
  BOOST_TEST_REQUIRE(verdict.oracle.has_value());
  BOOST_TEST(verdict.oracle->status == 401);
  expect_agreement("SPEC 2.10, a deleted CR's sync token enabled again", verdict);
}

// SPEC 4.1: scope-map changes apply from the next request, to a JWT issued before them too (decision table rows "4.1
// scope map narrowed after the JWT was issued"; 3.4 ends even refresh tokens only when their token is disabled,
// deleted or has a password regenerated): the JWT stays a valid credential and the map as it is now bounds it, both
// ways.
BOOST_AUTO_TEST_CASE(an_access_token_after_its_scope_map_changed) {
  Hierarchy x;
  const std::string password = x.reader_password();
  const auto token =
      x.h.exchange("cloud:5000", http::Method::Get, "/oauth2/token?service=cloud:5000&scope=repository:samples/a:pull",
                   basic("reader", password));
  BOOST_REQUIRE_EQUAL(token.status, 200);
  const std::string jwt = nlohmann::json::parse(token.body).at("token");
  x.h.book().remember_bearer(jwt, *CredentialBook::read_bearer(jwt, x.h.model()));
  // The map widens; samples/* stays readable.
  const std::vector<std::string> wider = {"repositories/samples/*/content/read", "repositories/prod/*/content/read"};
  x.h.world().manage(http::Method::Put, "scopeMaps/samples-pull", {{"actions", wider}});
  set_scope_map(x.h.model(), "samples-pull", wider);
  x.h.commit();
  x.settle();
  x.h.exchange("cloud:5000", http::Method::Head, "/v2/samples/a/manifests/v1", "Bearer " + jwt, "asker");
  const Verdict verdict = judge_requests_from(x.h, "asker");
  BOOST_TEST_REQUIRE(verdict.oracle.has_value());
  BOOST_TEST(verdict.oracle->allowed());
  expect_agreement("SPEC 4.1, an access token after a scope-map change", verdict);

  // The map narrows past what the JWT grants: the same JWT now lacks the scope (401 insufficient_scope), so nothing
  // remembered from the request above still lets it read.
  const std::vector<std::string> narrower = {"repositories/prod/*/content/read"};
  x.h.world().manage(http::Method::Put, "scopeMaps/samples-pull", {{"actions", narrower}});
  set_scope_map(x.h.model(), "samples-pull", narrower);
  x.h.commit();
  x.settle();
  x.h.exchange("cloud:5000", http::Method::Head, "/v2/samples/a/manifests/v1", "Bearer " + jwt, "narrowed");
  const Verdict narrowed = judge_requests_from(x.h, "narrowed");
  BOOST_TEST_REQUIRE(narrowed.oracle.has_value());
  BOOST_TEST(narrowed.oracle->status == 401);
  BOOST_TEST(narrowed.oracle->insufficient_scope);
  expect_agreement("SPEC 4.1, an access token after its scope map narrowed", narrowed);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::check
