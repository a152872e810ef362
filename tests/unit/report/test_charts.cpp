// The report's charts: what each draws for a given input (element counts), layout of trees, and escaping.
#include <boost/test/unit_test.hpp>
#include <cmath>
#include <map>
#include <string>

#include "simulator/report/charts.h"
#include "simulator/report/tree_layout.h"
#include "tests/unit/report/occurrences.h"

using namespace outpost::sim::report;

using outpost::sim::report::test::occurrences;

BOOST_AUTO_TEST_SUITE(charts)

BOOST_AUTO_TEST_CASE(a_line_chart_draws_one_line_per_series_with_steps_held) {
  LineChart chart{"Throughput", {"time", {}}, {"bytes/s", {}}, {}};
  chart.series.push_back({"factory", {{0, 10}, {1, 20}, {2, 5}}, true});
  chart.series.push_back({"store", {{0, 1}, {2, 3}}, false});
  chart.series.push_back({"line1", {{1, 4}}, false});  // one point: a dot
  const std::string out = line_chart(chart);
  BOOST_TEST(out.starts_with("<figure class=\"chart\"><figcaption>Throughput</figcaption>"));
  BOOST_TEST(occurrences(out, "<svg ") == 1u);
  BOOST_TEST(occurrences(out, "class=\"series ") == 2u);
  BOOST_TEST(occurrences(out, "class=\"dot ") == 1u);
  BOOST_TEST(occurrences(out, "class=\"swatch ") == 3u);  // the legend
  // A step series of three points goes through five: each value is held until the next point.
  const size_t step = out.find("class=\"series s0\"");
  const size_t points = out.rfind("points=\"", step);
  const std::string list = out.substr(points, step - points);
  BOOST_TEST(occurrences(list, ",") == 5u);
}

