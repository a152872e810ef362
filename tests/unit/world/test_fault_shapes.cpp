// The fault vocabulary beyond cuts, crashes and pauses: partition shapes expand to the right node sets (the random ones
// from the nemesis stream, the same for the same seed); each new fault has an effect a small world shows (a shaped
// partition keeps content from the nodes it cuts off until healed, a one-way partition stops one direction only,
// toxics, lost responses and stopped, slowed or jammed links on the simulated network, a full disk that refuses a
// push with 507 and loses nothing); scenarios are checked with errors that name the place, and faults that need links
// are refused on the direct network.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>

#include "simulator/engine/world_random.h"
#include "simulator/net/sim_network.h"
#include "simulator/world/fault_plan.h"
#include "simulator/world/fault_plan_check.h"
#include "simulator/world/fault_requirements.h"
#include "simulator/world/partition_shapes.h"
#include "simulator/world/world.h"
#include "tests/unit/world/scenarios.h"

namespace outpost::sim::world {

namespace {
using namespace std::chrono_literals;
using test::tagged;
using nlohmann::json;
using Names = std::vector<std::string>;

using test::error_of;
using test::fault_on;
using test::mentions;

// A scenario on the factory topology (cloud -> factory -> line1) with these timeline steps.
json with_timeline(const json& steps, const std::string& network = "direct") {
  return {{"topology", test::factory_topology()}, {"network", network}, {"faults", {{"timeline", steps}}}};
}

// cloud; node1, node2; node1n1, node1n2, node2n1, node2n2: seven nodes on three levels.
SimTopology seven() { return tree(2, 2, {"ReadWrite"}, {"apps/*"}); }

FaultStep shaped(PartitionShapeKind kind, Names targets = {}, unsigned level = 0) {
  FaultStep step;
  step.action = FaultAction::Partition;
  step.shape.kind = kind;
  step.shape.level = level;
  step.targets = std::move(targets);
  step.origin = "test";
  return step;
}


PartitionGroups groups_of(const FaultStep& step, const SimTopology& topology, uint64_t seed = 1) {
  SeededRandom random(seed);
  return partition_groups(step, topology, random);
}

Names all_of(const PartitionGroups& groups) {
  std::set<std::string> names;
  for (const auto& group : groups) names.insert(group.begin(), group.end());
  return {names.begin(), names.end()};
}

const Names kSeven = {"cloud", "node1", "node1n1", "node1n2", "node2", "node2n1", "node2n2"};

// A world on the factory topology, built, with one image pushed at the cloud once `fault` is in force.
struct FactoryWorld {
  explicit FactoryWorld(const std::string& network = "direct", uint64_t seed = 1)
      : world(parse_scenario({{"topology", test::factory_topology()}, {"network", network}}), seed) {
    world.build();
  }
  // Pushes apps/web:<tag> at the cloud, then lets `wait` of virtual time pass.
  std::string push_at_cloud(const std::string& tag, Nanoseconds wait = 5min) {
    const auto pushed = world.push_now("cloud", "apps/web", tag);
    BOOST_REQUIRE(pushed.has_value());
    world.loop().run_until(world.loop().now() + wait);
    return pushed->digest;
  }
  bool holds(const std::string& node, const std::string& tag, const std::string& digest) {
    return tagged(world.read_node(node), "apps/web", tag, digest);
  }
  bool reaches(const std::string& node, const std::string& tag, const std::string& digest, Nanoseconds within = 5min) {
    return world.run_until([&] { return holds(node, tag, digest); }, within);
  }
  SimNetwork& net() { return *world.network().sim_network(); }
  World world;
};

// The exchanges a host made with the cloud, and every status the world's requests got.
struct StatusesSeen final : WorldObserver {
  void on_request(const RequestEvent& event) override {
    statuses.insert(event.status);
    if (event.from == "factory" && event.status > 0) {
      shortest = std::min(shortest, event.done - event.sent);
      ++from_factory;
    }
  }
  void reset() {
    statuses.clear();
    shortest = Nanoseconds::max();
    from_factory = 0;
  }
  std::set<int> statuses;
  Nanoseconds shortest = Nanoseconds::max();
  uint64_t from_factory = 0;
};
}  // namespace

BOOST_AUTO_TEST_SUITE(fault_shapes)

// --- Shapes expand to node sets -------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(tree_shapes_cut_a_subtree_a_level_or_one_uplink) {
  const SimTopology topology = seven();
  const PartitionGroups subtree = groups_of(shaped(PartitionShapeKind::Subtree, {"node1"}), topology);
  BOOST_TEST(subtree == (PartitionGroups{{"node1", "node1n1", "node1n2"}, {"cloud", "node2", "node2n1", "node2n2"}}));
  BOOST_TEST(crossing_uplinks(subtree, topology) == Names{"node1"});

