#include "simulator/cli/shrink_command.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>

#include <unistd.h>

#include "reference/common/counted.h"
#include "reference/common/iso_duration.h"
#include "reference/common/log.h"
#include "simulator/cli/delta_debug.h"
#include "simulator/cli/isolated_run.h"
#include "simulator/cli/sim_command.h"
#include "simulator/cli/sim_report.h"
#include "simulator/engine/world_random.h"
#include "simulator/world/fault_plan.h"
#include "simulator/world/fault_requirements.h"

namespace outpost::sim::commands {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string default_output(const std::string& scenario_file, uint64_t seed) {
  const fs::path path(scenario_file);
  return (path.parent_path() / (path.stem().string() + "-shrunk-" + std::to_string(seed) + ".json")).string();
}

// A timeline entry that parses back into `step` (FaultStep::to_json without where it came from).
json timeline_entry(const world::FaultStep& step) {
  json entry = step.to_json();
  entry.erase("origin");
  return entry;
}

// A topology file named relative to the scenario, renamed relative to where the shrunk scenario goes.
void move_topology_reference(json& document, const fs::path& from_dir, const fs::path& to_dir) {
  if (!document.contains("topology")) return;
  json& topology = document["topology"];
  json* file = topology.is_string() ? &topology : topology.is_object() && topology.contains("file") ? &topology["file"]
                                                                                                    : nullptr;
  if (!file || !file->is_string()) return;
  const fs::path target = fs::weakly_canonical(from_dir / file->get<std::string>());
  const fs::path base = fs::weakly_canonical(to_dir.empty() ? fs::path(".") : to_dir);
  *file = target.lexically_relative(base).generic_string();
}

bool failed(const IsolatedRun& run) { return !run.result.value("ok", false); }

std::string describe(const std::set<std::string>& signature) {
  std::string text;
  for (const std::string& part : signature) text += (text.empty() ? "" : ", ") + part;
  return text;
}

std::string first_violation(const IsolatedRun& run) {
  const json& violations = run.result.contains("violations") ? run.result["violations"] : json::array();
  return violations.empty() ? std::string("(no violation named)") : violations.front().dump();
}

}  // namespace

// A smaller plan that fails another way (the whole plan's "store did not converge" turned into lost pushes elsewhere)
// would otherwise pass for the same failure, and the shrunk plan explain something else.
std::set<std::string> failure_signature(const json& result) {
  std::set<std::string> signature;
  if (result.contains("invariants") && result["invariants"].contains("checks"))
    for (const json& check : result["invariants"]["checks"])
      if (check.value("violations", 0) > 0) signature.insert("invariant " + check.value("name", std::string()));
  if (result.contains("convergence") && result["convergence"].contains("differences"))
    for (const json& difference : result["convergence"]["differences"])
      signature.insert("not converged at " + difference.value("node", std::string()));
  if (signature.empty() && !result.value("ok", false)) signature.insert("failed");  // e.g. stalled
  return signature;
}

std::vector<world::FaultStep> fault_plan_of(const world::Scenario& scenario, uint64_t seed,
                                            std::optional<Nanoseconds> duration) {
  // As World::run draws it: the same stream, the same duration.
  SeededRandom nemesis(sim::derive_seed(seed, "nemesis"));
  return world::plan_faults(scenario, duration.value_or(scenario.duration), nemesis);
}

world::Scenario with_plan(world::Scenario scenario, std::vector<world::FaultStep> steps) {
  scenario.timeline = std::move(steps);
  scenario.nemesis = world::NemesisSpec{};
  return scenario;
}

json shrunk_document(const json& original, const std::string& original_file, const std::string& output_file,
                     const std::vector<world::FaultStep>& steps, uint64_t seed, bool minimal) {
  json document = original;
  json timeline = json::array();
  for (const world::FaultStep& step : steps) timeline.push_back(timeline_entry(step));
  document["faults"] = {{"timeline", timeline}};
  document["seed"] = seed;
  if (document.contains("description") && document["description"].is_string())
    document["description"] = document["description"].get<std::string>() + " (fault plan of seed " +
                              std::to_string(seed) +
                              (minimal ? " shrunk to what its failure needs)"
                                       : " shrunk until --max-runs stopped the search: some steps may be unneeded)");
  move_topology_reference(document, fs::path(original_file).parent_path(), fs::path(output_file).parent_path());
  return document;
}