BOOST_AUTO_TEST_CASE(a_line_chart_scales_its_y_axis_from_zero_to_a_round_top) {
  LineChart chart{"t", {"", {}}, {"", [](double v) { return std::to_string(static_cast<int>(v)) + "u"; }}, {}};
  chart.series.push_back({"a", {{0, 3}, {10, 97}}, false});
  const std::string out = line_chart(chart);
  BOOST_TEST(out.find(">0u</text>") != std::string::npos);
  BOOST_TEST(out.find(">100u</text>") != std::string::npos);  // 97 widened to the round 100
  BOOST_TEST(out.find(">120u</text>") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_empty_line_chart_says_so) {
  const std::string out = line_chart(LineChart{"nothing", {}, {}, {}});
  BOOST_TEST(out.find(">no data</text>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_bar_chart_draws_a_bar_per_value_and_skips_missing_ones) {
  BarChart chart{"Latency", {"ms", {}}, {"depth 1", "depth 2", "depth 3"}, {"p50", "p90", "p99", "max"}, {}};
  chart.values = {{1, 2, 3, 4}, {2, 3, 4, 5}, {3, NAN, 5, 6}};
  const std::string out = bar_chart(chart);
  BOOST_TEST(occurrences(out, "class=\"bar ") == 11u);
  BOOST_TEST(occurrences(out, "class=\"bar s1\"") == 2u);  // p90 is missing at depth 3
  BOOST_TEST(out.find("<title>depth 2, p99: 4</title>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_timeline_draws_spans_marks_and_open_spans_per_lane) {
  Timeline chart{"Faults", {"min", {}}, 60, {}};
  chart.lanes.push_back({"factory", {{8, 10, "link-down", "link-down factory"}, {13, 13, "restart", "restart"}}});
  chart.lanes.push_back(
      {"store", {{50, 60, "crash", "crash store", true}, {0, 1, "sync round", "round", false, true}}});
  const std::string out = timeline_chart(chart);
  BOOST_TEST(occurrences(out, "class=\"span ") == 2u);
  BOOST_TEST(occurrences(out, "class=\"mark ") == 1u);
  BOOST_TEST(occurrences(out, "class=\"strip ") == 1u);
  BOOST_TEST(occurrences(out, "class=\"span k-crash open\"") == 1u);
  BOOST_TEST(occurrences(out, "class=\"lane\"") == 2u);
  // The legend names each kind once.
  BOOST_TEST(occurrences(out, "class=\"swatch ") == 4u);
}

BOOST_AUTO_TEST_CASE(a_tree_chart_draws_a_box_per_node_and_an_edge_per_child) {
  TreeChart chart{"Topology",
                  {{"cloud", "", "cloud", "cloud"},
                   {"factory", "cloud", "ReadWrite", "ReadWrite"},
                   {"line1", "factory", "ReadOnly", "ReadOnly"},
                   {"store", "cloud", "ReadOnly", "ReadOnly"}}};
  const std::string out = tree_chart(chart);
  BOOST_TEST(occurrences(out, "<rect ") == 4u);
  BOOST_TEST(occurrences(out, "class=\"edge\"") == 3u);
  BOOST_TEST(occurrences(out, "class=\"node k-readonly\"") == 2u);
  BOOST_TEST(out.find("<title>factory \xE2\x86\x92 line1</title>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(names_from_scenario_files_cannot_inject_markup) {
  const std::string evil = "<script>alert(1)</script><img src=x onerror=alert(2)>";
  TreeChart tree{evil, {{"cloud", "", "", ""}, {evil, "cloud", "\"><svg onload=alert(3)>", evil}}};
  Timeline timeline{evil, {evil, {}}, 10, {{evil, {{1, 2, evil, evil}}}}};
  BarChart bars{evil, {evil, {}}, {evil}, {evil}, {{1}}};
  for (const std::string& out : {tree_chart(tree), timeline_chart(timeline), bar_chart(bars)}) {
    BOOST_TEST(out.find("<script") == std::string::npos);
    BOOST_TEST(out.find("<img") == std::string::npos);
    BOOST_TEST(out.find("<svg onload") == std::string::npos);
    BOOST_TEST(out.find("&lt;script&gt;") != std::string::npos);
    BOOST_TEST(occurrences(out, "<svg ") == 1u);
  }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tree_layout)

BOOST_AUTO_TEST_CASE(leaves_take_slots_in_order_and_parents_sit_over_their_children) {
  const std::vector<TreePlacement> placed = lay_out_tree({{"r", ""}, {"a", "r"}, {"b", "r"}, {"a1", "a"}, {"a2", "a"}});
  BOOST_TEST_REQUIRE(placed.size() == 5u);
  std::map<std::string, TreePlacement> by_name;
  for (const TreePlacement& place : placed) by_name[place.name] = place;
  BOOST_TEST(by_name["a1"].slot == 0);
  BOOST_TEST(by_name["a2"].slot == 1);
  BOOST_TEST(by_name["b"].slot == 2);
  BOOST_TEST(by_name["a"].slot == 0.5);
  BOOST_TEST(by_name["r"].slot == 1.25);
  BOOST_TEST(by_name["a2"].depth == 2);
  BOOST_TEST(by_name["a2"].parent == "a");
  BOOST_TEST(placed.front().name == "r");  // parents before children
}

BOOST_AUTO_TEST_CASE(unknown_parents_cycles_and_duplicates_are_placed_once) {
  const std::vector<TreePlacement> placed =
      lay_out_tree({{"x", "y"}, {"y", "x"}, {"orphan", "nobody"}, {"self", "self"}, {"orphan", "x"}});
  BOOST_TEST_REQUIRE(placed.size() == 4u);
  std::map<std::string, TreePlacement> by_name;
  for (const TreePlacement& place : placed) by_name[place.name] = place;
  BOOST_TEST(by_name["orphan"].parent == "");
  BOOST_TEST(by_name["self"].parent == "");
  // The cycle is cut at the first node listed: x is a root, y its child.
  BOOST_TEST(by_name["x"].parent == "");
  BOOST_TEST(by_name["y"].parent == "x");
}

BOOST_AUTO_TEST_CASE(a_very_deep_chain_is_laid_out_without_recursion) {
  std::vector<TreeEdge> edges{{"n0", ""}};
  for (int i = 1; i < 100000; ++i) edges.push_back({"n" + std::to_string(i), "n" + std::to_string(i - 1)});
  const std::vector<TreePlacement> placed = lay_out_tree(edges);
  BOOST_TEST_REQUIRE(placed.size() == 100000u);
  BOOST_TEST(placed.back().depth == 99999);
  BOOST_TEST(placed.front().slot == 0);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(logarithmic_bars)

BOOST_AUTO_TEST_CASE(a_logarithmic_axis_has_a_tick_per_decade_and_bars_in_proportion_to_exponents) {
  BarChart chart{"Latency",
                 {"ms", [](double v) { return std::to_string(static_cast<long>(v)); }},
                 {"a", "b", "c"},
                 {"p50"},
                 {{10}, {100}, {1000}}};
  chart.logarithmic = true;
  chart.height = 240;  // plot from y 46 to 200: 154 units for three decades
  const std::string out = bar_chart(chart);
  for (const char* tick : {">1</text>", ">10</text>", ">100</text>", ">1000</text>"})
    BOOST_TEST(out.find(tick) != std::string::npos, tick);
  BOOST_TEST(out.find(">10000</text>") == std::string::npos);
  // The axis starts a decade below the smallest value, so its bar shows: 10 a third of the way up, 1000 at the top.
  BOOST_TEST(out.find("height=\"51.33\" class=\"bar s0\"><title>a, p50: 10</title>") != std::string::npos);
  BOOST_TEST(out.find("height=\"102.67\" class=\"bar s0\"><title>b, p50: 100</title>") != std::string::npos);
  BOOST_TEST(out.find("height=\"154\" class=\"bar s0\"><title>c, p50: 1000</title>") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(values_that_are_not_positive_draw_no_bar_on_a_logarithmic_axis) {
  BarChart chart{"Latency", {"ms", {}}, {"a"}, {"p50", "p90"}, {{0, 5}}};
  chart.logarithmic = true;
  BOOST_TEST(occurrences(bar_chart(chart), "class=\"bar ") == 1u);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(long_names)

BOOST_AUTO_TEST_CASE(long_node_names_keep_their_distinct_ends) {
  TreeChart chart{"t",
                  {{"cloud", "", "", ""},
                   {"region1plant1hall1line1", "cloud", "", ""},
                   {"region1plant1hall1line2", "cloud", "", ""}}};
  const std::string out = tree_chart(chart);
  BOOST_TEST(out.find(">region1\xE2\x80\xA6"
                      "l1line1</text>") != std::string::npos);
  BOOST_TEST(out.find(">region1\xE2\x80\xA6"
                      "l1line2</text>") != std::string::npos);
  // The whole name stays in the tooltip.
  BOOST_TEST(out.find("<title>region1plant1hall1line2</title>") != std::string::npos);
  // Characters, not bytes: a name of 20 two-byte characters is cut between characters.
  std::string wide;
  for (int i = 0; i < 20; ++i) wide += "\xC3\xA9";
  const std::string cut = tree_chart(TreeChart{"t", {{wide, "", "", ""}}});
  BOOST_TEST(cut.find(">\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9\xE2\x80\xA6") != std::string::npos);
  BOOST_TEST(cut.find("\xEF\xBF\xBD") == std::string::npos);  // no broken sequence replaced
}

BOOST_AUTO_TEST_SUITE_END()
