// The HTML page of `outpost sim report`: what it shows for a full report, what it says when fields are missing or
// odd, that nothing from the report becomes markup, and one section per seed.
#include <boost/test/unit_test.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "simulator/report/html_report.h"
#include "simulator/report/run_sections.h"
#include "tests/unit/report/occurrences.h"

using namespace outpost::sim::report;
using nlohmann::json;

namespace {

using outpost::sim::report::test::occurrences;

// A run as `outpost sim run --report` writes it, with every section the page draws; "NODE" stands for a node name.
json full_run(uint64_t seed, const std::string& node_name = "line1") {
  std::string text = R"json({
    "scenario": "edge-factory", "ok": false, "network": "simulated", "nodes": 4, "passwordHashIterations": 10,
    "violations": ["seed 1, virtual time 25m, line1:5000, decision-matches-oracle: allowed </pre><script>x</script>"],
    "virtualTime": {"warmUp": "327ms", "run": "1h", "settle": "0s", "end": "1h371ms", "endNanoseconds": 3600370649400},
    "wallSeconds": 1.13, "events": 48764, "eventsPerSecond": 43100.5, "traceHash": "ac038316b1995491",
    "runHash": "ac038316b1995491", "syncRounds": 812,
    "requests": {"total": 9478, "transportFailures": 221, "bytesUp": 16008459, "bytesDown": 22996403},
    "convergence": {"converged": true, "convergedAfter": "0s", "pushesAcknowledged": 28, "pushesAtCloud": 28},
    "workload": {"pushes": {"attempted": 28, "acknowledged": 28}, "pulls": {"attempted": 109, "ok": 104}},
    "faults": {"applied": 4},
    "topology": {"nodes": [{"name": "factory", "parent": null, "mode": "ReadWrite"},
                           {"name": "NODE", "parent": "factory", "mode": "ReadOnly"},
                           {"name": "store", "mode": "ReadOnly"}]},
    "invariants": {"held": false,
                   "checks": [{"name": "decision-matches-oracle", "checked": 9272, "violations": 1},
                              {"name": "convergence", "checked": 3, "violations": 0}],
                   "violations": ["decision-matches-oracle at <b>line1</b>: allowed & should not"],
                   "enforcement": {"delaysMs": {"1": {"count": 2, "p50": 34.5, "p90": 100, "p99": 100, "max": 100}},
                                   "lagPerLevel": "1m2s"}},
    "metrics": {
      "window": "30s",
      "throughput": {"unit": "bytes/s",
        "links": {"factory": {"bytes": 9408750, "meanOverRun": 2613, "activeWindows": 3, "p50": 3661, "p90": 9205,
                              "p99": 17673, "max": 17673,
                              "series": [[0, 1000], [30000000000, 2000], [120000000000, 500]]},
                  "NODE": {"bytes": 7442965, "meanOverRun": 2067, "activeWindows": 2, "p50": 1996, "p90": 5413,
                           "p99": 13404, "max": 15626, "series": [[60000000000, 300]]}},
        "levels": {"1": {"bytes": 9408750, "p50": 3661, "p90": 9205, "p99": 17673, "max": 17673},
                   "2": {"bytes": 7442965, "p50": 1996, "p90": 5413, "p99": 13404, "max": 15626}}},
      "propagation": {"unit": "ms",
        "down": {"1": {"count": 18, "p50": 281.4, "p90": 91472.3, "p99": 119171.1, "max": 119171.1, "notArrived": 0},
                 "2": {"count": 0, "p50": 0, "p90": 0, "p99": 0, "max": 0, "notArrived": 3}},
        "up": {"1": {"count": 13, "p50": 617.4, "p90": 5947.1, "p99": 93264.6, "max": 93264.6, "notArrived": 0}}},
      "bytes": {"moved": 19281929, "minimal": 7623984, "ratio": 2.53},
      "faults": {"injected": 4, "list": [
        {"at": "8m327ms", "atNanoseconds": 480326567643, "action": "link-down", "targets": ["factory"],
         "origin": "scenario.faults.timeline[0]"},
        {"at": "10m327ms", "atNanoseconds": 600326567643, "action": "link-up", "targets": ["factory"],
         "origin": "scenario.faults.timeline[0] (end)"},
        {"at": "13m52s", "atNanoseconds": 832181567643, "action": "crash", "targets": ["NODE"], "origin": "nemesis"},
        {"at": "20m", "atNanoseconds": 1200000000000, "action": "clock-skew", "targets": ["store"],
         "origin": "nemesis", "skew": "+5s"}]},
      "rounds": {"factory": [[1000000000, 2000000000], [40000000000, 41000000000]]},
      "failedRounds": {"factory": [[500000000000, 500000000000]]}
    }
  })json";
  const std::string quoted = json(node_name).dump();
  for (size_t at = text.find("\"NODE\""); at != std::string::npos; at = text.find("\"NODE\"", at + quoted.size()))
    text.replace(at, 6, quoted);
  json run = json::parse(text);
  run["seed"] = seed;
  return run;
}

