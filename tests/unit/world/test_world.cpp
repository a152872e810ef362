// Worlds of real nodes in virtual time: a busy world converges; a ReadWrite node crashed and restarted on its stores
// still delivers what its clients pushed while it was cut off; a paused node answers once resumed; a run's metrics
// windows fit its length.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <set>

#include "simulator/world/run_metrics.h"
#include "simulator/world/world.h"
#include "tests/unit/world/scenarios.h"

namespace outpost::sim::world {

namespace {
using namespace std::chrono_literals;
using test::tagged;

using test::fault_on;

// Counts what a world reports to its observers.
struct Counter final : WorldObserver {
  void on_request(const RequestEvent&) override { ++requests; }
  void on_fault(const FaultEvent&) override { ++faults; }
  void on_push_acknowledged(const PushEvent&) override { ++pushes; }
  void on_pull(const PullEvent&) override { ++pulls; }
  void on_round_done(const RoundEvent& event) override {
    rounds_by[event.node] = event.rounds;
    // A node's rounds follow one another: each begins no earlier than the one before it ended.
    Nanoseconds& last_end = last_round_end[event.node];
    if (event.began > event.time || event.began < last_end) ++misplaced_rounds;
    if (event.began < event.time) ++rounds_that_took_time;
    last_end = event.time;
  }
  uint64_t requests = 0, faults = 0, pushes = 0, pulls = 0;
  std::map<std::string, uint64_t> rounds_by;
  std::map<std::string, Nanoseconds> last_round_end;
  uint64_t misplaced_rounds = 0, rounds_that_took_time = 0;
};

// Blobs a node holds that no manifest names and that were last linked before `before`: what a collection with the
// grace that `before` leaves would have taken.
size_t old_garbage(storage::Storage& storage, WallTime before) {
  std::set<storage::Digest> kept;
  for (auto& digest : storage.metadata->referenced_digests()) kept.insert(std::move(digest));
  for (auto& digest : storage.metadata->linked_since(before)) kept.insert(std::move(digest));
  size_t garbage = 0;
  for (const storage::BlobInfo& blob : storage.blobs->list()) garbage += !kept.contains(blob.digest);
  return garbage;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(worlds)

BOOST_AUTO_TEST_CASE(a_busy_world_converges_and_tells_its_observers) {
  World world(parse_scenario(test::busy_scenario("5m")), 3);
  Counter counter;
  world.add_observer(counter);
  const RunResult result = world.run_all();
  BOOST_TEST(result.ok(), result.to_json().dump());
  BOOST_TEST(result.ready);
  BOOST_TEST(result.convergence.converged);
  BOOST_TEST(result.convergence.pushes_acknowledged > 0u);
  BOOST_TEST(result.convergence.pushes_at_cloud == result.convergence.pushes_acknowledged);
  BOOST_TEST(counter.pushes == result.workload.pushes_acknowledged);
  BOOST_TEST(counter.pulls == result.workload.pulls_attempted);
  BOOST_TEST(counter.requests == result.requests.requests);
  BOOST_TEST(counter.rounds_by["factory"] > 10u);  // continuous sync: a round every status interval at least
  BOOST_TEST(counter.rounds_by["line1"] > 10u);
  BOOST_TEST(result.events > result.requests.requests);
  // The building's events are some of the run's, not all: the run went on after every node was ready. Its wall time
  // and the run's after it are parts of the whole (no absolute time is asserted).
  BOOST_TEST(result.build_events > 0u);
  BOOST_TEST(result.build_events < result.events);
  BOOST_TEST(result.build_wall_seconds > 0.0);
  BOOST_TEST(result.build_wall_seconds <= result.wall_seconds);
  BOOST_TEST(result.after_build_wall_seconds > 0.0);
  BOOST_TEST(result.after_build_wall_seconds <= result.wall_seconds);
  BOOST_TEST(result.to_json().at("build").at("events") == result.build_events);
  BOOST_TEST(result.to_json().at("eventsPerSecondAfterBuild") == result.events_per_second_after_build());
  // Rounds are intervals: most wait on a long poll, so they take time, and none overlaps the node's previous one.
  BOOST_TEST(counter.misplaced_rounds == 0u);
  BOOST_TEST(counter.rounds_that_took_time > 10u);
}

BOOST_AUTO_TEST_CASE(the_trace_holds_each_sync_round_as_a_span_from_its_start_to_its_end) {
  World world(parse_scenario(test::busy_scenario("5m")), 3);
  world.trace().keep(Trace::Keep::All);
  const RunResult result = world.run_all();
  BOOST_REQUIRE(result.ok());
  std::map<uint64_t, Nanoseconds> begun;  // open span -> its start
  uint64_t rounds = 0, long_rounds = 0;
  for (const TraceRecord& record : world.trace().records()) {
    if (record.kind != "sync round") continue;
    BOOST_REQUIRE(record.phase != TraceRecord::Phase::Instant);
    if (record.phase == TraceRecord::Phase::Begin) {
      begun.emplace(record.span, record.time);
      continue;
    }
    const auto start = begun.find(record.span);
    BOOST_REQUIRE(start != begun.end());  // every end follows its begin
    BOOST_TEST(start->second <= record.time);
    if (start->second < record.time) ++long_rounds;
    begun.erase(start);
    ++rounds;
  }
  BOOST_TEST(begun.empty());
  BOOST_TEST(rounds == result.requests.rounds);
  BOOST_TEST(long_rounds > 10u);

  // The report's metrics.rounds hold the same intervals, [begin, end] per node (the HTML report's bars).
  const nlohmann::json report = result.to_json();
  uint64_t reported = 0, reported_long = 0;
  for (const auto& [node, list] : report.at("metrics").at("rounds").items()) {
    for (const nlohmann::json& round : list) {
      BOOST_TEST(round[0].get<int64_t>() <= round[1].get<int64_t>());
      if (round[0].get<int64_t>() < round[1].get<int64_t>()) ++reported_long;
      ++reported;
    }
  }
  BOOST_TEST(reported == rounds);
  BOOST_TEST(reported_long == long_rounds);
}

BOOST_AUTO_TEST_CASE(rounds_that_fail_while_a_link_is_down_are_spans_of_their_own_between_the_completed_ones) {
  nlohmann::json scenario = test::busy_scenario("6m");
  scenario["faults"] = {{"timeline", {{{"at", "1m"}, {"action", "link-down"}, {"target", "factory"}, {"for", "3m"}}}}};
  World world(parse_scenario(scenario), 3);
  world.trace().keep(Trace::Keep::All);
  const RunResult result = world.run_all();
  BOOST_REQUIRE(result.ok());

  // node -> its rounds in the trace, [begin, end], completed or failed
  struct Round {
    Nanoseconds begin, end;
    bool failed;
  };
  std::map<std::string, std::vector<Round>> rounds;
  std::map<uint64_t, std::pair<Nanoseconds, std::string>> begun;  // open span -> its start and kind
  for (const TraceRecord& record : world.trace().records()) {
    if (record.kind != "sync round" && record.kind != "sync round failed") continue;
    if (record.phase == TraceRecord::Phase::Begin) {
      begun.emplace(record.span, std::pair{record.time, record.kind});
      continue;
    }
    const auto start = begun.find(record.span);
    BOOST_REQUIRE(start != begun.end());
    rounds[record.node].push_back({start->second.first, record.time, start->second.second == "sync round failed"});
    begun.erase(start);
  }
  BOOST_TEST(begun.empty());
  const auto failed_of = [&](const std::string& node) {
    return std::count_if(rounds[node].begin(), rounds[node].end(), [](const Round& round) { return round.failed; });
  };
  // The factory's uplink was down for three minutes: its attempts failed, backing off, and it synced again after.
  BOOST_TEST(failed_of("factory") > 3);
  BOOST_REQUIRE(!rounds["factory"].empty());
  BOOST_TEST(!rounds["factory"].back().failed);
  // line1's parent, the factory, answered all along the outage: line1's only failure is its first attempt, made
  // while the world was starting (before the factory had activated).
  const auto outage =
      std::find_if(rounds["factory"].begin(), rounds["factory"].end(), [](const Round& round) { return round.failed; });
  for (const Round& round : rounds["line1"])
    if (round.failed) BOOST_TEST(round.end < outage->begin);
  // A node's rounds, completed or failed, follow one another: none begins before the one before it ended.
  for (const auto& [node, list] : rounds) {
    for (size_t i = 0; i < list.size(); ++i) {
      BOOST_TEST(list[i].begin <= list[i].end, node);
      if (i > 0) BOOST_TEST(list[i - 1].end <= list[i].begin, node << " round " << i);
    }
  }
  // The report's metrics.failedRounds hold the same failed intervals.
  const nlohmann::json report = result.to_json();
  const nlohmann::json& failed_rounds = report.at("metrics").at("failedRounds");
  BOOST_TEST(failed_rounds.at("factory").size() == static_cast<size_t>(failed_of("factory")));
  BOOST_TEST(failed_rounds.value("line1", nlohmann::json::array()).size() == static_cast<size_t>(failed_of("line1")));
}

namespace {

// On either storage: a crash keeps what the stores hold (on disk: what the files hold, opened again by the next
// process), and the journal of pushes not yet up survives it.
void pushes_survive_a_crash(const std::string& storage) {
  World world(parse_scenario({{"topology", test::factory_topology()}, {"settle", "10m"}, {"storage", storage}}), 1);
  world.build();
  Host& factory = world.host("factory");
  const uint64_t first_incarnation = factory.incarnation();
  const storage::Storage* first_stores = &factory.storage();

  world.faults().apply(fault_on(FaultAction::LinkDown, "factory"));
  const auto v1 = world.push_now("factory", "apps/tool", "v1");
  const auto v2 = world.push_now("factory", "apps/tool", "v2");
  BOOST_REQUIRE(v1.has_value());  // a ReadWrite node takes pushes while its parent is away (SPEC 5.6)
  BOOST_REQUIRE(v2.has_value());
  world.loop().run_until(world.loop().now() + 2min);
  BOOST_TEST(!tagged(world.read_node("cloud"), "apps/tool", "v1", v1->digest));
  // The judgement sees it: factory holds what the cloud does not, and two acknowledged pushes are not up yet.
  const ConvergenceReport cut_off = world.check_convergence();
  BOOST_TEST(!cut_off.converged);
  BOOST_REQUIRE(!cut_off.differences.empty());
  BOOST_TEST(cut_off.differences[0].node == "factory");
  BOOST_TEST(cut_off.differences[0].unexpected.size() == 2u);
  BOOST_TEST(cut_off.lost_pushes.size() == 2u);

  world.faults().apply(fault_on(FaultAction::Crash, "factory"));
  BOOST_TEST(world.run_until([&] { return factory.state() == Host::State::Down; }, 1s));
  BOOST_TEST(factory.node() == nullptr);  // the process is gone; its stores (the disk) are not
  BOOST_TEST(factory.incarnation() > first_incarnation);
  // On disk the dead process's stores are closed and the files opened again; in memory they are the disk itself.
  BOOST_TEST((&factory.storage() != first_stores) == (storage == "disk"));
  world.faults().apply(fault_on(FaultAction::Restart, "factory"));
  BOOST_TEST((factory.state() == Host::State::Running));
  // Still cut off: the restarted node serves what it held, from its stores.
  BOOST_TEST(tagged(world.read_node("factory"), "apps/tool", "v2", v2->digest));
  BOOST_TEST(!tagged(world.read_node("cloud"), "apps/tool", "v2", v2->digest));

  world.faults().apply(fault_on(FaultAction::LinkUp, "factory"));
  BOOST_TEST(world.run_until([&] { return tagged(world.read_node("cloud"), "apps/tool", "v2", v2->digest); }, 5min));
  BOOST_TEST(tagged(world.read_node("cloud"), "apps/tool", "v1", v1->digest));
  world.settle();
  const RunResult result = world.result();
  BOOST_TEST(result.convergence.converged, result.to_json().dump());
  BOOST_TEST(result.convergence.pushes_at_cloud == 2u);
  BOOST_TEST(result.storage == storage);
}

}  // namespace

BOOST_AUTO_TEST_CASE(pushes_journalled_at_a_read_write_node_survive_its_crash_and_reach_the_cloud) {
  pushes_survive_a_crash("memory");
}

BOOST_AUTO_TEST_CASE(on_disk_storage_too) { pushes_survive_a_crash("disk"); }

// Each host's data directory is laid out as `outpost serve --data` lays it out, under one directory of the world's
// that goes with the world.
BOOST_AUTO_TEST_CASE(a_world_on_disk_keeps_each_host_in_a_data_directory_and_removes_them_with_it) {
  std::filesystem::path root;
  {
    World world(parse_scenario({{"topology", test::factory_topology()}, {"storage", "disk"}}), 1);
    world.build();
    const auto v1 = world.push_now("factory", "apps/tool", "v1");
    BOOST_REQUIRE(v1.has_value());
    for (const char* name : {"cloud", "factory", "line1"}) {
      const std::filesystem::path directory = world.host(name).data_directory();
      BOOST_TEST(std::filesystem::exists(directory / "metadata.db"), name);
      BOOST_TEST(std::filesystem::is_directory(directory / "blobs"), name);
      root = directory.parent_path();
    }
    BOOST_TEST(world.host("cloud").data_directory() != world.host("factory").data_directory());
  }
  BOOST_TEST(!root.empty());
  BOOST_TEST(!std::filesystem::exists(root));
}

BOOST_AUTO_TEST_CASE(a_world_in_memory_has_no_data_directories) {
  World world(parse_scenario({{"topology", test::factory_topology()}}), 1);
  world.build();
  BOOST_TEST(world.host("factory").data_directory().empty());
}

BOOST_AUTO_TEST_CASE(a_client_token_named_like_a_reader_token_is_refused_before_the_build) {
  // The simulator gives each node a reader token "<node>-sim"; a scenario's token of that name would be taken over.
  nlohmann::json topology = test::factory_topology();
  topology["nodes"][1].erase("clientToken");
  topology["nodes"][1]["clientTokens"] = {{{"name", "factory-sim"}, {"access", "pull"}}};
  World world(parse_scenario({{"topology", topology}}), 1);
  try {
    world.build();
    BOOST_FAIL("built a world whose token line1 names factory's reader token");
  } catch (const ScenarioError& error) {
    BOOST_TEST(test::mentions(error.what(), "token name factory-sim of node line1 is the simulator's reader token of "
                                            "factory"),
               error.what());
  }
}

BOOST_AUTO_TEST_CASE(a_paused_node_answers_nothing_until_it_is_resumed) {
  World world(parse_scenario({{"topology", test::factory_topology()}}), 2);
  world.build();
  world.faults().apply(fault_on(FaultAction::Pause, "factory"));
  WorkloadItem item;
  PushAction push;
  push.node = "factory";
  push.repositories = {"apps/paused"};
  push.tag = "v1";
  push.token = "factory-client";
  item.action = push;
  world.workload().fire(item);
  world.loop().run_until(world.loop().now() + 5min);
  BOOST_TEST(world.workload().stats().pushes_acknowledged == 0u);
  BOOST_TEST(world.workload().running() == 1u);  // its request waits at the paused node

  world.faults().apply(fault_on(FaultAction::Resume, "factory"));
  BOOST_TEST(world.run_until([&] { return world.workload().running() == 0; }, 1min));
  BOOST_TEST(world.workload().stats().pushes_acknowledged == 1u);
  BOOST_TEST(world.run_until(
      [&] { return tagged(world.read_node("line1"), "apps/paused", "v1", world.workload().acknowledged()[0].digest); },
      5min));
}

BOOST_AUTO_TEST_CASE(a_skewed_clock_and_a_partition_heal_into_convergence) {
  World world(parse_scenario(test::busy_scenario("2m")), 4);
  world.build();
  FaultStep skew = fault_on(FaultAction::ClockSkew, "line1");
  skew.skew = -10min;
  world.faults().apply(skew);
  BOOST_TEST((world.host("line1").clock().now() < world.host("cloud").clock().now()));
  world.faults().apply(fault_on(FaultAction::Partition, "factory"));  // factory alone: both of its links are cut
  world.run(2min);
  world.settle();
  const RunResult result = world.result();
  BOOST_TEST(result.ok(), result.to_json().dump());
  BOOST_TEST((world.host("line1").clock().now() == world.host("cloud").clock().now()));  // healed: no skew
}

// The throughput windows fit the run: a run told to last 3 minutes (`sim run --duration 3m`) of a scenario written
// for a day gets windows of seconds, not the day's ten minutes.
BOOST_AUTO_TEST_CASE(a_shorter_run_gets_windows_for_its_own_length) {
  World day(parse_scenario(test::busy_scenario("24h")), 1);
  BOOST_TEST((day.metrics().window() == 10min));
  World short_run(parse_scenario(test::busy_scenario("24h")), 1);
  short_run.run_all(3min);
  BOOST_TEST((short_run.metrics().window() == 10s));
  BOOST_TEST(short_run.result().to_json()["metrics"]["window"] == "10s");
}

// The shortest window that cuts the span into at most 200, a partial last one counted: 5m + 1105s + 10m is 2005 s,
// which 10 s windows cut into 201 (the division rounded down and took 10 s).
BOOST_AUTO_TEST_CASE(the_window_counts_a_partial_last_one) {
  World world(parse_scenario(test::busy_scenario("1105s")), 1);
  BOOST_TEST((world.metrics().window() == 30s));
}

// A window the run's end cuts short is rated over the part of it the run lived through: 5000 bytes in the last 5 s
// of a run ending at 15 s is 1000 B/s, not 500 over a whole 10 s window the run never finished.
BOOST_AUTO_TEST_CASE(a_window_cut_by_the_end_of_the_run_is_rated_over_its_part) {
  World world(parse_scenario(test::busy_scenario("3m")), 1);
  BOOST_REQUIRE((world.metrics().window() == 10s));
  world.loop().run_until(15s);
  RequestEvent exchange;
  exchange.sent = 10s;
  exchange.done = 15s;
  exchange.from = "factory";
  exchange.to = "cloud:5000";
  exchange.status = 200;
  exchange.response_bytes = 5000;
  world.metrics().on_request(exchange);
  const nlohmann::json link = world.metrics().to_json()["throughput"]["links"]["factory"];
  BOOST_TEST(link["max"] == 1000, link.dump());
}

// scenarios/gc-storm.json: every connected registry collects garbage every minute while images are deleted above
// them. Its sweep (CI) shows the collections never took a blob a manifest names; this shows they did take what the
// deleted images left: at the end, no connected registry holds a blob that nothing names and that was linked more than
// two hours before (the grace is one, and every skew has healed by then), while the cloud, which collects nothing, does.
BOOST_AUTO_TEST_CASE(the_gc_storm_collects_what_deleted_images_left_at_every_connected_registry) {
  World world(load_scenario(OUTPOST_SOURCE_DIR "/scenarios/gc-storm.json"), 1);
  const RunResult result = world.run_all(std::nullopt, World::AtEnd::LeaveRunning);
  BOOST_TEST(result.ok(), result.to_json().dump());
  const WallTime before = kWorldStart + world.loop().now() - 2h;
  BOOST_TEST(old_garbage(world.host("cloud").storage(), before) > 0u);
  for (const cli::NodeSpec& node : world.scenario().topology.cluster.nodes)
    BOOST_TEST(old_garbage(world.host(node.name).storage(), before) == 0u, node.name);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::sim::world