int shrink_simulation(const SimShrinkOptions& options, std::ostream& out, std::ostream& err) {
  world::Scenario scenario;
  json original;
  std::optional<Nanoseconds> duration;
  uint64_t seed = 0;
  std::string output;
  try {
    if (!options.duration.empty()) {
      duration = parse_run_duration(options.duration);
    }
    if (options.max_runs < 1) throw std::invalid_argument("--max-runs must be at least 1");
    log::set_level(log::parse_level(options.log_level));
    scenario = world::load_scenario(options.scenario);
    std::ifstream in(options.scenario);
    original = json::parse(in);
    apply_world_flags(scenario, options.network, options.storage);
    // The written scenario runs as the failing run did, without the flags.
    if (!options.network.empty()) original["network"] = scenario.network;
    if (!options.storage.empty()) original["storage"] = scenario.storage;
    if (duration) original["duration"] = options.duration;
    // A scenario its network cannot run is a wrong scenario (exit 2), as `sim run` says: not a failure to shrink.
    world::in_file(options.scenario, [&] {
      world::check_faults_fit_network(scenario, scenario.network == "simulated");
      world::check_occurrences(scenario, duration.value_or(scenario.duration));
    });
    seed = options.seed.value_or(scenario.seed);
    output = options.output.empty() ? default_output(options.scenario, seed) : options.output;
    // Where the result goes is checked before the search, which can take many runs: not found out at its end.
    const std::filesystem::path directory = std::filesystem::path(output).parent_path();
    if (!directory.empty() && !std::filesystem::is_directory(directory))
      throw std::invalid_argument("cannot write " + output + ": " + directory.string() + " is not a directory");
    if (::access(directory.empty() ? "." : directory.c_str(), W_OK) != 0)
      throw std::invalid_argument("cannot write " + output + ": " + (directory.empty() ? std::string(".") : directory.string()) +
                                  " is not writable");
    // The failing scenario is what a report and a replay name: overwriting it with its shrunk plan lost it.
    std::error_code not_there;
    if (std::filesystem::equivalent(output, options.scenario, not_there))
      throw std::invalid_argument("cannot write " + output + ": it is the scenario being shrunk; name another --output");
  } catch (const std::exception& error) {
    err << "outpost: " << error.what() << std::endl;
    return kExitUsage;
  }

  const std::vector<world::FaultStep> plan = fault_plan_of(scenario, seed, duration);
  out << "seed " << seed << ": " << counted(plan.size(), "fault step", "fault steps") << "; replaying them all" << std::endl;
  const IsolatedRun whole = run_isolated(with_plan(scenario, plan), seed, duration);
  if (!failed(whole)) {
    out << "seed " << seed << " does not fail with its whole fault plan: nothing to shrink" << std::endl;
    return kExitViolation;
  }
  out << "  fails: " << first_violation(whole) << std::endl;
  const std::set<std::string> signature = failure_signature(whole.result);
  if (!options.any_failure) out << "  kept while shrinking: " << describe(signature) << std::endl;

  size_t runs = 1;
  auto fails = [&](const std::vector<size_t>& subset) {
    std::vector<world::FaultStep> steps;
    for (const size_t index : subset) steps.push_back(plan[index]);
    const IsolatedRun run = run_isolated(with_plan(scenario, steps), seed, duration);
    ++runs;
    // The same failure: at least what the whole plan broke (more may break as well).
    bool same = failed(run);
    if (same && !options.any_failure) {
      const std::set<std::string> got = failure_signature(run.result);
      same = std::includes(got.begin(), got.end(), signature.begin(), signature.end());
      if (!same) {
        out << "run " << runs << ": " << counted(steps.size(), "step", "steps") << ": fails another way (" << describe(got)
            << "): counted as passing" << std::endl;
        return false;
      }
    }
    out << "run " << runs << ": " << counted(steps.size(), "step", "steps") << ": " << (same ? "fails" : "passes") << std::endl;
    return same;
  };
  const DeltaDebugResult shrunk = delta_debug(plan.size(), fails, options.max_runs - 1);

  std::vector<world::FaultStep> kept;
  for (const size_t index : shrunk.kept) kept.push_back(plan[index]);
  {
    std::ofstream file(output);
    file << shrunk_document(original, options.scenario, output, kept, seed, shrunk.minimal).dump(2) << "\n";
    if (!file) {
      err << "outpost: cannot write " << output << std::endl;
      return kExitUsage;
    }
  }
  out << "\n" << counted(plan.size(), "fault step", "fault steps") << " -> " << kept.size() << " in " << runs << " runs"
      << (shrunk.minimal ? " (1-minimal: without any one of them the seed no longer fails this way)"
                         : " (stopped by --max-runs before showing that every step left is needed)")
      << std::endl;
  for (const world::FaultStep& step : kept) out << "  " << timeline_entry(step).dump() << "  (" << step.origin << ")"
                                                 << std::endl;
  out << "written to " << output << "\nreplay: " << replay_command(output, seed, "", "", options.program) << std::endl;
  return 0;
}

}  // namespace outpost::sim::commands
