// The parts the invariant checks of a world stand on: when each node's way to the cloud was broken and how far behind
// it may therefore be (outage_windows.h); the World the operator's management calls build, version by version, with
// the passwords it was handed (control_mirror.h); and the last events a violation names (recent_events.h).
#include <boost/test/unit_test.hpp>

#include "reference/auth/base64.h"
#include "simulator/world/control_mirror.h"
#include "simulator/world/outage_windows.h"
#include "simulator/world/percentiles.h"
#include "simulator/world/recent_events.h"
#include "simulator/world/scenario.h"
#include "tests/unit/world/scenarios.h"

namespace outpost::sim::world {

namespace {
using namespace std::chrono_literals;
using nlohmann::json;

FaultStep step(FaultAction action, std::vector<std::string> targets) {
  FaultStep fault;
  fault.action = action;
  fault.targets = std::move(targets);
  fault.origin = "test";
  return fault;
}

const WallTime kStart = WallTime(std::chrono::seconds(1798761600));

ManagementEvent call(http::Method method, std::string path, nlohmann::json request, nlohmann::json answer,
                     int status = 200) {
  return {Nanoseconds(0), method, std::move(path), std::move(request), std::move(answer), status, ""};
}

std::string basic(const std::string& user, const std::string& password) {
  return "Basic " + auth::base64_encode(user + ":" + password);
}
}  // namespace

BOOST_AUTO_TEST_SUITE(outage_windows)

// cloud -> factory -> line1: factory's uplink cut from 10m to 12m breaks line1's way too.
BOOST_AUTO_TEST_CASE(a_cut_uplink_stretches_the_lag_of_its_subtree_until_it_has_caught_up) {
  const SimTopology topology = parse_scenario({{"topology", test::factory_topology()}}).topology;
  OutageWindows windows(topology);
  const Nanoseconds base = 1min, recovery = 2min;
  windows.on_fault(10min, step(FaultAction::LinkDown, {"factory"}), true);
  windows.on_fault(12min, step(FaultAction::LinkUp, {"factory"}), false);
  BOOST_TEST(windows.outages("factory").size() == 1u);
  BOOST_TEST(windows.outages("line1").size() == 1u);  // below the cut
  BOOST_TEST((windows.outages("line1")[0].second == std::optional<Nanoseconds>(12min)));

  BOOST_TEST((windows.lag("line1", 5min, base, recovery) == base));  // nothing broken yet
  // During the cut, and until `recovery` after it, back to `base` before it began (9m).
  BOOST_TEST((windows.lag("line1", 11min, base, recovery) == 2min));
  BOOST_TEST((windows.lag("line1", 13min, base, recovery) == 4min));
  BOOST_TEST((windows.lag("line1", 14min, base, recovery) == base));  // caught up by then
}

BOOST_AUTO_TEST_CASE(outages_that_overlap_with_the_catching_up_merge) {
  const SimTopology topology = parse_scenario({{"topology", test::factory_topology()}}).topology;
  OutageWindows windows(topology);
  const Nanoseconds base = 1min, recovery = 2min;
  windows.on_fault(10min, step(FaultAction::Crash, {"factory"}), true);
  windows.on_fault(11min, step(FaultAction::Restart, {"factory"}), false);
  windows.on_fault(12min, step(FaultAction::Pause, {"line1"}), true);  // before factory's children caught up (13m)
  BOOST_TEST((windows.lag("line1", 20min, base, recovery) == 11min));    // still paused: back to 9m
  windows.on_fault(21min, step(FaultAction::Resume, {"line1"}), false);
  BOOST_TEST((windows.lag("line1", 22min, base, recovery) == 13min));
  BOOST_TEST((windows.lag("line1", 23min, base, recovery) == base));
  BOOST_TEST((windows.lag("factory", 20min, base, recovery) == base));  // a child's pause breaks nothing above it
}

BOOST_AUTO_TEST_CASE(a_partition_cuts_the_uplinks_that_cross_it_and_its_heal_mends_them) {
  const SimTopology topology = parse_scenario({{"topology", test::factory_topology()}}).topology;
  OutageWindows windows(topology);
  windows.on_fault(1min, step(FaultAction::Partition, {"line1"}), true);  // line1 alone: its uplink crosses
  BOOST_TEST(windows.outages("factory").empty());
  BOOST_TEST(windows.outages("line1").size() == 1u);
  windows.on_fault(2min, step(FaultAction::Heal, {"line1"}), false);
  BOOST_TEST((windows.outages("line1")[0].second == std::optional<Nanoseconds>(2min)));
  windows.on_fault(3min, step(FaultAction::ClockSkew, {"line1"}), false);  // wall clocks only
  BOOST_TEST(windows.outages("line1").size() == 1u);
  windows.on_fault(4min, step(FaultAction::Crash, {"cloud"}), true);  // everyone's way goes through the cloud
  BOOST_TEST(windows.outages("factory").size() == 1u);
  windows.healed(5min);
  BOOST_TEST((windows.outages("factory")[0].second == std::optional<Nanoseconds>(5min)));
}

// The injector keeps a state per direction (faults_links.cpp): restoring one direction leaves the other stopped.
// One reason for both closed line1's outage at the slow's end while its responses were still dropped.
BOOST_AUTO_TEST_CASE(restoring_one_direction_leaves_the_outage_of_the_other) {
  const SimTopology topology = parse_scenario({{"topology", test::factory_topology()}}).topology;
  OutageWindows windows(topology);
  FaultStep stop = step(FaultAction::Stop, {"line1"});
  stop.link.upstream = false;  // the parent's answers dropped
  windows.on_fault(1min, stop, true);
  FaultStep slow = step(FaultAction::Slow, {"line1"});
  slow.link.downstream = false;
  windows.on_fault(2min, slow, true);
  FaultStep restore = step(FaultAction::Restore, {"line1"});
  restore.link.downstream = false;  // the slow's end
  windows.on_fault(3min, restore, true);
  BOOST_REQUIRE(windows.outages("line1").size() == 1u);
  BOOST_TEST(!windows.outages("line1").back().second);  // still stopped downstream
  restore.link = {};
  restore.link.upstream = false;
  windows.on_fault(11min, restore, false);
  BOOST_TEST((windows.outages("line1").back().second == std::optional<Nanoseconds>(11min)));
}

// A heal names a shaped partition by its groups in any order, as the injector finds it (HealTarget): an exact match
// only left line1's lag excused for the rest of the run.
BOOST_AUTO_TEST_CASE(a_heal_naming_the_groups_in_another_order_ends_the_outage) {
  const SimTopology topology = parse_scenario({{"topology", test::factory_topology()}}).topology;
  OutageWindows windows(topology);
  FaultStep cut = step(FaultAction::Partition, {});
  cut.groups = {{"cloud", "factory"}, {"line1"}};
  windows.on_fault(1min, cut, true);
  BOOST_REQUIRE(windows.outages("line1").size() == 1u);
  FaultStep heal = step(FaultAction::Heal, {});
  heal.groups = {{"line1"}, {"cloud", "factory"}};
  windows.on_fault(2min, heal, false);
  BOOST_TEST((windows.outages("line1")[0].second == std::optional<Nanoseconds>(2min)));
}

// Found by scenarios/storm.json (seed 2777): the factory's disk filled, then it crashed, then its disk was freed while
// it was still down. A crash and a full disk were one set of hosts out, so freeing the disk ended the outage, and line1,
// which could not hear of a change through its crashed parent, was reported as not enforcing it in time.
BOOST_AUTO_TEST_CASE(a_disk_freed_while_its_node_is_crashed_leaves_the_node_out) {
  const SimTopology topology = parse_scenario({{"topology", test::factory_topology()}}).topology;
  OutageWindows windows(topology);
  windows.on_fault(10min, step(FaultAction::DiskFull, {"factory"}), true);
  windows.on_fault(11min, step(FaultAction::Crash, {"factory"}), true);
  windows.on_fault(12min, step(FaultAction::DiskFreed, {"factory"}), true);
  BOOST_TEST(!windows.outages("line1").back().second);  // still out: factory is down
  windows.on_fault(15min, step(FaultAction::Restart, {"factory"}), false);
  BOOST_TEST((windows.outages("line1").back().second == std::optional<Nanoseconds>(15min)));
  BOOST_TEST(windows.outages("line1").size() == 1u);
  // And the other way round: a restart with the disk still full leaves it out until the disk is freed.
  windows.on_fault(20min, step(FaultAction::DiskFull, {"factory"}), true);
  windows.on_fault(21min, step(FaultAction::Crash, {"factory"}), true);
  windows.on_fault(22min, step(FaultAction::Restart, {"factory"}), true);
  BOOST_TEST(!windows.outages("line1").back().second);
  windows.on_fault(23min, step(FaultAction::DiskFreed, {"factory"}), false);
  BOOST_TEST((windows.outages("line1").back().second == std::optional<Nanoseconds>(23min)));
}

// Paused means holding the requests that reach it (the invariant watch asks this of the cloud): as the host, a crash
// ends a pause, and a host that is down does not pause.
BOOST_AUTO_TEST_CASE(a_crash_ends_a_pause_and_a_down_host_does_not_pause) {
  const SimTopology topology = parse_scenario({{"topology", test::factory_topology()}}).topology;
  OutageWindows windows(topology);
  windows.on_fault(1min, step(FaultAction::Pause, {"cloud"}), true);
  BOOST_TEST(windows.paused("cloud"));
  windows.on_fault(2min, step(FaultAction::Crash, {"cloud"}), true);
  BOOST_TEST(!windows.paused("cloud"));
  windows.on_fault(3min, step(FaultAction::Pause, {"cloud"}), true);
  BOOST_TEST(!windows.paused("cloud"));
  windows.on_fault(4min, step(FaultAction::Restart, {"cloud"}), false);
  BOOST_TEST(!windows.paused("cloud"));
  BOOST_TEST((windows.outages("factory").back().second == std::optional<Nanoseconds>(4min)));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(control_mirror)

BOOST_AUTO_TEST_CASE(management_calls_become_versions_of_the_world_with_the_passwords_handed_out) {
  ControlMirror mirror(kStart, "cloud:5000", "cloud:5001", "secret");
  BOOST_TEST(mirror.history().size() == 1u);
  mirror.apply(call(http::Method::Put, "scopeMaps/line1-map", {{"actions", {"repositories/apps/*/content/read"}}},
                    nullptr, 201),
               kStart + 1s);
  const json passwords = {
      {"passwords", {{{"name", "password1"}, {"value", "p1"}}, {{"name", "password2"}, {"value", "p2"}}}}};
  mirror.apply(call(http::Method::Put, "tokens/line1-client", {{"scopeMap", "line1-map"}}, passwords, 201),
               kStart + 2s);
  mirror.apply(call(http::Method::Put, "connectedRegistries/line1",
                    {{"mode", "ReadOnly"}, {"parent", nullptr}, {"repositories", {"apps/*"}},
                     {"clientTokens", {"line1-client"}}},
                    {{"connectionString", "..."}}, 201),
               kStart + 3s);
  BOOST_TEST(mirror.history().size() == 4u);
  BOOST_TEST((mirror.history().since(3) == kStart + 3s));
  const check::World& world = mirror.current();
  BOOST_REQUIRE(world.connected_registry("line1") != nullptr);
  BOOST_TEST((world.connected_registry("line1")->mode == check::Mode::ReadOnly));
  BOOST_TEST(world.address_of({"line1", false}) == "line1:5000");
  BOOST_REQUIRE(world.token("line1-sync-token") != nullptr);  // SPEC 2.4's derived resources

  const check::Credential client = mirror.book().resolve(basic("line1-client", "p1"));
  BOOST_TEST((client.kind == check::Credential::Kind::Token));
  BOOST_REQUIRE(client.password.has_value());
  BOOST_TEST(client.password->slot == 0);
  BOOST_TEST(client.password->serial == world.token("line1-client")->passwords[0].serial);
  BOOST_TEST(!mirror.book().resolve(basic("line1-client", "wrong")).password.has_value());
  // The agent presents the password of its connection string, which the operator never read.
  BOOST_TEST(mirror.book().resolve(basic("line1-sync-token", "anything")).password.has_value());
  BOOST_TEST(mirror.book().resolve(basic("admin", "secret")).admin_password_right);

  // A rotation: the new password1 matches, the old one no longer does; reads and refusals change nothing.
  mirror.apply(call(http::Method::Post, "tokens/line1-client/generateCredentials", {{"name", "password1"}},
                    {{"passwords", {{{"name", "password1"}, {"value", "p1-new"}}}}}),
               kStart + 4s);
  mirror.apply(call(http::Method::Get, "tokens/line1-client", nullptr, {{"name", "line1-client"}}), kStart + 5s);
  mirror.apply(call(http::Method::Patch, "tokens/line1-client", {{"status", "disabled"}}, nullptr, 404), kStart + 5s);
  BOOST_TEST(mirror.history().size() == 5u);
  const check::World& rotated = mirror.current();
  BOOST_TEST(mirror.book().resolve(basic("line1-client", "p1-new")).password->serial ==
             rotated.token("line1-client")->passwords[0].serial);
  BOOST_TEST(mirror.book().resolve(basic("line1-client", "p1")).password->serial !=
             rotated.token("line1-client")->passwords[0].serial);

  // The agent's password was taken for its sync token's password1 of the day the string was made: regenerated (by
  // generateCredentials, or by a new connection string), the agent's is a stale one. It was once taken for the new
  // one, and the oracle allowed what the cloud rightly refused.
  const uint64_t trusted_serial = rotated.token("line1-sync-token")->passwords[0].serial;
  mirror.apply(call(http::Method::Post, "connectedRegistries/line1/connectionString", {{"password", "password1"}},
                    {{"connectionString", "..."},
                     {"syncToken", {{"name", "line1-sync-token"},
                                    {"passwords", {{{"name", "password1"}, {"value", "s-new"}}}}}}}),
               kStart + 5s);
  const uint64_t new_serial = mirror.current().token("line1-sync-token")->passwords[0].serial;
  BOOST_TEST(new_serial != trusted_serial);
  BOOST_TEST(mirror.book().resolve(basic("line1-sync-token", "anything")).password->serial == trusted_serial);
  BOOST_TEST(mirror.book().resolve(basic("line1-sync-token", "s-new")).password->serial == new_serial);
  mirror.apply(call(http::Method::Post, "tokens/line1-sync-token/generateCredentials", {{"name", "password1"}},
                    {{"passwords", {{{"name", "password1"}, {"value", "s-newer"}}}}}),
               kStart + 5s);
  BOOST_TEST(mirror.book().resolve(basic("line1-sync-token", "anything")).password->serial == trusted_serial);
  BOOST_TEST(mirror.book().resolve(basic("line1-sync-token", "s-newer")).password->serial ==
             mirror.current().token("line1-sync-token")->passwords[0].serial);

  mirror.apply(call(http::Method::Patch, "tokens/line1-client", {{"status", "disabled"}}, nullptr), kStart + 6s);
  BOOST_TEST((mirror.current().token("line1-client")->status == check::TokenStatus::Disabled));
  BOOST_TEST((mirror.history().world(4).token("line1-client")->status == check::TokenStatus::Enabled));
  BOOST_TEST(mirror.unmodelled().empty());
  // An update of a CR: its client tokens and repositories are modelled, the rest decides nothing about access.
  mirror.apply(call(http::Method::Patch, "connectedRegistries/line1",
                    {{"clientTokens", json::array()}, {"repositories", {"apps/*", "tools/*"}}, {"logging", "debug"}},
                    nullptr),
               kStart + 7s);
  BOOST_TEST(mirror.unmodelled().empty());
  BOOST_TEST(mirror.current().connected_registry("line1")->client_tokens.empty());
  BOOST_TEST(mirror.current().connected_registry("line1")->repositories ==
             (std::vector<std::string>{"apps/*", "tools/*"}));
  mirror.apply(call(http::Method::Post, "connectedRegistries/line1/upgrade", {{"to", "2"}}, nullptr), kStart + 8s);
  BOOST_TEST(mirror.unmodelled().size() == 1u);  // said, not guessed
}

// As the cloud's put_token: a PUT sets the status it gives, else enabled (a replace of a disabled token without a
// status enabled it at the cloud, and the model kept it disabled), and a new token's passwords carry the request's
// expiry, or are not made at all with noPasswords (the model made both, never expiring).
BOOST_AUTO_TEST_CASE(a_token_put_is_modelled_as_the_cloud_does_it) {
  ControlMirror mirror(kStart, "cloud:5000", "cloud:5001", "secret");
  mirror.apply(call(http::Method::Put, "scopeMaps/m", {{"actions", {"repositories/apps/*/content/read"}}}, nullptr,
                    201),
               kStart);
  mirror.apply(call(http::Method::Put, "tokens/t", {{"scopeMap", "m"}}, nullptr, 201), kStart + 1s);
  mirror.apply(call(http::Method::Patch, "tokens/t", {{"status", "disabled"}}, nullptr), kStart + 2s);
  mirror.apply(call(http::Method::Put, "tokens/t", {{"scopeMap", "m"}}, nullptr), kStart + 3s);
  BOOST_TEST((mirror.current().token("t")->status == check::TokenStatus::Enabled));

  mirror.apply(call(http::Method::Put, "tokens/u", {{"scopeMap", "m"}, {"expiry", "2020-01-01T00:00:00Z"}}, nullptr,
                    201),
               kStart + 4s);
  BOOST_TEST(!mirror.current().token("u")->passwords[0].valid_at(kStart + 5s));
  BOOST_TEST(!mirror.current().token("u")->passwords[1].valid_at(kStart + 5s));
  mirror.apply(call(http::Method::Put, "tokens/v", {{"scopeMap", "m"}, {"noPasswords", true}}, nullptr, 201),
               kStart + 6s);
  BOOST_TEST(!mirror.current().token("v")->passwords[0].present);
  BOOST_TEST(!mirror.current().token("v")->passwords[1].present);
  BOOST_TEST(mirror.unmodelled().empty());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(recent_events)

BOOST_AUTO_TEST_CASE(a_violation_names_the_last_events_of_its_node_oldest_first) {
  RecentEvents recent(3);
  const auto exchange = [](int seconds, std::string from, std::string to, std::string target) {
    RequestEvent event;
    event.done = std::chrono::seconds(seconds);
    event.from = std::move(from);
    event.to = std::move(to);
    event.target = std::move(target);
    event.status = 200;
    return event;
  };
  recent.add(exchange(1, "client.line1", "line1:5000", "/v2/one"));
  recent.add(exchange(2, "line1", "factory:5000", "/gateway/two"));
  recent.add(exchange(3, "store", "cloud:5001", "/gateway/three"));
  recent.add(FaultEvent{std::chrono::seconds(4), step(FaultAction::LinkDown, {"line1"})});
  recent.add(exchange(5, "client.store", "store:5000", "/v2/five"));  // the ring holds 3 exchanges: the first is gone
  const auto lines = recent.involving("line1:5000", 10);
  BOOST_REQUIRE(lines.size() == 2u);
  BOOST_TEST(lines[0] == "2s line1 -> factory:5000 GET /gateway/two 200");
  BOOST_TEST(lines[1] == "4s fault link-down (test) on line1");
  BOOST_TEST(recent.involving("factory", 10).size() == 1u);
  BOOST_TEST(recent.involving("store", 1).size() == 1u);

  // A run of alike exchanges is one line; the faults stay in view however many exchanges came since.
  RecentEvents busy(100);
  busy.add(FaultEvent{std::chrono::seconds(1), step(FaultAction::Crash, {"line1"})});
  for (int i = 0; i < 30; ++i) busy.add(exchange(10 + i, "line1", "factory:5000", "/gateway/poll"));
  busy.add(exchange(50, "client.line1", "line1:5000", "/v2/last"));
  const auto collapsed = busy.involving("line1", 2);
  BOOST_REQUIRE(collapsed.size() == 2u);
  BOOST_TEST(collapsed[0] == "1s fault crash (test) on line1");
  BOOST_TEST(collapsed[1] == "50s client.line1 -> line1:5000 GET /v2/last 200");
  const auto more = busy.involving("line1", 5);
  BOOST_REQUIRE(more.size() == 3u);
  BOOST_TEST(more[1] == "39s line1 -> factory:5000 GET /gateway/poll 200 (and 29 more like it before)");
}

BOOST_AUTO_TEST_CASE(transport_failures_methods_and_faults_on_several_nodes_read_as_they_happened) {
  RecentEvents recent(10);
  const auto exchange = [](int seconds, http::Method method, int status, std::string error) {
    RequestEvent event;
    event.done = std::chrono::seconds(seconds);
    event.from = "region10site10line1";  // names longer than a short string's inline buffer
    event.to = "region10site10:5000";
    event.method = method;
    event.target = "/gateway/v1/region10site10line1/messages?wait=600";
    event.status = status;
    event.transport_error = std::move(error);
    return event;
  };
  recent.add(exchange(1, http::Method::Get, 200, ""));
  recent.add(exchange(2, http::Method::Post, 0, "connection refused by region10site10:5000"));
  recent.add(exchange(3, http::Method::Post, 503, "ignored: there is a status"));
  recent.add(FaultEvent{std::chrono::seconds(4), step(FaultAction::LinkDown, {"region10", "region10site10"})});
  recent.add(exchange(5, http::Method::Get, 200, ""));
  const auto lines = recent.involving("region10site10", 10);
  BOOST_REQUIRE(lines.size() == 4u);
  BOOST_TEST(lines[0] == "1s region10site10line1 -> region10site10:5000 GET "
                         "/gateway/v1/region10site10line1/messages?wait=600 200");
  // Two POSTs in a row are one line; a GET is not like them.
  BOOST_TEST(lines[1] == "3s region10site10line1 -> region10site10:5000 POST "
                         "/gateway/v1/region10site10line1/messages?wait=600 503 (and 1 more like it before)");
  BOOST_TEST(lines[2] == "4s fault link-down (test) on region10,region10site10");
  BOOST_TEST(lines[3] == "5s region10site10line1 -> region10site10:5000 GET "
                         "/gateway/v1/region10site10line1/messages?wait=600 200");
  const auto failed = recent.involving("region10site10line1", 1);
  BOOST_REQUIRE(failed.size() == 1u);
  BOOST_TEST(failed[0].find("5s ") == 0u);
  BOOST_TEST(recent.involving("region10", 10) ==
             std::vector<std::string>{"4s fault link-down (test) on region10,region10site10"});
  RecentEvents one(1);
  one.add(exchange(2, http::Method::Post, 0, "connection refused by region10site10:5000"));
  BOOST_TEST(one.involving("region10site10", 10) ==
             std::vector<std::string>{"2s region10site10line1 -> region10site10:5000 POST "
                                      "/gateway/v1/region10site10line1/messages?wait=600 connection refused by "
                                      "region10site10:5000"});
}

BOOST_AUTO_TEST_CASE(percentiles_are_nearest_rank) {
  std::vector<int64_t> values;
  for (int64_t i = 100; i >= 1; --i) values.push_back(i);
  const Percentiles p = percentiles(values);
  BOOST_TEST(p.count == 100u);
  BOOST_TEST(p.p50 == 50);
  BOOST_TEST(p.p90 == 90);
  BOOST_TEST(p.p99 == 99);
  BOOST_TEST(p.max == 100);
  BOOST_TEST(percentiles({7}).p50 == 7);
  BOOST_TEST(percentiles({}).count == 0u);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::sim::world
