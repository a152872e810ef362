// Scenario parsing: the defaults a short file gets, and errors that name their place and say what is allowed.
#include <boost/test/unit_test.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "simulator/world/quantities.h"
#include "simulator/world/scenario.h"
#include "tests/unit/world/scenarios.h"

namespace outpost::sim::world {

namespace {
using namespace std::chrono_literals;
using nlohmann::json;

using test::error_of;
using test::mentions;

json with(json document, const json& patch) {
  document.merge_patch(patch);
  return document;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(scenario_format)

BOOST_AUTO_TEST_CASE(a_short_scenario_gets_every_default) {
  const Scenario scenario = parse_scenario({{"topology", test::factory_topology()}});
  BOOST_TEST(scenario.seed == 1u);
  BOOST_TEST((scenario.duration == 1h));
  BOOST_TEST((scenario.settle == 15min));
  BOOST_TEST(scenario.password_hash_iterations == kDefaultSimPasswordHashIterations);
  BOOST_REQUIRE(scenario.topology.cluster.nodes.size() == 2u);
  const auto* line1 = scenario.topology.cluster.node("line1");
  BOOST_REQUIRE(line1);
  BOOST_TEST(line1->mode == "ReadOnly");
  BOOST_TEST(line1->repositories == std::vector<std::string>{"apps/*"});  // the parent's, as in the cluster format
  BOOST_TEST(scenario.workload.empty());
  BOOST_TEST(!scenario.nemesis.enabled());
  BOOST_TEST(scenario.storage == "memory");
}

BOOST_AUTO_TEST_CASE(storage_is_memory_or_disk) {
  BOOST_TEST(parse_scenario({{"topology", test::factory_topology()}, {"storage", "disk"}}).storage == "disk");
  const std::string error = error_of({{"topology", test::factory_topology()}, {"storage", "tape"}});
  BOOST_TEST(mentions(error, "storage"), error);
  BOOST_TEST(mentions(error, "'tape' is not a storage: memory or disk"), error);
}

BOOST_AUTO_TEST_CASE(durations_take_the_human_and_the_iso_forms) {
  BOOST_TEST((parse_scenario({{"topology", test::factory_topology()}, {"duration", "1h"}}).duration == 1h));
  BOOST_TEST((parse_scenario({{"topology", test::factory_topology()}, {"duration", "PT1H30M"}}).duration == 90min));
  const std::string error = error_of({{"topology", test::factory_topology()}, {"duration", "an hour"}});
  BOOST_TEST(mentions(error, "scenario.duration"), error);
  BOOST_TEST(mentions(error, "'an hour' is not a duration"), error);
}

BOOST_AUTO_TEST_CASE(unknown_keys_are_refused_with_the_known_ones) {
  const std::string error = error_of({{"topology", test::factory_topology()}, {"durration", "1h"}});
  BOOST_TEST(mentions(error, "unknown key 'durration'"), error);
  BOOST_TEST(mentions(error, "duration"), error);
  const std::string in_link = error_of({{"topology", with(test::factory_topology(), {{"links", {{"factory", {{"latncy", "1ms"}}}}}})}});
  BOOST_TEST(mentions(in_link, "scenario.topology.links.factory: unknown key 'latncy'"), in_link);
  // A node's known keys include the scenario's own (link, nic), which the cluster format's list left out.
  json topology = test::factory_topology();
  topology["nodes"][0]["bandwith"] = "1MB/s";
  const std::string in_node = error_of({{"topology", topology}});
  BOOST_TEST(mentions(in_node, "unknown key 'bandwith'"), in_node);
  BOOST_TEST(mentions(in_node, "gc, link, nic)"), in_node);
}

BOOST_AUTO_TEST_CASE(topology_errors_come_from_the_cluster_parser_with_their_place) {
  json topology = test::factory_topology();
  topology["nodes"][1]["mode"] = "ReadWrite";
  topology["nodes"][0]["mode"] = "ReadOnly";
  topology["nodes"][0]["clientToken"] = "pull";
  const std::string error = error_of({{"topology", topology}});
  BOOST_TEST(mentions(error, "scenario.topology"), error);
  BOOST_TEST(mentions(error, "a ReadOnly parent may only have ReadOnly children"), error);
}

BOOST_AUTO_TEST_CASE(links_and_nics_are_read_and_checked) {
  json topology = test::factory_topology();
  topology["defaultLink"] = {{"latency", "5ms"}};
  topology["links"] = {{"factory", {{"latency", "40ms"}, {"jitter", "10ms"}, {"bandwidth", "20Mbit/s"}}}};
  topology["nodes"][1]["nic"] = {{"bandwidth", "1GB/s"}};
  topology["nics"] = {{"cloud", {{"bandwidth", 1000}}}};
  const Scenario scenario = parse_scenario({{"topology", topology}});
  BOOST_TEST((scenario.topology.link_of("factory").latency == 40ms));
  BOOST_TEST(scenario.topology.link_of("factory").bandwidth == 2'500'000u);
  BOOST_TEST((scenario.topology.link_of("line1").latency == 5ms));  // the default
  BOOST_TEST(scenario.topology.nics.at("line1").bandwidth == 1'000'000'000u);
  BOOST_TEST(scenario.topology.nics.at("cloud").bandwidth == 1000u);

  topology["links"] = {{"nowhere", {{"latency", "1ms"}}}};
  std::string error = error_of({{"topology", topology}});
  BOOST_TEST(mentions(error, "scenario.topology.links.nowhere: 'nowhere' is not a connected registry"), error);
  topology["links"] = {{"cloud", {{"latency", "1ms"}}}};
  error = error_of({{"topology", topology}});
  BOOST_TEST(mentions(error, "the cloud has no uplink"), error);
  // The cluster parser's own paths join the scenario's: one path, not two.
  topology.erase("links");
  topology["nodes"][0]["name"] = "ab";
  error = error_of({{"topology", topology}});
  BOOST_TEST(mentions(error, "scenario.topology.nodes[0].name: 'ab' is not a connected-registry name"), error);
  const json weird_tree = {{"depth", 1}, {"fanout", 1}, {"modes", {"Weird"}}};
  error = error_of({{"topology", {{"tree", weird_tree}}}});
  BOOST_TEST(mentions(error, "scenario.topology.tree: 'Weird' is not a mode"), error);
  // Two timings: named by the second.
  const json tiny_tree = {{"depth", 1}, {"fanout", 1}};
  const json both = {{"action", "pull"}, {"node", "node1"}, {"every", "1m"}, {"rate", "2/h"}};
  error = error_of({{"topology", {{"tree", tiny_tree}}}, {"workload", json::array({both})}});
  BOOST_TEST(mentions(error, "scenario.workload[0].rate: give exactly one of at, times, every or rate, not both every"),
             error);
}

BOOST_AUTO_TEST_CASE(a_topology_file_is_the_live_clusters_format) {
  const auto directory = std::filesystem::temp_directory_path() /  // per process: two builds' tests may run at once
      ("outpost-world-test-topology-" + std::to_string(::getpid()));
  std::filesystem::create_directories(directory);
  std::ofstream(directory / "edge.json") << test::factory_topology().dump();
  const Scenario by_name = parse_scenario({{"topology", "edge.json"}}, directory);
  BOOST_TEST(by_name.topology.cluster.nodes.size() == 2u);
  const Scenario with_links =
      parse_scenario({{"topology", {{"file", "edge.json"}, {"links", {{"line1", {{"latency", "3ms"}}}}}}}}, directory);
  BOOST_TEST((with_links.topology.link_of("line1").latency == 3ms));
  const std::string missing = error_of({{"topology", "no-such-file.json"}});
  BOOST_TEST(mentions(missing, "cannot read topology file"), missing);
  std::filesystem::remove_all(directory);
}

BOOST_AUTO_TEST_CASE(workload_items_are_checked_against_the_topology) {
  const json base = {{"topology", test::factory_topology()}};
  const auto workload_error = [&base](const json& item) { return error_of(with(base, {{"workload", {item}}})); };

  std::string error = workload_error({{"action", "push"}, {"node", "line1"}, {"repository", "apps/x"}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "scenario.workload[0].node: 'line1' is ReadOnly"), error);
  error = workload_error({{"action", "push"}, {"node", "factory"}, {"repository", "base"}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "'base' is not synced by factory"), error);
  BOOST_TEST(mentions(error, "scenario.workload[0].repository: "), error);  // the key the file has
  error = workload_error({{"action", "push"}, {"node", "factory"}, {"repository", "apps/x"}});
  BOOST_TEST(mentions(error, "give exactly one of at, times, every or rate"), error);
  // A pull's filter must be able to match something the node syncs: once every pull of such an item was skipped.
  error = workload_error({{"action", "pull"}, {"node", "line1"}, {"repository", "other/x"}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "scenario.workload[0].repository: 'other/x' names nothing line1 syncs"), error);
  error = workload_error({{"action", "pull"}, {"node", "line1"}, {"repositories", {"other/*"}}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "'other/*' names nothing line1 syncs"), error);
  error = workload_error({{"action", "pull"}, {"node", "line1"}, {"repositories", json::array()}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "scenario.workload[0].repositories: name at least one"), error);
  error = workload_error({{"action", "pull"}, {"node", "line1"}, {"repository", "Apps/*"}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "'Apps/*' is not a repository name or prefix/*"), error);
  for (const json& filter : {json("apps/x"), json("apps/*"), json("apps/team/*")})
    BOOST_CHECK_NO_THROW(parse_scenario(with(
        base, {{"workload", {{{"action", "pull"}, {"node", "line1"}, {"repository", filter}, {"at", "1m"}}}}})));
  error = workload_error({{"action", "pull"}, {"node", "line1"}, {"token", "factory-client"}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "'factory-client' is not a client token of line1"), error);
  // The plan's times are whole milliseconds (an every of 1.5 ms once ran as written, against the docs).
  error = workload_error({{"action", "pull"}, {"node", "line1"}, {"every", "PT0.0015S"}});
  BOOST_TEST(mentions(error, "scenario.workload[0].every: must be whole milliseconds"), error);
  error = workload_error({{"action", "pull"}, {"node", "line1"}, {"times", {"1m", "PT30.0005S"}}});
  BOOST_TEST(mentions(error, "scenario.workload[0].times[1]: must be whole milliseconds"), error);
  error = workload_error({{"action", "jump"}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "'jump' is not an action: push, pull, delete, tag, token or scopeMap"), error);
  // Deletes: where writes are taken, drawn as pulls are, by digest or by tag.
  error = workload_error({{"action", "delete"}, {"node", "line1"}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "scenario.workload[0].node: 'line1' is ReadOnly: deletes go to the cloud"), error);
  error = workload_error({{"action", "delete"}, {"node", "factory"}, {"what", "blob"}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "scenario.workload[0].what: 'blob' is not what a delete takes"), error);
  error = workload_error({{"action", "delete"}, {"node", "cloud"}, {"token", "factory-client"}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "deletes at the cloud use the admin user"), error);
  error = workload_error({{"action", "delete"}, {"node", "factory"}, {"repository", "other/*"}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "'other/*' names nothing factory syncs"), error);
  error = workload_error({{"action", "token"}, {"token", "line1-client"}, {"status", "off"}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "scenario.workload[0].status: must be enabled or disabled"), error);
  error = workload_error({{"action", "push"}, {"node", "cloud"}, {"repository", "apps/x"}, {"at", "1m"},
                          {"layerSize", {{"distribution", "uniform"}, {"min", "2KiB"}, {"max", "1KiB"}}}});
  BOOST_TEST(mentions(error, "scenario.workload[0].layerSize.max: must be at least min"), error);
  // A key the distribution does not read: {"value": ...} alone was a uniform 1KiB..64KiB without a word.
  error = workload_error({{"action", "push"}, {"node", "cloud"}, {"repository", "apps/x"}, {"at", "1m"},
                          {"layerSize", {{"value", "8MiB"}}}});
  BOOST_TEST(mentions(error, "scenario.workload[0].layerSize.value: does not apply to a uniform size (the default"),
             error);
  error = workload_error({{"action", "push"}, {"node", "cloud"}, {"repository", "apps/x"}, {"at", "1m"},
                          {"layerSize", {{"distribution", "fixed"}, {"value", "1MiB"}, {"max", "2MiB"}}}});
  BOOST_TEST(mentions(error, "scenario.workload[0].layerSize.max: does not apply to a fixed size"), error);
  error = workload_error({{"action", "push"}, {"node", "cloud"}, {"repository", "apps/x"}, {"at", "1m"},
                          {"layerSize", {{"distribution", "uniform"}, {"max", "2MiB"}, {"sigma", 3}}}});
  BOOST_TEST(mentions(error, "scenario.workload[0].layerSize.sigma: does not apply to a uniform size"), error);

  const Scenario scenario = parse_scenario(with(
      base, {{"workload", {{{"action", "push"}, {"node", "factory"}, {"repository", "apps/x"}, {"every", "10m"}},
                           {{"action", "scopeMap"}, {"scopeMap", "line1-client-map"}, {"add", {"repositories/apps/x/content/read"}}, {"at", "5m"}}}}}));
  const auto& push = std::get<PushAction>(scenario.workload[0].action);
  BOOST_TEST(push.token == "factory-client");  // the node's client token that may push
  BOOST_TEST(std::get<ScopeMapChange>(scenario.workload[1].action).add.size() == 1u);

  const Scenario deletes = parse_scenario(with(
      base, {{"workload", {{{"action", "delete"}, {"node", "factory"}, {"what", "tag"}, {"every", "10m"}},
                           {{"action", "delete"}, {"node", "cloud"}, {"repositories", {"apps/*"}}, {"at", "5m"}}}}}));
  const auto& untag = std::get<DeleteAction>(deletes.workload[0].action);
  BOOST_TEST(untag.untag);
  BOOST_TEST(untag.token == "factory-client");  // the client token that may push holds metadata/write
  const auto& at_cloud = std::get<DeleteAction>(deletes.workload[1].action);
  BOOST_TEST(!at_cloud.untag);  // by digest unless told
  BOOST_TEST(at_cloud.token == "admin");
  BOOST_TEST(at_cloud.repositories == std::vector<std::string>{"apps/*"});

  // A tag writes as a push does: at the cloud as admin, at a ReadWrite node as its token that may push; never at a
  // ReadOnly node, and only in what the node syncs.
  const Scenario tags = parse_scenario(with(
      base, {{"workload", {{{"action", "tag"}, {"node", "factory"}, {"every", "10m"}},
                           {{"action", "tag"}, {"node", "cloud"}, {"repository", "apps/x"}, {"at", "5m"}}}}}));
  const auto& at_factory = std::get<TagAction>(tags.workload[0].action);
  BOOST_TEST(at_factory.token == "factory-client");
  BOOST_TEST(at_factory.repositories.empty());  // any repository the factory syncs
  BOOST_TEST(std::get<TagAction>(tags.workload[1].action).token == "admin");
  error = workload_error({{"action", "tag"}, {"node", "line1"}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "'line1' is ReadOnly: tags go to the cloud or to a ReadWrite node"), error);
  error = workload_error({{"action", "tag"}, {"node", "factory"}, {"what", "tag"}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "scenario.workload[0]: unknown key 'what'"), error);
  error = workload_error({{"action", "tag"}, {"node", "factory"}, {"repository", "other/*"}, {"at", "1m"}});
  BOOST_TEST(mentions(error, "'other/*' names nothing factory syncs"), error);
}

BOOST_AUTO_TEST_CASE(fault_steps_are_checked_and_for_adds_their_end) {
  const json base = {{"topology", test::factory_topology()}};
  const auto fault_error = [&base](const json& faults) { return error_of(with(base, {{"faults", faults}})); };
  std::string error = fault_error({{"timeline", {{{"at", "1m"}, {"action", "link-down"}, {"target", "cloud"}}}}});
  BOOST_TEST(mentions(error, "the cloud has no uplink"), error);
  error = fault_error({{"timeline", {{{"at", "1m"}, {"action", "explode"}, {"target", "factory"}}}}});
  BOOST_TEST(mentions(error, "'explode' is not a fault action: link-down, link-up"), error);
  error = fault_error({{"timeline", {{{"at", "1m"}, {"action", "clock-skew"}, {"target", "factory"}}}}});
  BOOST_TEST(mentions(error, "clock-skew needs {\"skew\": \"-5m\"}"), error);
  // A node's clock is a 64-bit count of nanoseconds: a skew of 106751 days passed its end.
  for (const char* skew : {"106751d", "-36501d"}) {
    error = fault_error({{"timeline", {{{"at", "1m"}, {"action", "clock-skew"}, {"target", "factory"},
                                        {"attributes", {{"skew", skew}}}}}}});
    BOOST_TEST(mentions(error, ".skew: must be within 36500 days either way"), error);
  }
  error = fault_error({{"nemesis", {{"rates", {{"clock-skew", "1/h"}}}, {"maxSkew", "36501d"}}}});
  BOOST_TEST(mentions(error, "scenario.faults.nemesis.maxSkew: must be at most 36500 days"), error);
  error = fault_error({{"nemesis", {{"rates", {{"crash", "often"}}}}}});
  BOOST_TEST(mentions(error, "scenario.faults.nemesis.rates.crash: must be a positive rate"), error);

  const Scenario scenario = parse_scenario(with(
      base, {{"faults", {{"timeline", {{{"at", "10m"}, {"action", "crash"}, {"target", "factory"}, {"for", "30s"}},
                                       {{"at", "2m"}, {"action", "clock-skew"}, {"target", {"line1"}},
                                        {"attributes", {{"skew", "-5m"}}}}}}}}}));
  BOOST_REQUIRE(scenario.timeline.size() == 3u);  // sorted by time; the crash's end is a restart
  BOOST_TEST((scenario.timeline[0].action == FaultAction::ClockSkew));
  BOOST_TEST((scenario.timeline[0].skew == -5min));
  BOOST_TEST((scenario.timeline[2].action == FaultAction::Restart));
  BOOST_TEST((scenario.timeline[2].at == 10min + 30s));
}

BOOST_AUTO_TEST_CASE(quantities) {
  BOOST_TEST(parse_bytes("4KiB").value() == 4096u);
  BOOST_TEST(parse_bytes("1.5MB").value() == 1'500'000u);
  BOOST_TEST(!parse_bytes("4 parsecs"));
  BOOST_TEST(parse_bytes("9000000TB").value() == 9'000'000'000'000'000'000u);
  BOOST_TEST(!parse_bytes("10000000TB"));  // past 2^63: it was read as 2^63
  BOOST_TEST(parse_byte_rate("100Mbit/s").value() == 12'500'000u);
  BOOST_TEST(parse_byte_rate("2MiB/s").value() == 2'097'152u);
  BOOST_TEST(!parse_byte_rate("100Mbit"));
  // 0 is no limit; a rate under 1 B/s rounds to it, so a link's bandwidth refuses one rather than making it infinite.
  BOOST_TEST(rate_is_zero("0MB/s"));
  BOOST_TEST(!rate_is_zero("1bit/s"));
  nlohmann::json topology = test::factory_topology();
  topology["links"] = {{"factory", {{"bandwidth", "1bit/s"}}}};
  const std::string error = test::error_of({{"topology", topology}});
  BOOST_TEST(test::mentions(error, "bandwidth: is under 1 B/s, the least rate a link can have (0 means no limit)"), error);
  topology["links"] = {{"factory", {{"bandwidth", "0Mbit/s"}}}};
  BOOST_TEST(test::error_of({{"topology", topology}}).empty());
  BOOST_TEST(parse_rate_per_hour("2/m").value() == 120.0);
  BOOST_TEST(!parse_rate_per_hour("2 per hour"));
  BOOST_TEST(format_duration(std::chrono::minutes(90)) == "1h30m");
  BOOST_TEST(format_signed_duration(-std::chrono::milliseconds(250)) == "-250ms");
}

BOOST_AUTO_TEST_CASE(timings_expand_within_the_run) {
  SeededRandom random(7);
  Timing every;
  every.every = std::chrono::minutes(10);
  BOOST_TEST(every.expand(std::chrono::hours(1), random).size() == 5u);  // 10m, 20m, ..., 50m
  every.count = 2;
  BOOST_TEST(every.expand(std::chrono::hours(1), random).size() == 2u);

  Timing rate;
  rate.per_hour = 600;
  const auto times = rate.expand(std::chrono::hours(1), random);
  BOOST_TEST(times.size() > 450u);  // about 600; the bound is loose, the draw is seeded
  BOOST_TEST(times.size() < 750u);
  BOOST_TEST(std::is_sorted(times.begin(), times.end()));
  SeededRandom again(7);  // `every` drew nothing: the same seed gives the same times
  BOOST_TEST((rate.expand(std::chrono::hours(1), again) == times));
}

// A rate so low that its gaps pass any run: no time at all. A gap of ~1e15 ms overflowed the nanosecond count and
// wrapped to a time before the start, which was kept: pushes ran, and the nemesis planned a crash at -45578 days.
BOOST_AUTO_TEST_CASE(a_rate_whose_gaps_pass_the_run_gives_no_times) {
  for (const double per_hour : {1e-12, 1e-30, 1e-300, 1e-310}) {
    Timing rate;
    rate.per_hour = per_hour;
    for (uint64_t seed = 1; seed <= 20; ++seed) {
      SeededRandom random(seed);
      const auto times = rate.expand(std::chrono::minutes(2), random);
      BOOST_TEST(times.empty(), per_hour << " seed " << seed << ": " << times.size() << " times");
    }
  }
}

// Values a parser once let through to fail later (at run time, with a path-less message, or by filling memory).
BOOST_AUTO_TEST_CASE(values_that_would_fail_later_are_refused_with_their_place) {
  const json base = {{"topology", test::factory_topology()}};
  const auto workload_error = [&base](const json& item) { return error_of(with(base, {{"workload", {item}}})); };
  const json push = {{"action", "push"}, {"node", "factory"}, {"repository", "apps/x"}};

  std::string error = workload_error(with(push, {{"rate", "1000000/s"}}));
  BOOST_TEST(mentions(error, "scenario.workload[0].rate: must be at most 1000/s"), error);
  error = workload_error(with(push, {{"every", "PT0.000001S"}}));
  BOOST_TEST(mentions(error, "scenario.workload[0].every: must be at least 1ms"), error);
  error = workload_error(with(push, {{"at", "1m"}, {"layerSize", "1" + std::string(400, '0')}}));
  BOOST_TEST(mentions(error, "scenario.workload[0].layerSize: must be a byte size"), error);
  error = error_of(with(base, {{"faults", {{"nemesis", {{"rates", {{"crash", "2000/s"}}}}}}}}));
  BOOST_TEST(mentions(error, "scenario.faults.nemesis.rates.crash: must be at most 1000/s"), error);

  json topology = test::factory_topology();
  topology["syncLongPoll"] = "0s";
  error = error_of({{"topology", topology}});
  BOOST_TEST(mentions(error, "syncLongPoll: '0s' is not a duration longer than zero"), error);
  topology = test::factory_topology();
  topology["syncStatusInterval"] = "banana";
  error = error_of({{"topology", topology}});
  BOOST_TEST(mentions(error, "syncStatusInterval: 'banana' is not a duration"), error);

  // A node's settings go to the cloud as they are: checked by the management API's rules while parsing.
  topology = test::factory_topology();
  topology["nodes"][0]["logging"] = {{"bogus", 1}};
  error = error_of({{"topology", topology}});
  BOOST_TEST(mentions(error, "(factory): unknown field 'bogus' in the 'logging' object"), error);
  topology = test::factory_topology();
  topology["nodes"][0]["sync"] = {{"schedule", "banana"}};
  error = error_of({{"topology", topology}});
  BOOST_TEST(mentions(error, "field 'sync.schedule' must be a 5-field cron expression"), error);

  // A 40-character node name leaves no room for its default client token's scope map ("<name>-client-map").
  topology = test::factory_topology();
  topology["nodes"][1]["name"] = std::string(40, 'f');
  error = error_of({{"topology", topology}});
  BOOST_TEST(mentions(error, "give the node a name of at most 39 characters"), error);
}

// Errors name the place in the file, not a node generated from it or a key the parser made up.
BOOST_AUTO_TEST_CASE(errors_name_the_files_own_place) {
  const json levels = {{"tree", {{"levels", {{{"count", 1}, {"name", "region"}, {"link", {{"latency", "bogus"}}}}}}}}};
  std::string error = error_of({{"topology", levels}});
  BOOST_TEST(mentions(error, "scenario.topology.tree.levels[0].link.latency"), error);
  const json read_only_push = {
      {"tree", {{"levels", {{{"count", 1}, {"name", "region"}, {"mode", "ReadOnly"}, {"clientToken", "push"}}}}}}};
  error = error_of({{"topology", read_only_push}});
  BOOST_TEST(mentions(error, "scenario.topology.tree.levels[0].clientToken"), error);
  // A level's repositories may be one string, as the tree's may.
  const json one_string = {{"tree", {{"levels", {{{"count", 1}, {"name", "region"}, {"repositories", "apps/*"}}}}}}};
  BOOST_TEST(parse_scenario({{"topology", one_string}}).topology.cluster.nodes.size() == 1u);

  const json base = {{"topology", test::factory_topology()}};
  error = error_of(with(base, {{"workload", {{{"action", "push"}, {"node", "factory"}, {"repository", "apps/x"},
                                              {"times", {"1m", "soon"}}}}}}));
  BOOST_TEST(mentions(error, "scenario.workload[0].times[1]: 'soon'"), error);
  error = error_of(with(base, {{"faults", {{"timeline", {{{"at", "100000d"}, {"action", "link-down"},
                                                          {"target", "factory"}, {"for", "100000d"}}}}}}}));
  BOOST_TEST(mentions(error, "scenario.faults.timeline[0].for: ends beyond the last representable time"), error);
  error = error_of(with(base, {{"faults", {{"nemesis", {{"rates", {{"link-down", "6/h"}}}, {"targets", {"cloud"}}}}}}}));
  BOOST_TEST(mentions(error, "only the cloud is targeted, and it has no uplink for link-down"), error);
  error = error_of(
      with(base, {{"faults", {{"nemesis", {{"rates", {{"crash", "6/h"}}}, {"targets", {"factory", "factory"}}}}}}}));
  BOOST_TEST(mentions(error, "'factory' is named twice"), error);

  // A scope map change's actions are checked as the management API checks them.
  error = error_of(with(base, {{"workload", {{{"action", "scopeMap"}, {"scopeMap", "line1-client-map"},
                                              {"add", {"repositories/apps/x/content/read", "bogus"}}, {"at", "5m"}}}}}));
  BOOST_TEST(mentions(error, "scenario.workload[0].add[1]: 'bogus' is not an action"), error);

  // 3 and 3.0 are one JSON number; 3.5 is not whole.
  BOOST_TEST(parse_scenario(with(base, {{"seed", 3.0}})).seed == 3u);
  error = error_of(with(base, {{"seed", 3.5}}));
  BOOST_TEST(mentions(error, "scenario.seed: must be a whole number"), error);
}

BOOST_AUTO_TEST_CASE(a_timing_that_would_fire_too_often_is_refused_not_cut) {
  SeededRandom random(7);
  Timing every;
  every.every = std::chrono::milliseconds(1);
  BOOST_TEST(every.expand(std::chrono::minutes(10), random).size() == 599'999u);
  BOOST_CHECK_EXCEPTION(every.expand(std::chrono::hours(3), random), ScenarioError, [](const ScenarioError& e) {
    return std::string(e.what()).find("fires more than 10000000 times") != std::string::npos;
  });
  // Found before any run, naming the item: at the scenario's own duration when read, and at another one asked for.
  BOOST_TEST(every.expected_count(std::chrono::minutes(10)) == 599'999.0);
  json document = {{"duration", "3h"},
                   {"topology", {{"tree", {{"depth", 1}, {"fanout", 1}}}}},
                   {"workload", {{{"action", "pull"}, {"node", "node1"}, {"every", "1ms"}}}}};
  BOOST_CHECK_EXCEPTION(parse_scenario(document), ScenarioError, [](const ScenarioError& e) {
    return std::string(e.what()).starts_with("scenario.workload[0]: fires 10799999 times");
  });
  document["duration"] = "2h";
  const Scenario two_hours = parse_scenario(document);
  BOOST_CHECK_THROW(check_occurrences(two_hours, std::chrono::hours(3)), ScenarioError);
  Scenario nemesis = parse_scenario({{"topology", {{"tree", {{"depth", 1}, {"fanout", 1}}}}}});
  nemesis.nemesis.per_hour[FaultAction::Crash] = 3'600'000;
  BOOST_CHECK_EXCEPTION(check_occurrences(nemesis, std::chrono::hours(3)), ScenarioError, [](const ScenarioError& e) {
    return std::string(e.what()).starts_with("scenario.faults.nemesis.rates.crash: fires about 10800000 times");
  });
  // Rates that pass one by one are refused together when their faults add up past the nemesis's total: 1200/h for
  // 10 hours of two kinds is 24,000 faults (taken), of ten kinds 120,000 (refused, at that duration only).
  Scenario many = parse_scenario({{"topology", {{"tree", {{"depth", 2}, {"fanout", 4}}}}}});
  many.nemesis.per_hour[FaultAction::Crash] = 1200;
  many.nemesis.per_hour[FaultAction::LinkDown] = 1200;
  BOOST_CHECK_NO_THROW(check_occurrences(many, std::chrono::hours(10)));
  for (const FaultAction kind :
       {FaultAction::Partition, FaultAction::Pause, FaultAction::ClockSkew, FaultAction::DiskFull})
    many.nemesis.per_hour[kind] = 1200;
  for (const PartitionShapeKind kind : {PartitionShapeKind::Level, PartitionShapeKind::Halves,
                                        PartitionShapeKind::Bridge, PartitionShapeKind::RandomMinority})
    many.nemesis.partitions_per_hour[kind] = 1200;
  BOOST_CHECK_EXCEPTION(check_occurrences(many, std::chrono::hours(10)), ScenarioError, [](const ScenarioError& e) {
    return std::string(e.what()).starts_with(
        "scenario.faults.nemesis.rates: the kinds together fire about 120000 faults in a run of this duration, more "
        "than 100000");
  });
  BOOST_CHECK_NO_THROW(check_occurrences(many, std::chrono::hours(8)));  // 96,000
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::sim::world
