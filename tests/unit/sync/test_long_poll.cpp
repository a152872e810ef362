// The parent's long poll (docs/protocol.md, GET .../messages with wait): it answers when there is news for the child
// that waits (a message in its repositories, a configuration version other than the one it holds) or at its deadline,
// and not on every wake-up. Answering every waiting child at each management change or each append used to cost a
// wide tree one round trip per child per change, for nothing.
#include <boost/test/unit_test.hpp>

#include "reference/control/connection_string.h"
#include "reference/gateway/protocol.h"
#include "tests/unit/sync/hierarchy_world.h"

namespace outpost::test {

namespace {
using namespace std::chrono_literals;

nlohmann::json top_level(const std::string& repository_pattern) {
  return {{"mode", "ReadOnly"}, {"parent", nullptr}, {"repositories", {repository_pattern}}};
}

// Message reads `cr` has sent to the cloud so far.
uint64_t polls(HierarchyWorld& world, const std::string& cr) {
  return world.network().requests_to("cloud:5001", "/gateway/v1/" + cr + "/messages");
}

// A cloud serving one connected registry, alpha1, and its polls of the messages resource with alpha1's sync token.
struct PollingAlpha {
  HierarchyWorld world;
  std::pair<std::string, std::string> sync_token;

  PollingAlpha() {
    world.add_connected_registry("alpha1", top_level("apps/a/*"),
                                 {"repositories/apps/a/*/content/read", "repositories/apps/a/*/metadata/read"});
    const auto connection = control::parse_connection_string(world.node("alpha1").connection_string);
    BOOST_REQUIRE(connection);
    sync_token = {connection.value->sync_token, connection.value->sync_token_password};
  }