  const PartitionGroups level1 = groups_of(shaped(PartitionShapeKind::Level, {}, 1), topology);
  BOOST_TEST(level1.front() == (Names{"node1", "node2"}));
  BOOST_TEST(crossing_uplinks(level1, topology).size() == 6u);  // cut from the cloud above and the leaves below
  const PartitionGroups level2 = groups_of(shaped(PartitionShapeKind::Level, {}, 2), topology);
  BOOST_TEST(level2.front() == (Names{"node1n1", "node1n2", "node2n1", "node2n2"}));
  Names leaves = crossing_uplinks(level2, topology);
  std::sort(leaves.begin(), leaves.end());
  BOOST_TEST(leaves == level2.front());

  // Only node1's uplink: node1 still talks to its children, everyone else to each other.
  const PartitionGroups uplink = groups_of(shaped(PartitionShapeKind::Uplink, {"node1"}), topology);
  BOOST_TEST(crossing_uplinks(uplink, topology) == Names{"node1"});
  BOOST_TEST(uplink[0] == (Names{"node1", "node1n1", "node1n2"}));
  BOOST_TEST(all_of(uplink) == kSeven);

  BOOST_TEST(depth_of(topology, "cloud") == 0u);
  BOOST_TEST(depth_of(topology, "node2n1") == 2u);
  BOOST_TEST(max_depth(topology) == 2u);
}

BOOST_AUTO_TEST_CASE(jepsen_shapes_split_every_node_by_the_seed) {
  const SimTopology topology = seven();
  std::set<Names> first_halves;
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    const PartitionGroups halves = groups_of(shaped(PartitionShapeKind::Halves), topology, seed);
    BOOST_REQUIRE(halves.size() == 2u);
    BOOST_TEST(halves[0].size() == 3u);
    BOOST_TEST(halves[1].size() == 4u);
    BOOST_TEST(all_of(halves) == kSeven);  // disjoint (3 + 4 = 7) and complete
    BOOST_TEST(halves == groups_of(shaped(PartitionShapeKind::Halves), topology, seed));  // the seed replays it
    first_halves.insert(halves[0]);

    const PartitionGroups bridge = groups_of(shaped(PartitionShapeKind::Bridge), topology, seed);
    BOOST_REQUIRE(bridge.size() == 2u);
    Names both;
    std::set_intersection(bridge[0].begin(), bridge[0].end(), bridge[1].begin(), bridge[1].end(),
                          std::back_inserter(both));
    BOOST_REQUIRE(both.size() == 1u);  // one node sees both sides
    BOOST_TEST(bridge[0].size() + bridge[1].size() == 8u);
    BOOST_TEST(all_of(bridge) == kSeven);
    // The bridge's own uplink and its children's never cross: it shares a group with everyone.
    for (const std::string& child : crossing_uplinks(bridge, topology)) {
      BOOST_TEST(child != both[0]);
      BOOST_TEST(topology.cluster.node(child)->parent.value_or("cloud") != both[0]);
    }

    const PartitionGroups minority = groups_of(shaped(PartitionShapeKind::RandomMinority), topology, seed);
    BOOST_TEST(minority[0].size() == 3u);  // fewer than half of seven
    BOOST_TEST(minority[1].size() == 4u);
    BOOST_TEST(all_of(minority) == kSeven);
  }
  BOOST_TEST(first_halves.size() > 5u);  // the draw really depends on the seed
}

