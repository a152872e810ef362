// Cluster topologies (reference/cli/cluster_topology.h): defaults, inheritance down the tree, ordering, and the
// refusals that name the offending field.
#include <boost/test/unit_test.hpp>

#include "reference/cli/builtin_topologies.h"
#include "reference/cli/cluster_topology.h"

using nlohmann::json;
using outpost::cli::parse_topology;
using outpost::cli::Topology;
using outpost::cli::TopologyError;

namespace {

// The message of the TopologyError `document` raises ("" when it parses).
std::string refusal(const json& document) {
  try {
    parse_topology(document);
  } catch (const TopologyError& error) {
    return error.what();
  }
  return "";
}

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace

BOOST_AUTO_TEST_SUITE(cluster_topology)

BOOST_AUTO_TEST_CASE(a_short_file_gets_every_default) {
  const Topology topology = parse_topology(json::parse(R"({"nodes": [{"name": "edge1", "repositories": ["a"]}]})"));
  BOOST_TEST(topology.name == "cluster");
  BOOST_TEST(topology.password_hash_iterations == 1000u);
  BOOST_TEST(topology.proxies);
  BOOST_TEST(topology.sync_status_interval == "2s");
  BOOST_TEST(topology.threads == 1u);
  BOOST_REQUIRE_EQUAL(topology.nodes.size(), 1u);
  const auto& node = topology.nodes[0];
  BOOST_TEST(!node.parent.has_value());
  BOOST_TEST(node.mode == "ReadWrite");
  BOOST_REQUIRE_EQUAL(node.client_tokens.size(), 1u);  // a node nobody may pull from would be useless
  BOOST_TEST(node.client_tokens[0].name == "edge1-client");
  BOOST_TEST(node.client_tokens[0].scope_map == "edge1-client-map");
  BOOST_TEST(node.client_tokens[0].create_scope_map);
  BOOST_TEST(node.client_tokens[0].actions ==
                 (std::vector<std::string>{"repositories/a/content/read", "repositories/a/metadata/read"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(children_inherit_repositories_and_a_read_only_mode_and_come_after_their_parents) {
  const Topology topology = parse_topology(json::parse(R"({"name": "t", "nodes": [
      {"name": "leaf1", "parent": "mirror1"},
      {"name": "Mirror1", "mode": "readonly", "repositories": ["Apps/*", "base"], "clientToken": "none"}]})"));
  BOOST_REQUIRE_EQUAL(topology.nodes.size(), 2u);
  BOOST_TEST(topology.nodes[0].name == "mirror1");  // lowercased (SPEC 2.1) and placed first
  BOOST_TEST(topology.nodes[0].mode == "ReadOnly");
  BOOST_TEST(topology.nodes[0].repositories == (std::vector<std::string>{"apps/*", "base"}),
             boost::test_tools::per_element());
  BOOST_TEST(topology.nodes[0].client_tokens.empty());
  BOOST_TEST(topology.nodes[1].name == "leaf1");
  BOOST_TEST(*topology.nodes[1].parent == "mirror1");
  BOOST_TEST(topology.nodes[1].mode == "ReadOnly");
  BOOST_TEST(topology.nodes[1].repositories == topology.nodes[0].repositories, boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(topology.children_of(std::string("mirror1")).size(), 1u);
  BOOST_TEST(topology.children_of(std::nullopt).front()->name == "mirror1");
}

// The cloud's --status-offline-after: (depth + 2) status intervals of the deepest node, never under 5 minutes.
BOOST_AUTO_TEST_CASE(the_clouds_status_limit_covers_the_deepest_nodes_relays) {
  using namespace std::chrono_literals;
  const auto limit = [](const char* document) {
    return outpost::cli::cloud_status_offline_after(parse_topology(json::parse(document)));
  };
  // Two levels at the default 2 s: 8 s, so the 5-minute floor.
  BOOST_TEST((limit(R"({"nodes": [{"name": "middle1", "repositories": ["a"]}, {"name": "leaf1", "parent": "middle1"}]})") ==
              std::chrono::minutes(5)));
  // Three levels reporting every 10 minutes: (3 + 2) x 10 minutes, whatever order the file lists them in.
  BOOST_TEST((limit(R"({"syncStatusInterval": "10m", "nodes": [{"name": "leaf1", "parent": "site1"},
      {"name": "site1", "parent": "region1"}, {"name": "region1", "repositories": ["a"]}]})") ==
              std::chrono::minutes(50)));
  // One level: (1 + 2) x 2 minutes is 6 minutes.
  BOOST_TEST((limit(R"({"syncStatusInterval": "2m", "nodes": [{"name": "edge1", "repositories": ["a"]}]})") ==
              std::chrono::minutes(6)));
}

BOOST_AUTO_TEST_CASE(client_tokens_by_access_actions_or_existing_scope_map) {
  const Topology topology = parse_topology(json::parse(R"({"nodes": [{"name": "edge1", "repositories": ["a", "b/*"],
      "clientTokens": [{"access": "push"},
                       {"name": "edge-reader", "scopeMap": "_repositories_pull"},
                       {"name": "edge-custom", "actions": ["repositories/a/content/read"]}]}]})"));
  const auto& tokens = topology.nodes[0].client_tokens;
  BOOST_REQUIRE_EQUAL(tokens.size(), 3u);
  BOOST_TEST(tokens[0].name == "edge1-client");
  BOOST_TEST(tokens[0].actions.size() == 8u);  // 4 actions on each of 2 repositories
  BOOST_TEST(tokens[0].actions[1] == "repositories/a/content/write");
  BOOST_TEST(tokens[0].actions[5] == "repositories/b/*/content/write");
  BOOST_TEST(!tokens[1].create_scope_map);
  BOOST_TEST(tokens[1].scope_map == "_repositories_pull");
  BOOST_TEST(tokens[1].actions.empty());
  BOOST_TEST(tokens[2].scope_map == "edge-custom-map");
  BOOST_TEST(tokens[2].actions == (std::vector<std::string>{"repositories/a/content/read"}),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(the_filled_in_form_parses_back_to_the_same_topology) {
  const Topology first = parse_topology(json::parse(R"({"name": "round", "proxies": false, "proxySeed": 9,
      "nodes": [{"name": "edge1", "repositories": ["a"], "clientToken": "push", "sync": {"messageTtl": "P3D"}},
                {"name": "edge2", "parent": "edge1", "mode": "ReadOnly",
                 "clientTokens": [{"name": "shared-reader", "scopeMap": "_repositories_pull"}]}]})"));
  const nlohmann::ordered_json filled = outpost::cli::topology_json(first);
  const Topology second = parse_topology(filled);
  BOOST_TEST(outpost::cli::topology_json(second).dump() == filled.dump());
  BOOST_TEST(filled["nodes"][0]["sync"]["messageTtl"] == "P3D");
  BOOST_TEST(!second.proxies);
  BOOST_TEST(second.proxy_seed == 9u);
}

BOOST_AUTO_TEST_CASE(mistakes_are_refused_naming_the_field) {
  BOOST_TEST(contains(refusal(json::parse(R"({"nodes": [], "node": []})")), "unknown key 'node'"));
  BOOST_TEST(contains(refusal(json::parse(R"({"nodes": [{"name": "edge1", "repositories": ["a"], "mdoe": "x"}]})")),
                      "nodes[0]: unknown key 'mdoe'"));
  BOOST_TEST(contains(refusal(json::parse(R"({"nodes": [{"name": "edge1"}]})")), "nodes[0] (edge1).repositories"));
  BOOST_TEST(contains(refusal(json::parse(R"({"nodes": [{"name": "edge", "repositories": ["a"]}]})")),
                      "5 to 40 letters and digits"));
  BOOST_TEST(contains(refusal(json::parse(R"({"nodes": [{"name": "cloud", "repositories": ["a"]}]})")),
                      "root of every cluster"));
  BOOST_TEST(contains(refusal(json::parse(R"({"nodes": [{"name": "edge1", "repositories": ["a"]},
                                                        {"name": "EDGE1", "repositories": ["a"]}]})")),
                      "names two nodes"));
  BOOST_TEST(
      contains(refusal(json::parse(R"({"nodes": [{"name": "edge1", "parent": "nowhere", "repositories": ["a"]}]})")),
               "'nowhere' is not a node"));
  BOOST_TEST(contains(refusal(json::parse(R"({"nodes": [{"name": "edge1", "parent": "edge2", "repositories": ["a"]},
                                                        {"name": "edge2", "parent": "edge1", "repositories": ["a"]}]})")),
                      "a tree under the cloud): edge1, edge2"));
  BOOST_TEST(contains(refusal(json::parse(R"({"nodes": [{"name": "top01", "mode": "ReadOnly", "repositories": ["a"]},
                                                        {"name": "low01", "parent": "top01", "mode": "ReadWrite"}]})")),
                      "nodes[1] (low01).mode: a ReadOnly parent may only have ReadOnly children"));
  BOOST_TEST(contains(refusal(json::parse(R"({"nodes": [{"name": "edge1", "mode": "ReadOnly", "repositories": ["a"],
                                                        "clientToken": "push"}]})")),
                      "may only read"));
  BOOST_TEST(contains(refusal(json::parse(R"({"nodes": [{"name": "edge1", "repositories": ["a"], "clientToken": "pull",
                                                        "clientTokens": []}]})")),
                      "not both"));
  BOOST_TEST(contains(refusal(json::parse(R"({"nodes": [{"name": "edge1", "repositories": ["a"]},
                                                        {"name": "edge2", "repositories": ["a"],
                                                         "clientTokens": [{"name": "edge1-client"}]}]})")),
                      "declared twice"));
  BOOST_TEST(contains(refusal(json::parse(R"({"name": "../up", "nodes": []})")), "is not a cluster name"));
  BOOST_TEST(contains(refusal(json::parse(R"({"passwordHashIterations": 0})")), "passwordHashIterations"));
}

