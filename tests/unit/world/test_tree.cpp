// tree(depth, fanout, modes, repositories): shapes, names, modes, and the same through a scenario's "tree".
#include <boost/test/unit_test.hpp>

#include "simulator/world/scenario.h"
#include "simulator/world/topology_queries.h"

namespace outpost::sim::world {

BOOST_AUTO_TEST_SUITE(tree_topologies)

BOOST_AUTO_TEST_CASE(depth_two_fanout_three_has_twelve_nodes_named_after_their_path) {
  const SimTopology topology = tree(2, 3, {"ReadWrite", "ReadOnly"}, {"apps/*"});
  BOOST_TEST(topology.cluster.nodes.size() == 12u);  // 3 + 9
  BOOST_TEST(topology.cluster.children_of(std::nullopt).size() == 3u);
  const auto* leaf = topology.cluster.node("node2n3");
  BOOST_REQUIRE(leaf);
  BOOST_TEST(leaf->parent.value_or("") == "node2");
  BOOST_TEST(leaf->mode == "ReadOnly");
  BOOST_TEST(topology.cluster.node("node2")->mode == "ReadWrite");
  BOOST_TEST(push_tokens(topology, "node2") == std::vector<std::string>{"node2-client"});
  BOOST_TEST(push_tokens(topology, "node2n3").empty());  // a ReadOnly node's clients only pull
  BOOST_TEST(client_tokens(topology, "node2n3") == std::vector<std::string>{"node2n3-client"});
}

BOOST_AUTO_TEST_CASE(the_last_mode_repeats_and_a_deep_tree_is_a_chain_of_levels) {
  const SimTopology topology = tree(6, 1, {"ReadWrite"}, {"base"});
  BOOST_TEST(topology.cluster.nodes.size() == 6u);
  const auto* deepest = topology.cluster.node("node1n1n1n1n1n1");
  BOOST_REQUIRE(deepest);
  BOOST_TEST(deepest->mode == "ReadWrite");
  BOOST_TEST(syncs_repository(topology, "node1n1n1n1n1n1", "base"));
  BOOST_TEST(!syncs_repository(topology, "node1n1n1n1n1n1", "apps/web"));
}

BOOST_AUTO_TEST_CASE(impossible_trees_are_refused_with_the_reason) {
  try {
    tree(2, 2, {"ReadOnly", "ReadWrite"}, {"apps/*"});
    BOOST_FAIL("a ReadWrite level under a ReadOnly one was accepted");
  } catch (const ScenarioError& error) {
    BOOST_TEST(std::string(error.what()).find("SPEC 2.3") != std::string::npos, error.what());
  }
  BOOST_CHECK_THROW(tree(0, 3, {}, {"apps/*"}), ScenarioError);
  BOOST_CHECK_THROW(tree(2, 3, {}, {}), ScenarioError);
  BOOST_CHECK_THROW(tree(2, 3, {"Sideways"}, {"apps/*"}), ScenarioError);
  BOOST_CHECK_THROW(tree(10, 10, {}, {"apps/*"}), ScenarioError);  // far too many nodes
}

BOOST_AUTO_TEST_CASE(a_scenario_can_ask_for_a_tree) {
  const Scenario scenario = parse_scenario(
      {{"topology", {{"tree", {{"depth", 3}, {"fanout", 2}, {"modes", {"ReadWrite", "ReadWrite", "ReadOnly"}}}},
                     {"syncLongPoll", "10s"},
                     {"defaultLink", {{"latency", "1ms"}}}}}});
  BOOST_TEST(scenario.topology.cluster.nodes.size() == 14u);  // 2 + 4 + 8
  BOOST_TEST(scenario.topology.cluster.sync_long_poll == "10s");
  BOOST_TEST(scenario.topology.cluster.node("node1n2n1")->mode == "ReadOnly");
  BOOST_TEST((scenario.topology.link_of("node2n2").latency == std::chrono::milliseconds(1)));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::sim::world