BOOST_AUTO_TEST_CASE(a_plan_draws_random_shapes_from_the_nemesis_stream_and_ends_them_with_the_same_groups) {
  json document = {
      {"topology", {{"tree", {{"depth", 2}, {"fanout", 2}, {"repositories", {"apps/*"}}}}}},
      {"faults",
       {{"timeline",
         {{{"at", "1m"}, {"action", "partition"}, {"shape", "halves"}, {"for", "2m"}},
          {{"at", "2m"}, {"action", "partition"}, {"shape", "subtree"}, {"target", "node2"}, {"for", "1m"}}}},
        {"nemesis",
         {{"rates",
           {{"partition-halves", "20/h"}, {"partition-bridge", "20/h"}, {"partition-random-minority", "20/h"},
            {"partition-level", "20/h"}, {"disk-full", "20/h"}}}}}}}};
  const Scenario scenario = parse_scenario(document);
  const auto plan = [&scenario](uint64_t seed) {
    SeededRandom nemesis(sim::derive_seed(seed, "nemesis"));
    return plan_faults(scenario, 1h, nemesis);
  };
  const std::vector<FaultStep> steps = plan(7);
  json listed = json::array(), again = json::array();
  for (const FaultStep& step : steps) listed.push_back(step.to_json());
  for (const FaultStep& step : plan(7)) again.push_back(step.to_json());
  BOOST_TEST(listed == again);  // the same seed, the same plan

  std::map<std::string, size_t> kinds;
  size_t partitions = 0, disks = 0;
  for (size_t i = 0; i < steps.size(); ++i) {
    const FaultStep& step = steps[i];
    if (step.action == FaultAction::Partition) {
      ++partitions;
      BOOST_TEST(!step.groups.empty());  // expanded before the run: the report lists exactly who was cut
      BOOST_TEST(step.targets == step.groups.front());
      ++kinds[std::string(to_string(step.shape.kind))];
      // Its end heals exactly these groups.
      const auto ends = [&step](const FaultStep& s) {
        return s.action == FaultAction::Heal && s.groups == step.groups;
      };
      const auto end = std::find_if(steps.begin() + static_cast<std::ptrdiff_t>(i), steps.end(), ends);
      BOOST_TEST((end != steps.end()));
    }
    if (step.action == FaultAction::DiskFull) ++disks;
  }
  BOOST_TEST(kinds["halves"] >= 1u);
  BOOST_TEST(kinds["subtree"] == 1u);
  BOOST_TEST(kinds["bridge"] >= 1u);
  BOOST_TEST(kinds["random-minority"] >= 1u);
  BOOST_TEST(kinds["level"] >= 1u);
  BOOST_TEST(disks >= 1u);
  const auto subtree = std::find_if(steps.begin(), steps.end(), [](const FaultStep& s) {
    return s.action == FaultAction::Partition && s.shape.kind == PartitionShapeKind::Subtree;
  });
  BOOST_TEST(subtree->groups.front() == (Names{"node2", "node2n1", "node2n2"}));

  // The listed plan reads back as a timeline (as `outpost sim shrink` writes it): the same concrete partitions, not
  // drawn again.
  json timeline = json::array();
  for (json entry : listed) {
    entry.erase("origin");
    timeline.push_back(entry);
  }
  document["faults"] = {{"timeline", timeline}};
  const Scenario replayed = parse_scenario(document);
  BOOST_REQUIRE(replayed.timeline.size() == steps.size());
  SeededRandom other(99);
  const std::vector<FaultStep> replanned = plan_faults(replayed, 1h, other);
  for (size_t i = 0; i < steps.size(); ++i) {
    BOOST_TEST(replanned[i].groups == steps[i].groups);
    BOOST_TEST((replanned[i].action == steps[i].action));
  }
}

// --- Parsing --------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(shapes_toxics_and_link_faults_parse_with_their_ends) {
  const Scenario scenario = parse_scenario(with_timeline(
      {{{"at", "1m"}, {"action", "partition"}, {"shape", "level"}, {"level", 2}, {"direction", "one-way"}},
       {{"at", "5m"},
        {"action", "toxic"},
        {"target", "factory"},
        {"toxic",
         {{"type", "latency"}, {"attributes", {{"latency", 200}, {"jitter", 50}}}, {"stream", "downstream"},
          {"toxicity", 0.5}}},
        {"for", "2m"}},
       {{"at", "6m"}, {"action", "lost-responses"}, {"target", "line1"}, {"attributes", {{"toxicity", 0.25}}},
        {"for", "1m"}},
       {{"at", "8m"}, {"action", "slow"}, {"target", "factory"},
        {"attributes", {{"stream", "upstream"}, {"latency", "300ms"}}}, {"for", "1m"}},
       {{"at", "9m"}, {"action", "disk-full"}, {"target", "factory"}, {"for", "3m"}}},
      "simulated"));
  const std::vector<FaultStep>& t = scenario.timeline;
  BOOST_REQUIRE(t.size() == 9u);
  BOOST_TEST((t[0].shape.kind == PartitionShapeKind::Level));
  BOOST_TEST(t[0].shape.level == 2u);
  BOOST_TEST(t[0].shape.one_way);
  BOOST_TEST((t[1].action == FaultAction::Toxic));
  BOOST_REQUIRE(t[1].link.toxic.has_value());
  BOOST_TEST(t[1].link.toxic->name == "latency_downstream");
  BOOST_TEST((t[1].link.toxic->attributes.latency == 200ms));
  BOOST_TEST(t[1].link.toxic->toxicity == 0.5);
  BOOST_TEST((t[2].action == FaultAction::LostResponses));
  BOOST_TEST(t[2].link.toxicity == 0.25);
  BOOST_TEST((t[3].action == FaultAction::RemoveToxic));  // 7m: the toxic's end
  BOOST_TEST(t[3].link.toxic_name == "latency_downstream");
  BOOST_TEST((t[4].action == FaultAction::LostResponses));  // 7m: back to none lost
  BOOST_TEST(t[4].link.toxicity == 0.0);
  BOOST_TEST((t[5].action == FaultAction::Slow));
  BOOST_TEST(t[5].link.upstream);
  BOOST_TEST(!t[5].link.downstream);
  BOOST_TEST((t[5].link.extra == 300ms));
  BOOST_TEST((t[6].action == FaultAction::Restore));
  BOOST_TEST((t[7].action == FaultAction::DiskFull));
  BOOST_TEST((t[8].action == FaultAction::DiskFreed));
  BOOST_TEST((t[8].at == 12min));
}