BOOST_AUTO_TEST_CASE(the_built_in_demo_topology_is_the_three_level_edge_factory) {
  const auto text = outpost::cli::builtin_topology("edge-factory");
  BOOST_REQUIRE(text.has_value());
  const Topology topology = parse_topology(json::parse(*text));
  BOOST_TEST(topology.name == "edge-factory");
  BOOST_TEST(topology.proxies);
  BOOST_REQUIRE_EQUAL(topology.nodes.size(), 3u);
  const auto* factory = topology.node("factory");
  const auto* line1 = topology.node("line1");
  const auto* store = topology.node("store");
  BOOST_REQUIRE(factory && line1 && store);
  BOOST_TEST(!factory->parent.has_value());
  BOOST_TEST(factory->mode == "ReadWrite");
  BOOST_TEST(factory->repositories == (std::vector<std::string>{"apps/*", "base"}), boost::test_tools::per_element());
  BOOST_TEST(*line1->parent == "factory");
  BOOST_TEST(line1->mode == "ReadOnly");
  BOOST_TEST(line1->repositories == (std::vector<std::string>{"apps/*"}), boost::test_tools::per_element());
  BOOST_TEST(!store->parent.has_value());
  BOOST_TEST(store->repositories == (std::vector<std::string>{"base"}), boost::test_tools::per_element());
  for (const auto& node : topology.nodes) BOOST_TEST(node.client_tokens.size() == 1u);
  BOOST_TEST(!outpost::cli::builtin_topology("nonexistent").has_value());
}