json report_of(std::vector<json> runs) {
  return {{"scenarioFile", "scenarios/edge-factory.json"}, {"runs", runs}, {"seeds", runs.size()}};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(html_report_page)

BOOST_AUTO_TEST_CASE(a_full_run_shows_every_chart) {
  const std::string page = html_report(report_of({full_run(1)}));
  BOOST_TEST(page.starts_with("<!DOCTYPE html>"));
  BOOST_TEST(page.ends_with("</html>\n"));
  // Tree, timeline, throughput over time, per link, per level, propagation down and up.
  BOOST_TEST(occurrences(page, "<svg ") == 7u);
  for (const char* title :
       {"<figcaption>Topology</figcaption>", "<figcaption>Faults and sync rounds per node</figcaption>",
        "<figcaption>Sync throughput per link over time</figcaption>",
        "<figcaption>Propagation latency per depth, down from the cloud</figcaption>",
        "<figcaption>Propagation latency per depth, up to the cloud</figcaption>"})
    BOOST_TEST(page.find(title) != std::string::npos, title);
  BOOST_TEST(page.find("not in this report") == std::string::npos);
  // Self-contained: nothing fetched, nothing run.
  BOOST_TEST(page.find("<script") == std::string::npos);
  BOOST_TEST(page.find("src=") == std::string::npos);
  BOOST_TEST(page.find("http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_timeline_draws_completed_and_failed_sync_rounds_apart) {
  const std::string page = html_report(report_of({full_run(1)}));
  // Each kind is in the legend once and drawn as a strip with its own colour class.
  BOOST_TEST(occurrences(page, "strip k-sync-round\"") == 2u);
  BOOST_TEST(occurrences(page, "strip k-sync-round-failed\"") == 1u);
  BOOST_TEST(page.find("sync round failed of factory") != std::string::npos);
  BOOST_TEST(page.find(".k-sync-round-failed {") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_header_has_the_facts_and_the_replay_command) {
  const std::string page = html_report(report_of({full_run(7)}));
  for (const char* fact : {"ac038316b1995491", "1h371ms (warm-up 327ms, run 1h, settle 0s)", "48,764 (43,101/s)",
                           "<td>Password-hash iterations</td><td>10</td>", "1.13 s",
                           "<code>outpost sim run scenarios/edge-factory.json --seed 7 --duration 1h --network "
                           "simulated</code>"})
    BOOST_TEST(page.find(fact) != std::string::npos, fact);
}

BOOST_AUTO_TEST_CASE(the_replay_command_names_the_storage_the_run_had) {
  json run = full_run(7);
  run["storage"] = "disk";
  const std::string page = html_report(report_of({run}));
  BOOST_TEST(page.find("--network simulated --storage disk</code>") != std::string::npos);
}

// A run that reports its world's building apart shows it beside the wall time, and its rate without it.
BOOST_AUTO_TEST_CASE(the_header_shows_the_build_apart_when_the_run_reports_it) {
  json run = full_run(7);
  run["build"] = {{"wallSeconds", 0.25}, {"events", 8764}};
  run["eventsPerSecondAfterBuild"] = 45454.5;
  const std::string page = html_report(report_of({run}));
  for (const char* fact : {"1.13 s (build 0.25 s)", "48,764 (43,101/s, 45,455/s after the build)"})
    BOOST_TEST(page.find(fact) != std::string::npos, fact);
}

BOOST_AUTO_TEST_CASE(the_invariants_show_held_and_violated_with_their_messages) {
  const std::string page = html_report(report_of({full_run(1)}));
  BOOST_TEST(page.find("an invariant was violated") != std::string::npos);
  BOOST_TEST(page.find("<td>decision-matches-oracle</td><td class=\"num\">9,272</td><td class=\"num\">1</td><td><span "
                       "class=\"badge bad\">violated</span>") != std::string::npos);
  BOOST_TEST(page.find("<td>convergence</td><td class=\"num\">3</td><td class=\"num\">0</td><td><span class=\"badge "
                       "ok\">held</span>") != std::string::npos);
  BOOST_TEST(page.find("<pre>decision-matches-oracle at &lt;b&gt;line1&lt;/b&gt;: allowed &amp; should not</pre>") !=
             std::string::npos);
  BOOST_TEST(page.find("allowed &lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(faults_pair_with_what_ends_them_and_open_ones_run_to_the_end) {
  const std::string page = html_report(report_of({full_run(1)}));
  // link-down then link-up: one closed span; a crash without restart and a skew: open to the end.
  BOOST_TEST(occurrences(page, "class=\"span k-link-down\"") == 1u);
  BOOST_TEST(page.find("link-down factory at 8m327ms (scenario.faults.timeline[0]) until 10m327ms") !=
             std::string::npos);
  BOOST_TEST(occurrences(page, "class=\"span k-crash open\"") == 1u);
  BOOST_TEST(occurrences(page, "class=\"span k-clock-skew open\"") == 1u);
  BOOST_TEST(page.find("clock-skew store +5s at 20m (nemesis) (not ended)") != std::string::npos);
  BOOST_TEST(occurrences(page, "class=\"strip k-sync-round\"") == 2u);
  // Lanes: the cloud and every node of the topology.
  BOOST_TEST(occurrences(page, "class=\"lane\"") == 4u);
}

BOOST_AUTO_TEST_CASE(node_names_never_become_markup) {
  const std::string evil = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";
  const std::string page = html_report(report_of({full_run(1, evil)}));
  BOOST_TEST(page.find("<script") == std::string::npos);
  BOOST_TEST(page.find("<img") == std::string::npos);
  BOOST_TEST(page.find("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#39;&gt;&lt;img") != std::string::npos);
  BOOST_TEST(occurrences(page, "<svg ") == 7u);
}

BOOST_AUTO_TEST_CASE(several_seeds_get_a_section_each_linked_from_the_top) {
  const std::string page = html_report(report_of({full_run(3), full_run(4), full_run(3)}));
  BOOST_TEST(page.find("<a href=\"#seed-3\">3</a>") != std::string::npos);
  BOOST_TEST(page.find("<a href=\"#seed-4\">4</a>") != std::string::npos);
  BOOST_TEST(page.find("<a href=\"#seed-3-2\">3</a>") != std::string::npos);  // the same seed twice
  BOOST_TEST(page.find("<section class=\"run\" id=\"seed-4\">") != std::string::npos);
  BOOST_TEST(page.find("<section id=\"seed-4-timeline\">") != std::string::npos);
  BOOST_TEST(occurrences(page, "<section class=\"run\"") == 3u);
  BOOST_TEST(occurrences(page, "<svg ") == 21u);
  BOOST_TEST(page.find("3 seeds, 0 passed.") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_sections_say_so) {
  const std::string page = html_report(report_of({json{{"seed", 5}, {"ok", true}}}));
  BOOST_TEST(occurrences(page, "<svg ") == 0u);
  for (const char* missing : {"Topology: not in this report.", "Faults and sync rounds over time: not in this report.",
                              "Sync throughput: not in this report.",
                              "Propagation latency per depth: not in this report.", "Invariants: not in this report."})
    BOOST_TEST(page.find(missing) != std::string::npos, missing);
  BOOST_TEST(page.find("<span class=\"badge ok\">passed</span>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_report_without_series_or_rounds_says_what_it_lacks) {
  json run = full_run(1);
  run["metrics"].erase("rounds");
  run["metrics"]["throughput"]["links"]["factory"].erase("series");
  run["metrics"]["throughput"]["links"]["line1"].erase("series");
  const std::string page = html_report(report_of({run}));
  BOOST_TEST(page.find("Throughput per link over time: not in this report.") != std::string::npos);
  BOOST_TEST(
      page.find("Sync rounds per node (the run finished 812 rounds, every node together): not in this report.") !=
      std::string::npos);
  BOOST_TEST(occurrences(page, "<svg ") == 6u);
}

BOOST_AUTO_TEST_CASE(fields_of_the_wrong_type_do_not_break_the_page) {
  json run = {{"seed", "x"},
              {"ok", "yes"},
              {"metrics", "garbage"},
              {"invariants", {1, 2}},
              {"topology", {{"nodes", {1, json::object(), {{"name", 7}}}}}},
              {"virtualTime", 12}};
  run["violations"] = {{{"object", "violation"}}};
  std::string page;
  BOOST_REQUIRE_NO_THROW(page = html_report(report_of({run})));
  BOOST_TEST(page.find("Invariants: not in this report.") != std::string::npos);
  BOOST_TEST(page.find("<span class=\"badge bad\">FAILED</span>") != std::string::npos);
  // A single run, not wrapped in a report, renders too.
  BOOST_REQUIRE_NO_THROW(page = html_report(full_run(2)));
  BOOST_TEST(occurrences(page, "<svg ") == 7u);
}

BOOST_AUTO_TEST_CASE(what_is_not_a_report_is_refused) {
  BOOST_CHECK_THROW(html_report(json::array()), std::invalid_argument);
  BOOST_CHECK_THROW(html_report(json{{"scenario", "x"}}), std::invalid_argument);
  BOOST_CHECK_THROW(html_report(json("runs")), std::invalid_argument);
}

BOOST_AUTO_TEST_SUITE_END()