BOOST_AUTO_TEST_CASE(mistakes_are_refused_with_their_place) {
  const auto refused = [](const json& step, const std::string& expected) {
    const std::string error = error_of(with_timeline(json::array({step})));
    BOOST_TEST(mentions(error, expected), error);
  };
  refused({{"at", "1m"}, {"action", "partition"}, {"shape", "diagonal"}},
          "scenario.faults.timeline[0].shape: 'diagonal' is not a partition shape: nodes, subtree, level");
  refused({{"at", "1m"}, {"action", "partition"}, {"shape", "subtree"}},
          "timeline[0].target: a subtree partition names one connected registry");
  refused({{"at", "1m"}, {"action", "partition"}, {"shape", "uplink"}, {"target", "cloud"}},
          "timeline[0].target: 'cloud' is not a connected registry");
  refused({{"at", "1m"}, {"action", "partition"}, {"shape", "level"}, {"level", 3}},
          "timeline[0].level: must be a whole number from 1 to 2");
  refused({{"at", "1m"}, {"action", "partition"}, {"shape", "halves"}, {"target", "factory"}},
          "timeline[0].target: a halves partition takes no target");
  refused({{"at", "1m"}, {"action", "partition"}, {"target", "factory"}, {"direction", "sideways"}},
          "timeline[0].direction: must be two-way");
  refused({{"at", "1m"}, {"action", "crash"}, {"target", "factory"}, {"shape", "halves"}},
          "timeline[0].shape: only a partition takes a shape");
  refused({{"at", "1m"}, {"action", "partition"}, {"groups", {{"cloud"}, {"factory"}}}},
          "timeline[0].groups: 'line1' is in no group");
  refused({{"at", "1m"}, {"action", "heal"}, {"shape", "halves"}},
          "timeline[0].shape: a heal names a shaped partition by its groups");
  refused({{"at", "1m"}, {"action", "toxic"}, {"target", "factory"}, {"toxic", {{"type", "teleport"}}}},
          "timeline[0].toxic.type: 'teleport' is not a toxic: latency, bandwidth, timeout, reset_peer, limit_data, "
          "slicer, slow_close, down");
  refused({{"at", "1m"}, {"action", "toxic"}, {"target", "factory"},
           {"toxic", {{"type", "latency"}, {"attributes", {{"rate", 5}}}}}},
          "timeline[0].toxic.attributes: unknown attribute 'rate' for a latency toxic (it takes: latency, jitter)");
  refused({{"at", "1m"}, {"action", "toxic"}, {"target", "factory"}, {"toxic", {{"type", "latency"}, {"toxicity", 2}}}},
          "timeline[0].toxic.toxicity: must be a number from 0.0 to 1.0");
  refused({{"at", "1m"}, {"action", "toxic"}, {"target", "cloud"}, {"toxic", {{"type", "latency"}}}},
          "timeline[0].target: the cloud has no uplink");
  // The proxy's names, so that a plan that runs here runs live too: ".." is a path segment a URL resolves away.
  refused({{"at", "1m"}, {"action", "toxic"}, {"target", "factory"}, {"toxic", {{"type", "latency"}, {"name", ".."}}}},
          "timeline[0].toxic.name: must be 1 to 128 characters of A-Z a-z 0-9 . _ -, other than . and ..");
  refused({{"at", "1m"}, {"action", "toxic"}, {"target", "factory"}},
          "timeline[0].toxic: is required");
  refused({{"at", "1m"}, {"action", "slow"}, {"target", "factory"}}, "timeline[0].attributes: slow needs");
  refused({{"at", "1m"}, {"action", "stop"}, {"target", "factory"}, {"attributes", {{"stream", "sideways"}}}},
          "timeline[0].attributes.stream: must be upstream");
  refused({{"at", "1m"}, {"action", "lost-responses"}, {"target", "factory"}, {"attributes", {{"toxicity", 1.5}}}},
          "timeline[0].attributes.toxicity: must be a number from 0.0 to 1.0");
  refused({{"at", "1m"}, {"action", "disk-freed"}, {"target", "factory"}, {"for", "1m"}},
          "timeline[0].for: disk-freed has no undoing");
  // Bridge and random minority need three nodes.
  const std::string small = error_of({{"topology", {{"nodes", {{{"name", "onlyone"}, {"repositories", {"a"}}}}}}},
                                      {"faults", {{"nemesis", {{"rates", {{"partition-bridge", "1/h"}}}}}}}});
  BOOST_TEST(mentions(small, "nemesis.rates.partition-bridge: a bridge partition needs 3 nodes at least"), small);
}