BOOST_AUTO_TEST_CASE(nodes_are_found_by_name_after_the_list_changes) {
  Topology topology = parse_topology(json::parse(*outpost::cli::builtin_topology("edge-factory")));
  BOOST_REQUIRE(topology.node("line1"));
  BOOST_TEST(topology.node("line1")->name == "line1");
  BOOST_TEST(topology.node("nowhere") == nullptr);
  BOOST_TEST(topology.node("cloud") == nullptr);

  // A node added (the list may move), one renamed in place, one renamed to a name looked up before.
  outpost::cli::NodeSpec added;
  added.name = "line2";
  added.parent = "factory";
  topology.nodes.push_back(added);
  BOOST_REQUIRE(topology.node("line2"));
  BOOST_TEST(topology.node("line2") == &topology.nodes.back());
  topology.node("store");  // indexed under its old name
  for (auto& node : topology.nodes)
    if (node.name == "store") node.name = "shop";
  BOOST_TEST(topology.node("store") == nullptr);
  BOOST_REQUIRE(topology.node("shop"));
  BOOST_TEST(topology.node("shop")->name == "shop");
  for (auto& node : topology.nodes)
    if (node.name == "line2") node.name = "nowhere";
  BOOST_REQUIRE(topology.node("nowhere"));
  BOOST_TEST(topology.node("nowhere")->parent.value_or("") == "factory");

  // A copy answers with its own nodes, an assigned one too.
  const Topology copy = topology;
  BOOST_TEST(copy.node("factory") == &copy.nodes.front());
  Topology assigned;
  assigned.node("factory");
  assigned = topology;
  BOOST_REQUIRE(assigned.node("line1"));
  BOOST_TEST(assigned.node("line1") != topology.node("line1"));
  BOOST_TEST(assigned.node("line1")->name == "line1");
}

BOOST_AUTO_TEST_SUITE_END()
