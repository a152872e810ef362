// `outpost sim run --seeds A..B`'s summary and report, kept run by run: the totals a SweepTally adds up and the file a
// ReportWriter streams are those of every run, and the file is the JSON a whole-sweep document would be.
#include <boost/test/unit_test.hpp>

#include <sstream>

#include <nlohmann/json.hpp>

#include "simulator/cli/report_command.h"
#include "simulator/cli/sim_report.h"

namespace outpost::sim::commands {
namespace {

using nlohmann::json;

// A run as the child process brings it back: the fields the summary and the report read.
SeedRun run_of(uint64_t seed, bool ok, uint64_t events, bool checked = false) {
  SeedRun run;
  run.result = {{"seed", seed},
                {"ok", ok},
                {"violations", ok ? json::array() : json::array({"convergence: line1 differs"})},
                {"scenario", "edge-factory"},
                {"nodes", 4},
                {"network", "simulated"},
                {"passwordHashIterations", 10},
                {"events", events},
                {"requests", {{"total", events / 2}}},
                {"convergence", {{"converged", ok}, {"pushesAcknowledged", 3}, {"pushesAtCloud", ok ? 3 : 2}}},
                {"invariants", {{"held", ok}, {"checks", {{{"checked", 100}, {"violations", ok ? 0 : 1}}}}}},
                {"virtualTime", {{"endNanoseconds", 3'600'000'000'000}}},
                {"wallSeconds", 0.5},
                {"metrics", {{"series", json::array({1, 2, 3})}}}};
  run.hash = "hash-" + std::to_string(seed);
  if (checked) {
    run.checked = true;
    run.second_hash = run.hash;
  }
  return run;
}

BOOST_AUTO_TEST_CASE(the_tally_adds_up_every_run) {
  SweepTally tally;
  tally.add(run_of(1, true, 1000));
  tally.add(run_of(2, false, 3000));
  tally.add(run_of(3, true, 2000));
  const std::string text = tally.text();
  BOOST_TEST(text.find("summary: 2/3 seeds passed (edge-factory, 4 nodes, simulated network, memory storage, password hash "
                       "iterations 10)") == 0,
             text);
  BOOST_TEST(text.find("converged 2/3, pushes acknowledged 9, at the cloud 8") != std::string::npos, text);
  BOOST_TEST(text.find("invariants held in 2/3 seeds (300 checks)") != std::string::npos, text);
  BOOST_TEST(text.find("requests 3000, events 6000, virtual time 3h") != std::string::npos, text);
  BOOST_TEST(text.find("wall time 1.50s, 4000 events/s") != std::string::npos, text);
}

// A large fleet's building is a good part of a short run: each run's line and the summary also give the rate without
// it, the run's own events over its own wall time, summed over the runs as events and seconds.
BOOST_AUTO_TEST_CASE(the_rate_after_the_build_leaves_the_building_out) {
  SeedRun built = run_of(1, true, 1000);
  built.result["wallSeconds"] = 0.5;
  built.result["build"] = {{"wallSeconds", 0.25}, {"events", 200}};
  built.result["eventsPerSecond"] = 2000.0;
  built.result["eventsPerSecondAfterBuild"] = 3200.0;  // 800 events in the 0.25 s after the build
  const std::string line = progress_line(built);
  BOOST_TEST(line.find("| wall 0.50s (build 0.25s) |") != std::string::npos, line);
  BOOST_TEST(line.find("events 1000 (2000/s, 3200/s after the build)") != std::string::npos, line);

  SeedRun other = run_of(2, true, 3000);
  other.result["wallSeconds"] = 1.0;
  other.result["build"] = {{"wallSeconds", 0.5}, {"events", 1400}};
  other.result["eventsPerSecondAfterBuild"] = 3200.0;  // 1600 events in 0.5 s
  SweepTally tally;
  tally.add(built);
  tally.add(other);
  const std::string text = tally.text();
  // 4000 events in 1.5 s; after the builds 2400 events in 0.75 s.
  BOOST_TEST(text.find("wall time 1.50s, 2667 events/s (3200/s after the build)") != std::string::npos, text);

  // A run that reports no build (a stub from a run that failed early) says nothing about one.
  const std::string bare = progress_line(run_of(3, true, 1000));
  BOOST_TEST(bare.find("build") == std::string::npos, bare);
}

BOOST_AUTO_TEST_CASE(the_streamed_report_is_the_whole_sweeps_json) {
  std::ostringstream file;
  ReportWriter report(file, "scenarios/edge-factory.json");
  const std::vector<SeedRun> runs = {run_of(1, true, 1000, true), run_of(2, false, 3000), run_of(3, true, 2000)};
  for (const SeedRun& run : runs) report.add(run);
  report.finish();

  const json document = json::parse(file.str());  // throws unless the pieces make one JSON text
  BOOST_TEST(document.at("scenarioFile") == "scenarios/edge-factory.json");
  BOOST_TEST(document.at("seeds") == 3);
  BOOST_TEST(document.at("passed") == 2);
  BOOST_REQUIRE_EQUAL(document.at("runs").size(), 3u);
  for (size_t i = 0; i < runs.size(); ++i) BOOST_TEST(document["runs"][i] == report_entry(runs[i]));
  const json& first = document["runs"][0];
  BOOST_TEST(first.at("runHash") == "hash-1");
  BOOST_TEST(first.at("secondRunHash") == "hash-1");
  BOOST_TEST(first.at("deterministic") == true);
  BOOST_TEST(first.at("metrics").at("series") == json::array({1, 2, 3}));
  BOOST_TEST(!document["runs"][1].contains("secondRunHash"));  // not checked
  BOOST_TEST(document["runs"][1].at("ok") == false);
  BOOST_TEST(document["runs"][1].at("violations") == json::array({"convergence: line1 differs"}));
  // Each run laid out as dump(2) lays it out, moved in by the two levels it sits at.
  BOOST_TEST(file.str() == [&] {
    std::string expected = "{\n  \"runs\": [";
    for (size_t i = 0; i < runs.size(); ++i) {
      std::string entry = report_entry(runs[i]).dump(2);
      std::string moved;
      for (const char c : entry) moved += c == '\n' ? std::string("\n    ") : std::string(1, c);
      expected += (i == 0 ? "\n    " : ",\n    ") + moved;
    }
    return expected +
           "\n  ],\n  \"passed\": 2,\n  \"scenarioFile\": \"scenarios/edge-factory.json\",\n  \"seeds\": 3,\n"
           "  \"topology\": null\n}\n";
  }());
}

// The report carries the topology once, and `sim report` draws every run with it, wherever it is rendered; a report
// without one falls back to its scenario file, and says where it looked when that is not found.
BOOST_AUTO_TEST_CASE(the_report_carries_the_topology_sim_report_draws) {
  const json nodes = json::array({{{"name", "factory"}, {"parent", nullptr}, {"mode", "ReadWrite"}},
                                  {{"name", "line1"}, {"parent", "factory"}, {"mode", "ReadOnly"}}});
  std::ostringstream file;
  ReportWriter report(file, "no-such-dir/gone.json", nodes);
  report.add(run_of(1, true, 1000));
  report.add(run_of(2, true, 1000));
  report.finish();
  json document = json::parse(file.str());
  BOOST_TEST(document.at("topology") == nodes);
  add_scenario_topology(document, "reports/run.json");
  for (const json& run : document.at("runs")) {
    BOOST_TEST(run.at("topology").at("nodes") == nodes);
    BOOST_TEST(run.at("topology").at("source").get<std::string>().find("as the run had it") != std::string::npos);
  }

  json older = {{"runs", json::array({run_of(3, true, 1000).result})}, {"scenarioFile", "no-such-dir/gone.json"}};
  add_scenario_topology(older, "reports/run.json");
  const json& topology = older["runs"][0].at("topology");
  BOOST_TEST(!topology.contains("nodes"));
  const std::string source = topology.at("source");
  BOOST_TEST(source.find("not found (looked for no-such-dir/gone.json and reports/no-such-dir/gone.json)") !=
             std::string::npos, source);
}

}  // namespace
}  // namespace outpost::sim::commands