// A heal or remove-toxic that ends nothing is found before the run (steps_that_end_nothing), naming the step; a heal
// naming a partition's groups in another order ends it.
BOOST_AUTO_TEST_CASE(undoing_steps_that_end_nothing_are_found_before_the_run) {
  const auto idle = [](const json& steps) {
    const Scenario scenario = parse_scenario(with_timeline(steps, "simulated"));
    SeededRandom nemesis(1);
    const auto found = steps_that_end_nothing(plan_faults(scenario, scenario.duration, nemesis), scenario.topology,
                                              scenario.duration);
    return found.empty() ? std::string() : found.front() + (found.size() > 1 ? " (and more)" : "");
  };
  const json split = {{"at", "1m"}, {"action", "partition"}, {"groups", {{"cloud", "factory"}, {"line1"}}}};
  // The same groups in another order: the heal ends it.
  BOOST_TEST(idle({split, {{"at", "2m"}, {"action", "heal"}, {"groups", {{"line1"}, {"factory", "cloud"}}}}}).empty());
  // A side the partition did not have, and a heal after the partition's own `for` ended it.
  std::string found = idle({split, {{"at", "2m"}, {"action", "heal"}, {"target", "factory"}}});
  BOOST_TEST(mentions(found, "timeline[1]: the heal at 2m names no partition in effect then ([[cloud, factory], [line1]] is) "
                      "and does nothing; a heal names a partition by its side (`target`, as the partition had it) or "
                      "by its groups, in any order"),
             found);
  json lasting = split;
  lasting["for"] = "30s";
  found = idle({lasting, {{"at", "2m"}, {"action", "heal"}, {"groups", split["groups"]}}});
  BOOST_TEST(mentions(found, "timeline[1]: the heal at 2m names no partition in effect then (none is)"), found);
  // A heal-all ends everything, so a later heal of the partition ends nothing either.
  found = idle({split, {{"at", "90s"}, {"action", "heal"}}, {{"at", "2m"}, {"action", "heal"}, {"groups", split["groups"]}}});
  BOOST_TEST(mentions(found, "timeline[2]: the heal at 2m"), found);
  // A toxic removed by its name, then one removed from another uplink.
  const json toxic = {{"at", "1m"}, {"action", "toxic"}, {"target", "factory"}, {"toxic", {{"type", "latency"}}}};
  BOOST_TEST(idle({toxic, {{"at", "2m"}, {"action", "remove-toxic"}, {"target", "factory"},
                           {"toxic", {{"name", "latency_downstream"}}}}})
                 .empty());
  found = idle({toxic, {{"at", "2m"}, {"action", "remove-toxic"}, {"target", "line1"},
                        {"toxic", {{"name", "latency_downstream"}}}}});
  BOOST_TEST(mentions(found, "timeline[1]: remove-toxic at 2m names no toxic latency_downstream on the uplink of line1 then, "
                      "and does nothing"),
             found);
  // A step after the run's end is not applied, so it is not judged either.
  BOOST_TEST(idle({split, {{"at", "100h"}, {"action", "heal"}, {"target", "line1"}}}).empty());
}

// --- Effects in small worlds ----------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_subtree_partition_keeps_content_from_the_subtree_until_healed) {
  FactoryWorld w;
  const FaultStep cut = shaped(PartitionShapeKind::Subtree, {"factory"});
  w.world.faults().apply(cut);
  const std::string digest = w.push_at_cloud("v1");
  BOOST_TEST(!w.holds("factory", "v1", digest));
  BOOST_TEST(!w.holds("line1", "v1", digest));
  FaultStep heal = cut;
  heal.action = FaultAction::Heal;
  w.world.faults().apply(heal);
  BOOST_TEST(!w.world.faults().any_active());
  BOOST_TEST(w.reaches("line1", "v1", digest));
}