  // GET /gateway/v1/<cr>/messages?<query>, with the protocol's version header.
  http::ClientResponse poll(const std::string& query, const std::string& cr = "alpha1") {
    http::Headers protocol;
    protocol.set(std::string(gateway::kProtocolHeader), std::to_string(gateway::kProtocolVersion));
    return world.call("cloud:5001", http::Method::Get, "/gateway/v1/" + cr + "/messages?" + query, sync_token, {},
                      "application/json", protocol);
  }
};
}  // namespace

BOOST_AUTO_TEST_SUITE(long_poll)

BOOST_AUTO_TEST_CASE(a_waiting_child_is_answered_for_its_own_news_only) {
  HierarchyWorld world;
  world.add_connected_registry("alpha1", top_level("apps/a/*"),
                               {"repositories/apps/a/*/content/read", "repositories/apps/a/*/metadata/read"});
  world.add_connected_registry("beta1", top_level("apps/b/*"),
                               {"repositories/apps/b/*/content/read", "repositories/apps/b/*/metadata/read"});
  BOOST_REQUIRE(world.run_until([&] {
    return world.node("alpha1").node->agent()->ready() && world.node("beta1").node->agent()->ready();
  }, 1min));
  world.loop().run_until(world.loop().now() + 2s);  // both wait in a long poll now (30 s)
  const uint64_t alpha = polls(world, "alpha1"), beta = polls(world, "beta1");

  // A management change that concerns neither (a token nobody uses) wakes the waiters, and they wait on.
  world.manage(http::Method::Put, "scopeMaps/unrelated-map", {{"actions", {"repositories/x/content/read"}}});
  world.manage(http::Method::Put, "tokens/unrelated", {{"scopeMap", "unrelated-map"}});
  world.loop().run_until(world.loop().now() + 1s);
  BOOST_TEST(polls(world, "alpha1") == alpha);
  BOOST_TEST(polls(world, "beta1") == beta);

  // A push in beta's repositories answers beta's poll, not alpha's.
  const std::string digest = world.push_image("cloud:5000", world.admin(), "apps/b/web", "1", "b");
  world.loop().run_until(world.loop().now() + 1s);
  BOOST_TEST(polls(world, "alpha1") == alpha);
  BOOST_TEST(polls(world, "beta1") > beta);

  // A change to alpha's own configuration (another repository) answers alpha at once.
  world.manage(http::Method::Post, "connectedRegistries/alpha1/permissions", {{"add", {"apps/c/*"}}});
  world.loop().run_until(world.loop().now() + 1s);
  BOOST_TEST(polls(world, "alpha1") > alpha);
}

BOOST_AUTO_TEST_CASE(a_stopping_parent_answers_its_waiting_children_at_once) {
  HierarchyWorld world;
  world.add_connected_registry("alpha1", top_level("apps/a/*"),
                               {"repositories/apps/a/*/content/read", "repositories/apps/a/*/metadata/read"});
  sync::SyncAgent& agent = *world.node("alpha1").node->agent();
  BOOST_REQUIRE(world.run_until([&] { return agent.ready(); }, 1min));
  world.loop().run_until(world.loop().now() + 2s);
  const uint64_t rounds = agent.rounds();
  world.cloud().node->stop({});
  world.network().detach("cloud:5001");  // the stopped process takes no new connection
  // The waiting poll is answered now, not at its deadline 30 s away: alpha1's round ends within the second.
  world.loop().run_until(world.loop().now() + 1s);
  BOOST_TEST(agent.rounds() == rounds + 1);
}

// A long poll refused before it waits (a parameter that is not a number) is answered with its error. The call used to
// hand its answer function to the poll before reading the parameters, so the refusal found it empty and the child got
// a 500 instead of the 400 that says what is wrong.
BOOST_FIXTURE_TEST_CASE(a_poll_with_a_bad_parameter_is_refused_with_its_reason, PollingAlpha) {
  // Each refusal names the parameter and why: a number with more after it was read as its digits, and a negative
  // one was called "not a number" (a negative wait was taken as no wait).
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"wait=soon", "query parameter wait must be a whole number, not 'soon'"},
      {"cursor=x&limit=-", "query parameter limit must not be negative, not '-'"},
      {"configVersion=latest", "query parameter configVersion must be a whole number, not 'latest'"},
      {"cursor=x&limit=-1", "query parameter limit must not be negative, not '-1'"},
      {"wait=-5", "query parameter wait must not be negative, not '-5'"},
      {"cursor=x&limit=5abc", "query parameter limit must be a whole number, not '5abc'"},
      {"wait=1.5", "query parameter wait must be a whole number, not '1.5'"},
      {"configVersion=99999999999999999999", "query parameter configVersion is too large, not '99999999999999999999'"}};
  for (const auto& [query, reason] : refused) {
    const auto answer = poll(query);
    BOOST_TEST(answer.status == 400, query << ": " << answer.status << " " << answer.body);
    BOOST_TEST(answer.body.find("INVALID_REQUEST") != std::string::npos, answer.body);
    BOOST_TEST(answer.body.find(reason) != std::string::npos, query << ": " << answer.body);
  }
  const auto unknown = poll("wait=1", "nobody");
  BOOST_TEST(unknown.status >= 400);
  BOOST_TEST(unknown.status < 500, unknown.status << " " << unknown.body);
}

// docs/protocol.md: a wait above 600 s reads as 600, however many digits it has. A wait too large for a number was
// refused 400 "too large" instead, while 601 was read as 600; a limit too large reads as the largest.
BOOST_FIXTURE_TEST_CASE(a_wait_beyond_600_seconds_reads_as_600_however_many_digits_it_has, PollingAlpha) {
  const auto start = poll("");  // no cursor: the current one, at once
  BOOST_REQUIRE(start.status == 200);
  const auto state = nlohmann::json::parse(start.body);
  const std::string held = "cursor=" + state.at("cursor").get<std::string>() +
                           "&configVersion=" + std::to_string(state.at("configVersion").get<uint64_t>());
  const std::vector<std::string> waits = {"601", "4294967296", "18446744073709551616", std::string(40, '9')};
  for (const std::string& wait : waits) {
    BOOST_TEST_CONTEXT(wait) {
      const Nanoseconds asked = world.loop().now();
      const auto answer = poll(held + "&wait=" + wait + "&limit=" + std::string(30, '9'));
      const Nanoseconds waited = world.loop().now() - asked;
      BOOST_TEST(answer.status == 200, answer.body);
      BOOST_TEST(waited >= std::chrono::seconds(gateway::kMaxWaitSeconds));
      BOOST_TEST(waited < std::chrono::seconds(gateway::kMaxWaitSeconds + 1));
    }
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::test
