// `outpost sim shrink`'s parts: delta debugging on predicates whose minimal failing sets are known, and a fault plan
// written back as a scenario that parses into the very same plan.
#include <boost/test/unit_test.hpp>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "simulator/cli/delta_debug.h"
#include "simulator/cli/shrink_command.h"

namespace outpost::sim::commands {
namespace {

using Subset = std::vector<size_t>;

// The project's scenarios, where the build says the sources are.
std::filesystem::path scenario_path(const std::string& name) {
  return std::filesystem::path(OUTPOST_SOURCE_DIR) / "scenarios" / name;
}

bool contains_all(const Subset& subset, const std::set<size_t>& needed) {
  size_t found = 0;
  for (const size_t index : subset) found += needed.count(index);
  return found == needed.size();
}

BOOST_AUTO_TEST_SUITE(delta_debugging)

BOOST_AUTO_TEST_CASE(finds_the_two_elements_a_failure_needs_among_forty) {
  const std::set<size_t> needed = {3, 37};
  const auto result = delta_debug(40, [&](const Subset& subset) { return contains_all(subset, needed); }, 500);
  BOOST_TEST(result.kept == (Subset{3, 37}), boost::test_tools::per_element());
  BOOST_TEST(result.minimal);
  BOOST_TEST(result.tests < 60u);  // far fewer than the 2^40 subsets, or the 40*40 of removing one at a time
}

BOOST_AUTO_TEST_CASE(finds_a_single_culprit) {
  const auto result = delta_debug(17, [](const Subset& subset) { return contains_all(subset, {11}); }, 500);
  BOOST_TEST(result.kept == (Subset{11}), boost::test_tools::per_element());
  BOOST_TEST(result.minimal);
}

BOOST_AUTO_TEST_CASE(a_failure_that_needs_nothing_shrinks_to_nothing) {
  size_t calls = 0;
  const auto result = delta_debug(12, [&](const Subset&) { return ++calls, true; }, 500);
  BOOST_TEST(result.kept.empty());
  BOOST_TEST(result.minimal);
  BOOST_TEST(calls == 1u);
}

BOOST_AUTO_TEST_CASE(keeps_every_element_when_all_are_needed) {
  const auto result = delta_debug(5, [](const Subset& subset) { return subset.size() == 5; }, 500);
  BOOST_TEST(result.kept == (Subset{0, 1, 2, 3, 4}), boost::test_tools::per_element());
  BOOST_TEST(result.minimal);
}

BOOST_AUTO_TEST_CASE(stops_at_the_cap_and_says_it_is_not_shown_minimal) {
  const std::set<size_t> needed = {1, 9, 20, 33};
  size_t calls = 0;
  const auto result =
      delta_debug(40, [&](const Subset& subset) { return ++calls, contains_all(subset, needed); }, 4);
  BOOST_TEST(calls == 4u);
  BOOST_TEST(!result.minimal);
  BOOST_TEST(contains_all(result.kept, needed));  // whatever it kept still fails
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(shrunk_scenarios)

BOOST_AUTO_TEST_CASE(a_seeds_fault_plan_written_back_parses_into_the_same_plan) {
  const world::Scenario scenario = world::load_scenario(scenario_path("edge-factory.json"));
  const std::vector<world::FaultStep> plan = fault_plan_of(scenario, 7, std::nullopt);
  BOOST_REQUIRE(plan.size() > 12u);  // its timeline and what the nemesis drew
  std::ifstream in(scenario_path("edge-factory.json"));
  const nlohmann::json original = nlohmann::json::parse(in);

  const std::filesystem::path elsewhere = std::filesystem::temp_directory_path() /  // per process: two builds' tests may run at once
      ("outpost-shrink-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(elsewhere);
  const std::string output = (elsewhere / "shrunk.json").string();
  const nlohmann::json document =
      shrunk_document(original, scenario_path("edge-factory.json").string(), output, plan, 7);
  BOOST_TEST(document["seed"].get<uint64_t>() == 7u);
  BOOST_TEST(!document["faults"].contains("nemesis"));

  // Parsed from where it would be written: the topology file is still found.
  const world::Scenario reread = world::parse_scenario(document, std::filesystem::path(output).parent_path());
  BOOST_TEST(!reread.nemesis.enabled());
  const std::vector<world::FaultStep> replayed = fault_plan_of(reread, 7, std::nullopt);
  BOOST_REQUIRE(replayed.size() == plan.size());
  for (size_t i = 0; i < plan.size(); ++i) {
    BOOST_TEST_CONTEXT("step " << i << ": " << plan[i].to_json().dump()) {
      BOOST_TEST(replayed[i].at.count() == plan[i].at.count());
      BOOST_TEST(world::to_string(replayed[i].action) == world::to_string(plan[i].action));
      BOOST_TEST(replayed[i].targets == plan[i].targets, boost::test_tools::per_element());
      BOOST_TEST(replayed[i].skew.count() == plan[i].skew.count());
    }
  }
  std::filesystem::remove_all(elsewhere);
}

// A smaller plan must fail the way the whole plan did: shrink counted any failure, so "store did not converge" could
// shrink to a plan that lost pushes elsewhere, and the plan it wrote explained another failure.
BOOST_AUTO_TEST_CASE(a_failure_is_told_by_its_broken_invariants_and_unconverged_nodes) {
  const nlohmann::json store_missing = {
      {"ok", false},
      {"invariants", {{"checks", {{{"name", "convergence"}, {"violations", 1}}, {{"name", "time-moves"}, {"violations", 0}}}}}},
      {"convergence", {{"differences", {{{"node", "store"}}}}}}};
  BOOST_TEST(failure_signature(store_missing) ==
                 (std::set<std::string>{"invariant convergence", "not converged at store"}),
             boost::test_tools::per_element());
  const nlohmann::json elsewhere = {
      {"ok", false},
      {"invariants", {{"checks", {{{"name", "convergence"}, {"violations", 2}},
                                  {{"name", "acknowledged-push-reaches-cloud"}, {"violations", 1}}}}}},
      {"convergence", {{"differences", {{{"node", "factory"}}, {{"node", "line1"}}}}}}};
  const auto whole = failure_signature(store_missing), smaller = failure_signature(elsewhere);
  BOOST_TEST(!std::includes(smaller.begin(), smaller.end(), whole.begin(), whole.end()));
  BOOST_TEST(failure_signature({{"ok", true}}).empty());
  BOOST_TEST(failure_signature({{"ok", false}, {"stalled", true}}) == std::set<std::string>{"failed"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace
}  // namespace outpost::sim::commands