BOOST_AUTO_TEST_CASE(a_level_partition_cuts_that_level_only) {
  FactoryWorld w;
  w.world.faults().apply(shaped(PartitionShapeKind::Level, {}, 2));  // line1 alone
  const std::string digest = w.push_at_cloud("v1");
  BOOST_TEST(w.holds("factory", "v1", digest));
  BOOST_TEST(!w.holds("line1", "v1", digest));
  FaultStep heal_all;
  heal_all.action = FaultAction::Heal;
  w.world.faults().apply(heal_all);
  BOOST_TEST(w.reaches("line1", "v1", digest));
}

BOOST_AUTO_TEST_CASE(a_one_way_partition_stops_what_its_side_sends_and_nothing_else) {
  FactoryWorld w("simulated");
  FaultStep one_way = shaped(PartitionShapeKind::Subtree, {"factory"});
  one_way.shape.one_way = true;
  w.world.faults().apply(one_way);
  BOOST_TEST((w.net().state("factory", "cloud") == DirectionState::Stopped));  // factory's requests are lost
  BOOST_TEST((w.net().state("cloud", "factory") == DirectionState::Normal));   // the cloud's answers would pass
  BOOST_TEST((w.net().state("line1", "factory") == DirectionState::Normal));   // inside the side: untouched
  const std::string digest = w.push_at_cloud("v1");
  BOOST_TEST(!w.holds("factory", "v1", digest));
  FaultStep heal = one_way;
  heal.action = FaultAction::Heal;
  w.world.faults().apply(heal);
  BOOST_TEST((w.net().state("factory", "cloud") == DirectionState::Normal));
  BOOST_TEST(w.reaches("line1", "v1", digest));

  // A level in the middle: what it sends up (requests) and down (responses) is lost; what reaches it still does.
  FaultStep middle = shaped(PartitionShapeKind::Level, {}, 1);
  middle.shape.one_way = true;
  w.world.faults().apply(middle);
  BOOST_TEST((w.net().state("factory", "cloud") == DirectionState::Stopped));
  BOOST_TEST((w.net().state("factory", "line1") == DirectionState::Stopped));
  BOOST_TEST((w.net().state("cloud", "factory") == DirectionState::Normal));
  BOOST_TEST((w.net().state("line1", "factory") == DirectionState::Normal));
  FaultStep heal_all;
  heal_all.action = FaultAction::Heal;
  w.world.faults().apply(heal_all);
  BOOST_TEST((w.net().state("factory", "line1") == DirectionState::Normal));
  BOOST_TEST(!w.world.faults().any_active());
}

BOOST_AUTO_TEST_CASE(a_timeout_toxic_holds_the_uplink_until_removed) {
  FactoryWorld w("simulated");
  FaultStep toxic = fault_on(FaultAction::Toxic, "factory");
  toxic.link.toxic = sim::make_toxic("timeout", {{"timeout", 0}}, "downstream");
  toxic.link.toxic_name = toxic.link.toxic->name;
  w.world.faults().apply(toxic);
  BOOST_TEST(w.net().toxics("factory", "cloud").size() == 1u);
  const std::string digest = w.push_at_cloud("v1");
  BOOST_TEST(!w.holds("factory", "v1", digest));
  FaultStep removal = fault_on(FaultAction::RemoveToxic, "factory");
  removal.link.toxic_name = "timeout_downstream";
  w.world.faults().apply(removal);
  BOOST_TEST(w.net().toxics("factory", "cloud").empty());
  BOOST_TEST(w.reaches("line1", "v1", digest));
}

