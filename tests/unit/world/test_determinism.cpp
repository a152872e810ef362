// A seed replays exactly: the same run hash twice, another one for another seed when the workload is random. Each
// run goes to a child process, as `outpost sim run` does (see simulator/cli/isolated_run.h for why).
#include <boost/test/unit_test.hpp>

#include <regex>
#include <sstream>

#include "simulator/cli/isolated_run.h"
#include "simulator/cli/sim_command.h"
#include "simulator/world/scenario.h"
#include "simulator/world/world.h"
#include "tests/unit/world/scenarios.h"

namespace outpost::sim::world {

namespace {
nlohmann::json nemesis_scenario() {
  nlohmann::json scenario = test::busy_scenario("10m");
  scenario["faults"] = {{"nemesis",
                         {{"rates", {{"link-down", "12/h"}, {"partition", "6/h"}, {"crash", "12/h"}, {"pause", "6/h"},
                                     {"clock-skew", "6/h"}}},
                          {"duration", {{"min", "5s"}, {"max", "1m"}}},
                          {"targets", {"cloud", "factory", "line1"}}}}};
  return scenario;
}
}  // namespace

BOOST_AUTO_TEST_SUITE(determinism)

BOOST_AUTO_TEST_CASE(the_same_seed_gives_the_same_run_and_another_seed_another) {
  const Scenario scenario = parse_scenario(test::busy_scenario("3m"));
  const auto first = commands::run_isolated(scenario, 11, std::nullopt);
  const auto again = commands::run_isolated(scenario, 11, std::nullopt);
  const auto other = commands::run_isolated(scenario, 12, std::nullopt);
  BOOST_TEST(first.result.value("ok", false), first.result.dump());
  BOOST_TEST(first.hash.size() == 16u);
  BOOST_TEST(first.hash == again.hash);
  BOOST_TEST(first.hash != other.hash);
}

BOOST_AUTO_TEST_CASE(crashes_pauses_partitions_and_skews_replay_too) {
  const Scenario scenario = parse_scenario(nemesis_scenario());
  const auto first = commands::run_isolated(scenario, 21, std::nullopt);
  const auto again = commands::run_isolated(scenario, 21, std::nullopt);
  BOOST_TEST(first.result.value("ok", false), first.result.dump());
  BOOST_TEST(first.result["faults"]["applied"].get<uint64_t>() > 2u);  // the nemesis did strike
  BOOST_TEST(first.hash == again.hash);
  BOOST_TEST(first.result["faults"]["plan"] == again.result["faults"]["plan"]);
}

// The disk store and the memory store are two implementations of one seam: a run cannot tell which it is on, crashes
// (the files closed and opened again) and restarts included. Were a node's behaviour to depend on its storage, the
// memory runs every sweep makes would stop standing for a real node's.
BOOST_AUTO_TEST_CASE(a_seed_on_disk_storage_runs_as_it_does_in_memory) {
  nlohmann::json document = nemesis_scenario();
  const auto in_memory = commands::run_isolated(parse_scenario(document), 21, std::nullopt);
  document["storage"] = "disk";
  const auto on_disk = commands::run_isolated(parse_scenario(document), 21, std::nullopt);
  BOOST_TEST(on_disk.result.value("ok", false), on_disk.result.dump());
  BOOST_TEST(on_disk.result.value("storage", "") == "disk");
  BOOST_TEST(in_memory.result.value("storage", "") == "memory");
  BOOST_TEST(on_disk.result["faults"]["applied"].get<uint64_t>() > 2u);
  BOOST_TEST(on_disk.hash == in_memory.hash);
}

BOOST_AUTO_TEST_CASE(two_worlds_of_one_seed_in_one_process_agree) {
  // Nothing a world leaves in the process (a process-wide counter, say) may reach the next one.
  const Scenario scenario = parse_scenario(test::busy_scenario("3m"));
  std::string hashes[2];
  for (std::string& hash : hashes) {
    World world(scenario, 11);
    hash = world.run_all().trace_hash;
  }
  BOOST_TEST(hashes[0] == hashes[1]);
  BOOST_TEST(hashes[0] == commands::run_isolated(scenario, 11, std::nullopt).hash);  // and the same as in a child
}

BOOST_AUTO_TEST_CASE(seed_ranges) {
  BOOST_TEST(commands::parse_seed_range("3..5") == (std::vector<uint64_t>{3, 4, 5}));
  BOOST_TEST(commands::parse_seed_range("7..7") == (std::vector<uint64_t>{7}));
  BOOST_CHECK_THROW(commands::parse_seed_range("5..3"), std::invalid_argument);
  BOOST_CHECK_THROW(commands::parse_seed_range("5"), std::invalid_argument);
  BOOST_CHECK_THROW(commands::parse_seed_range("a..b"), std::invalid_argument);
  BOOST_TEST(commands::trace_file_for("out/run.json", 4, false) == "out/run.json");
  BOOST_TEST(commands::trace_file_for("out/run.json", 4, true) == "out/run-4.json");
}

// `sim run --jobs`: seeds run side by side print exactly what they print one at a time, in the same order, but for
// the wall times and rates.
BOOST_AUTO_TEST_CASE(a_sweep_prints_the_same_whatever_its_jobs) {
  const auto sweep = [](size_t jobs) {
    commands::SimRunOptions options;
    options.scenario = OUTPOST_SOURCE_DIR "/scenarios/edge-factory.json";
    options.seeds = "1..4";
    options.duration = "5m";
    options.check_determinism = true;
    options.jobs = jobs;
    std::ostringstream out;
    std::ostringstream err;
    BOOST_TEST(commands::run_simulation(options, out, err) == 0, out.str() + err.str());
    const std::regex machine(R"(wall( time)? [0-9.]+s( \(build [0-9.]+s\))?|[0-9.]+[kMG]?( events)?/s)");
    return std::regex_replace(out.str(), machine, "#");
  };
  const std::string one_at_a_time = sweep(1);
  BOOST_TEST(one_at_a_time.find("summary: 4/4 seeds passed") != std::string::npos, one_at_a_time);
  BOOST_TEST(sweep(3) == one_at_a_time);
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::sim::world