BOOST_AUTO_TEST_CASE(a_latency_toxic_and_a_slowed_direction_delay_every_exchange_of_the_uplink) {
  StatusesSeen exchanges;  // outlives the world, which tells it of exchanges until it is shut down
  FactoryWorld w("simulated");
  w.world.add_observer(exchanges);
  w.world.loop().run_until(w.world.loop().now() + 1min);
  BOOST_TEST(exchanges.shortest < 100ms);  // an ideal link: some exchanges are instant
  FaultStep toxic = fault_on(FaultAction::Toxic, "factory");
  toxic.link.toxic = sim::make_toxic("latency", {{"latency", 400}}, "downstream");
  toxic.link.toxic_name = toxic.link.toxic->name;
  w.world.faults().apply(toxic);
  exchanges.reset();
  w.push_at_cloud("v1", 2min);
  BOOST_TEST(exchanges.from_factory > 0u);
  BOOST_TEST(exchanges.shortest >= 400ms);

  FaultStep removal = fault_on(FaultAction::RemoveToxic, "factory");
  removal.link.toxic_name = toxic.link.toxic_name;
  w.world.faults().apply(removal);
  FaultStep slow = fault_on(FaultAction::Slow, "factory");
  slow.link.extra = 300ms;  // both directions: 600 ms per exchange
  w.world.faults().apply(slow);
  w.world.loop().run_until(w.world.loop().now() + 10s);  // exchanges begun before it ends
  exchanges.reset();
  w.push_at_cloud("v2", 2min);
  BOOST_TEST(exchanges.from_factory > 0u);
  BOOST_TEST(exchanges.shortest >= 600ms);
  w.world.faults().apply(fault_on(FaultAction::Restore, "factory"));
  BOOST_TEST(!w.world.faults().any_active());
}

BOOST_AUTO_TEST_CASE(lost_responses_and_a_jam_keep_content_away_until_they_end) {
  FactoryWorld w("simulated");
  FaultStep lost = fault_on(FaultAction::LostResponses, "factory");
  lost.link.toxicity = 1.0;
  w.world.faults().apply(lost);
  const std::string digest = w.push_at_cloud("v1", 3min);
  BOOST_TEST(!w.holds("factory", "v1", digest));
  BOOST_TEST(w.net().counters("factory", "cloud").lost_responses > 0u);  // the cloud answered; nobody heard
  lost.link.toxicity = 0;
  w.world.faults().apply(lost);
  BOOST_TEST(w.reaches("factory", "v1", digest));

  w.world.faults().apply(fault_on(FaultAction::Jam, "factory"));
  BOOST_TEST((w.net().state("factory", "cloud") == DirectionState::Jammed));
  const std::string second = w.push_at_cloud("v2", 3min);
  BOOST_TEST(!w.holds("factory", "v2", second));
  w.world.faults().apply(fault_on(FaultAction::Restore, "factory"));
  BOOST_TEST(w.reaches("line1", "v2", second));
}

BOOST_AUTO_TEST_CASE(a_full_disk_refuses_a_push_with_507_loses_nothing_and_the_node_converges_after) {
  StatusesSeen exchanges;  // outlives the world, which tells it of exchanges until it is shut down
  FactoryWorld w;
  w.world.add_observer(exchanges);
  const auto before = w.world.push_now("factory", "apps/tool", "v0");
  BOOST_REQUIRE(before.has_value());

  w.world.faults().apply(fault_on(FaultAction::DiskFull, "factory"));
  BOOST_TEST(w.world.host("factory").disk_full());
  BOOST_TEST(!w.world.push_now("factory", "apps/tool", "v1").has_value());
  BOOST_TEST(exchanges.statuses.contains(507));
  // Content from above cannot land either: the agent's writes fail, and it retries.
  const std::string digest = w.push_at_cloud("v1", 3min);
  BOOST_TEST(!w.holds("factory", "v1", digest));
  BOOST_TEST(tagged(w.world.read_node("factory"), "apps/tool", "v0", before->digest));  // nothing stored is lost
  // A crash does not free a disk.
  w.world.faults().apply(fault_on(FaultAction::Crash, "factory"));
  w.world.faults().apply(fault_on(FaultAction::Restart, "factory"));
  BOOST_TEST(w.world.host("factory").disk_full());

  w.world.faults().apply(fault_on(FaultAction::DiskFreed, "factory"));
  BOOST_TEST(w.reaches("line1", "v1", digest));
  BOOST_TEST(w.world.push_now("factory", "apps/tool", "v2").has_value());
  BOOST_TEST(tagged(w.world.read_node("cloud"), "apps/tool", "v0", before->digest));
}

// --- The direct network has no links ----------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(faults_on_link_bytes_are_refused_on_the_direct_network) {
  const json toxic = {{"at", "1m"}, {"action", "toxic"}, {"target", "factory"},
                      {"toxic", {{"type", "latency"}, {"attributes", {{"latency", 200}}}}}};
  World direct(parse_scenario(with_timeline(json::array({toxic}))), 1);
  try {
    direct.build();
    BOOST_FAIL("a toxic on the direct network was not refused");
  } catch (const ScenarioError& error) {
    const std::string message = error.what();
    BOOST_TEST(mentions(message, "scenario.faults.timeline[0]: toxic latency_downstream"), message);
    BOOST_TEST(mentions(message, "needs the simulated network"), message);
  }
  const json one_way = {{"at", "1m"}, {"action", "partition"}, {"target", "factory"}, {"direction", "one-way"}};
  BOOST_CHECK_THROW(check_faults_fit_network(parse_scenario(with_timeline(json::array({one_way}))), false),
                    ScenarioError);
  for (const char* action : {"lost-responses", "stop", "jam"}) {
    const json step = {{"at", "1m"}, {"action", action}, {"target", "factory"}};
    BOOST_CHECK_THROW(check_faults_fit_network(parse_scenario(with_timeline(json::array({step}))), false),
                      ScenarioError);
  }
  // The same scenario is welcome on the simulated network, and a `down` toxic (a cut) on either.
  const Scenario simulated = parse_scenario(with_timeline(json::array({toxic}), "simulated"));
  BOOST_CHECK_NO_THROW(check_faults_fit_network(simulated, true));
  const json down = {{"at", "1m"}, {"action", "toxic"}, {"target", "factory"}, {"toxic", {{"type", "down"}}}};
  BOOST_CHECK_NO_THROW(check_faults_fit_network(parse_scenario(with_timeline(json::array({down}))), false));
  const json removal = {{"at", "2m"}, {"action", "remove-toxic"}, {"target", "factory"}, {"toxic", {{"name", "down"}}}};
  BOOST_CHECK_NO_THROW(check_faults_fit_network(parse_scenario(with_timeline(json::array({down, removal}))), false));
  // Applied anyway (a tool driving the injector by hand), it is refused too, and nothing is left half-done.
  FactoryWorld w;
  FaultStep jam = fault_on(FaultAction::Jam, "factory");
  BOOST_CHECK_THROW(w.world.faults().apply(jam), ScenarioError);
  BOOST_TEST(!w.world.faults().any_active());
}

BOOST_AUTO_TEST_CASE(a_down_toxic_cuts_the_uplink_on_the_direct_network) {
  FactoryWorld w;
  FaultStep down = fault_on(FaultAction::Toxic, "factory");
  down.link.down = true;
  down.link.toxic_name = "down";
  w.world.faults().apply(down);
  const std::string digest = w.push_at_cloud("v1");
  BOOST_TEST(!w.holds("factory", "v1", digest));
  FaultStep removal = fault_on(FaultAction::RemoveToxic, "factory");
  removal.link.toxic_name = "down";
  w.world.faults().apply(removal);
  BOOST_TEST(w.reaches("line1", "v1", digest));
}

// --- Whole runs -------------------------------------------------------------------------------------------------

BOOST_AUTO_TEST_CASE(a_run_with_every_new_fault_converges_and_replays) {
  json document = test::busy_scenario("20m");
  document["network"] = "simulated";
  document["faults"] = {
      {"timeline",
       {{{"at", "1m"}, {"action", "toxic"}, {"target", "factory"},
         {"toxic", {{"type", "reset_peer"}, {"attributes", {{"timeout", 10}}}, {"toxicity", 0.3}}}, {"for", "3m"}},
        {{"at", "2m"}, {"action", "lost-responses"}, {"target", "line1"}, {"attributes", {{"toxicity", 0.3}}},
         {"for", "3m"}},
        {{"at", "5m"}, {"action", "partition"}, {"shape", "halves"}, {"direction", "one-way"}, {"for", "2m"}},
        {{"at", "8m"}, {"action", "jam"}, {"target", "line1"}, {"for", "1m"}},
        {{"at", "10m"}, {"action", "disk-full"}, {"target", "factory"}, {"for", "3m"}}}},
      {"nemesis",
       {{"rates", {{"partition-bridge", "6/h"}, {"partition-random-minority", "6/h"}, {"disk-full", "6/h"}}},
        {"duration", {{"min", "10s"}, {"max", "2m"}}}}}};
  const Scenario scenario = parse_scenario(document);
  World first(scenario, 5), second(scenario, 5);
  const RunResult result = first.run_all();
  BOOST_TEST(result.ok(), result.to_json().dump());
  BOOST_TEST(result.convergence.converged);
  BOOST_TEST(result.faults_applied >= 10u);
  BOOST_TEST(second.run_all().trace_hash == result.trace_hash);
  // The report lists the halves as the groups they were drawn into.
  const json plan = result.to_json()["faults"]["plan"];
  const auto halves = std::find_if(plan.begin(), plan.end(), [](const json& step) {
    return step.value("shape", "") == "halves" && step["action"] == "partition";
  });
  BOOST_REQUIRE((halves != plan.end()));
  BOOST_TEST((*halves)["groups"].size() == 2u);
  BOOST_TEST((*halves)["direction"] == "one-way");
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace outpost::sim::world
