#include "simulator/cli/sim_command.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "reference/cli/decimal_number.h"
#include "reference/common/iso_duration.h"
#include "reference/common/log.h"
#include "simulator/cli/isolated_run.h"
#include "simulator/cli/sim_report.h"
#include "simulator/world/fault_plan_check.h"
#include "simulator/world/fault_requirements.h"

namespace outpost::sim::commands {

namespace {
constexpr uint64_t kMaxSeeds = 1'000'000;

std::optional<uint64_t> whole_number(const std::string& text) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  uint64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    const uint64_t next = value * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != value) return std::nullopt;
    value = next;
  }
  return value;
}

// One child process of a sweep: a seed's run, or its second run for --check-determinism.
struct Job {
  uint64_t seed = 0;
  bool second = false;
};
}  // namespace

std::vector<uint64_t> parse_seed_range(const std::string& text) {
  const size_t dots = text.find("..");
  const auto first = dots == std::string::npos ? std::nullopt : whole_number(text.substr(0, dots));
  const auto last = dots == std::string::npos ? std::nullopt : whole_number(text.substr(dots + 2));
  if (!first || !last) throw std::invalid_argument("--seeds '" + text + "' is not A..B (e.g. 1..100)");
  if (*last < *first) throw std::invalid_argument("--seeds '" + text + "': the last seed comes before the first");
  if (*last - *first >= kMaxSeeds) throw std::invalid_argument("--seeds '" + text + "': at most a million seeds");
  std::vector<uint64_t> seeds;
  for (uint64_t seed = *first;; ++seed) {
    seeds.push_back(seed);
    if (seed == *last) break;
  }
  return seeds;
}

std::string trace_file_for(const std::string& file, uint64_t seed, bool several) {
  if (!several) return file;
  const std::filesystem::path path(file);
  return (path.parent_path() / (path.stem().string() + "-" + std::to_string(seed) + path.extension().string())).string();
}

Nanoseconds parse_run_duration(const std::string& text) {
  const std::string_view magnitude = std::string_view(text).substr(text.starts_with('-') ? 1 : 0);
  const auto duration = parse_human_duration(magnitude);
  if (!duration) throw std::invalid_argument("--duration '" + text + "' is not a duration (10m, 1h, PT1H, ...)");
  if (text.starts_with('-') || *duration <= Nanoseconds(0))
    throw std::invalid_argument("--duration '" + text + "' must be longer than zero");
  return *duration;
}

void apply_world_flags(world::Scenario& scenario, const std::string& network, const std::string& storage) {
  if (!network.empty()) {
    if (network != "direct" && network != "simulated")
      throw std::invalid_argument("--network '" + network + "' is not a network: direct or simulated");
    scenario.network = network;
  }
  if (!storage.empty()) {
    if (storage != "memory" && storage != "disk")
      throw std::invalid_argument("--storage '" + storage + "' is not a storage: memory or disk");
    scenario.storage = storage;
  }
}

int run_simulation(const SimRunOptions& options, std::ostream& out, std::ostream& err) {
  world::Scenario scenario;
  std::vector<uint64_t> seeds;
  std::optional<Nanoseconds> duration;
  try {
    if (options.seed && !options.seeds.empty()) throw std::invalid_argument("give --seed or --seeds, not both");
    if (!options.duration.empty()) {
      duration = parse_run_duration(options.duration);
    }
    log::set_level(log::parse_level(options.log_level));
    scenario = world::load_scenario(options.scenario);
    apply_world_flags(scenario, options.network, options.storage);
    // Named with the file, as the scenario's other errors are.
    world::in_file(options.scenario, [&] {
      world::check_faults_fit_network(scenario, scenario.network == "simulated");  // as World::build would, once
      world::check_occurrences(scenario, duration.value_or(scenario.duration));
    });
    if (options.seed) {
      seeds = {*options.seed};
    } else if (!options.seeds.empty()) {
      seeds = parse_seed_range(options.seeds);
    } else {
      seeds = {scenario.seed};
    }
  } catch (const std::exception& error) {
    err << "outpost: " << error.what() << std::endl;
    return kExitUsage;
  }

  // A heal or remove-toxic that ends nothing is most likely a mistake (the fault it meant to end lasts until the
  // settle): said before any seed runs. (The nemesis's own steps always pair up; the first seed's plan stands for
  // every seed's.)
  const std::vector<std::string> idle = world::steps_that_end_nothing(
      fault_plan_of(scenario, seeds.front(), duration), scenario.topology, duration.value_or(scenario.duration));
  constexpr size_t kIdleShown = 5;
  for (size_t i = 0; i < std::min(idle.size(), kIdleShown); ++i)
    err << "outpost: warning: " << options.scenario << ": " << idle[i] << std::endl;
  if (idle.size() > kIdleShown)
    err << "outpost: warning: " << options.scenario << ": " << idle.size() - kIdleShown
        << " more steps that end nothing" << std::endl;

  // Opened before the first seed runs, so that a path it cannot write fails at once rather than after the sweep.
  std::ofstream report_file;
  std::optional<ReportWriter> report;
  if (!options.report.empty()) {
    report_file.open(options.report);
    if (!report_file) {
      err << "outpost: cannot write the report to " << options.report << std::endl;
      return kExitUsage;
    }
    report.emplace(report_file, options.scenario, topology_nodes(scenario));
  }
  // The same for the traces: each seed's goes beside the first one's, so a first that cannot be written is a usage
  // error now, not a run reported as failed (exit 1 says an invariant broke) after it ran.
  if (!options.trace.empty()) {
    const std::string first = trace_file_for(options.trace, seeds.front(), seeds.size() > 1);
    if (!std::ofstream(first)) {
      err << "outpost: cannot write the trace to " << first << std::endl;
      return kExitUsage;
    }
  }
  std::vector<Job> jobs;
  for (const uint64_t seed : seeds) {
    jobs.push_back({seed, false});
    if (options.check_determinism) jobs.push_back({seed, true});
  }
  // Up to --jobs children run at once, started in seed order and collected in seed order, so the output is the same
  // whatever the number: a child that ends early waits to be read.
  std::deque<std::pair<Job, StartedRun>> running;
  size_t next = 0;
  const auto start_more = [&] {
    for (; next < jobs.size() && running.size() < std::max<size_t>(options.jobs, 1); ++next) {
      const Job job = jobs[next];
      const std::string trace_file = job.second || options.trace.empty()
                                         ? std::string()
                                         : trace_file_for(options.trace, job.seed, seeds.size() > 1);
      running.emplace_back(job, StartedRun(scenario, job.seed, duration, trace_file));
    }
  };
  SweepTally tally;
  bool failed = false;
  SeedRun run;
  for (start_more(); !running.empty();) {
    auto [job, started] = std::move(running.front());
    running.pop_front();
    IsolatedRun result = started.collect();
    start_more();
    if (!job.second) {
      run = SeedRun{};
      run.result = std::move(result.result);
      run.hash = std::move(result.hash);
      run.checked = options.check_determinism;
      if (run.checked) continue;  // its second run comes next
    } else {
      run.second_hash = std::move(result.hash);
    }
    out << progress_line(run) << std::endl;
    if (const std::string line = invariants_line(run); !line.empty()) out << line << std::endl;
    if (!run.ok()) {
      failed = true;
      for (const std::string& violation : run.violations()) out << "  violation: " << violation << std::endl;
      out << "  replay: " << replay_command(options.scenario, job.seed, options.duration, options.network, options.program,
                                          options.storage)
          << std::endl;
    }
    tally.add(run);
    if (report) report->add(run);
  }
  out << tally.text() << std::endl;

  if (report) {
    report->finish();
    if (!report_file) {
      err << "outpost: cannot write the report to " << options.report << std::endl;
      return kExitViolation;
    }
  }
  return failed ? kExitViolation : 0;
}

SimCommand::SimCommand(CLI::App& app) {
  // An empty value would read as the option left out (`--duration ''` ran the scenario's own duration): refused as a
  // usage error instead.
  const CLI::Validator not_empty(
      [](std::string& value) { return value.empty() ? std::string("must not be empty") : std::string(); }, "",
      "not empty");
  // A seed is a whole number from 0 to 2^64 - 1: "-1" would otherwise wrap around to 2^64 - 1, and a larger number
  // be clamped to it, and run that seed.
  const CLI::Validator whole_seed(
      [](std::string& value) {
        return whole_number(value) ? std::string()
                                   : "'" + value + "' is not a seed (a whole number from 0 to 18446744073709551615)";
      },
      "", "seed");
  group_ = app.add_subcommand("sim", "The deterministic simulator: whole hierarchies in virtual time");
  group_->require_subcommand(1);
  run_ = group_->add_subcommand("run", "Run a scenario (docs/simulator.md), one world per seed, and judge it");
  run_->add_option("scenario", options_.scenario, "scenario file (JSON)")->required();
  run_->add_option("--seed", options_.seed, "the seed to run (default: the scenario's)")
      ->transform(cli::decimal_whole_number(/*negative_allowed=*/true))  // for whole_seed to name
      ->check(whole_seed);
  run_->add_option("--seeds", options_.seeds, "a range of seeds to run, A..B (inclusive)")->check(not_empty);
  run_->add_option("--duration", options_.duration, "virtual time the workload and faults run (10m, 1h, PT1H)")->check(not_empty);
  run_->add_option("--report", options_.report, "write every run as JSON to this file")->check(not_empty);
  run_->add_option("--trace", options_.trace,
                   "write each run's trace (Chrome trace format, for Perfetto) to this file (for several seeds, "
                   "-<seed> before its extension: t.json -> t-1.json)")
      ->check(not_empty);
  run_->add_option("--network", options_.network,
                   "direct (no delay) or simulated (the scenario's links: latency, bandwidth); default: the scenario's")
      ->check(not_empty);
  run_->add_option("--storage", options_.storage,
                   "memory, or disk (each node's data directory as `outpost serve` keeps it, in a temporary "
                   "directory: files, fsync and SQLite, opened again at every restart); default: the scenario's")
      ->check(not_empty);
  run_->add_flag("--check-determinism", options_.check_determinism,
                 "run each seed twice and compare the run hashes");
  run_->add_option("--jobs,-j", options_.jobs,
                   "run this many seeds at once, each in its own process (the output is the same in any case)")
      ->capture_default_str()
      ->transform(cli::decimal_whole_number())
      ->check(CLI::Range(size_t{1}, size_t{1024}));
  run_->add_option("--log-level", options_.log_level, "the nodes' logs on stderr: debug, info, warn, error or off")
      ->capture_default_str();

  shrink_ = group_->add_subcommand(
      "shrink", "Shrink a failing seed's fault plan to a minimal one that still fails (delta debugging)");
  shrink_->add_option("scenario", shrink_options_.scenario, "scenario file (JSON)")->required();
  shrink_->add_option("--seed", shrink_options_.seed, "the failing seed (default: the scenario's)")
      ->transform(cli::decimal_whole_number(/*negative_allowed=*/true))  // for whole_seed to name
      ->check(whole_seed);
  shrink_->add_option("--duration", shrink_options_.duration, "virtual time, as the failing run had it")->check(not_empty);
  shrink_->add_option("--network", shrink_options_.network, "direct or simulated, as the failing run had it")->check(not_empty);
  shrink_->add_option("--storage", shrink_options_.storage, "memory or disk, as the failing run had it")->check(not_empty);
  shrink_->add_option("--output,-o", shrink_options_.output,
                      "where the shrunk scenario goes (default: beside SCENARIO, named <name>-shrunk-<seed>.json)")
      ->check(not_empty);
  shrink_->add_option("--max-runs", shrink_options_.max_runs, "at most this many runs")
      ->capture_default_str()
      ->transform(cli::decimal_whole_number())
      ->check(CLI::Range(size_t{1}, size_t{1'000'000}));
  shrink_->add_option("--log-level", shrink_options_.log_level, "the nodes' logs on stderr")->capture_default_str();
  shrink_->add_flag("--any-failure", shrink_options_.any_failure,
                    "a smaller plan may fail in any way (default: it must break what the whole plan broke)");

  report_ = group_->add_subcommand(
      "report", "Render the JSON of `sim run --report` as one self-contained HTML page (charts as inline SVG)");
  report_->add_option("report", report_options_.input, "the JSON that `outpost sim run --report FILE` wrote")
      ->required();
  report_->add_option("--output,-o", report_options_.output, "the HTML page to write (default: the report's path with .html in place of its extension)");
}

int SimCommand::run() const {
  // The top-level app's name is the executable as it was run (CLI11 takes argv[0]).
  const CLI::App* top = group_;
  while (top->get_parent() != nullptr) top = top->get_parent();
  const std::string program = top->get_name().empty() ? "outpost" : top->get_name();
  if (shrink_->parsed()) {
    SimShrinkOptions options = shrink_options_;
    options.program = program;
    return shrink_simulation(options, std::cout, std::cerr);
  }
  if (report_->parsed()) return render_report(report_options_, std::cout, std::cerr);
  SimRunOptions options = options_;
  options.program = program;
  return run_simulation(options, std::cout, std::cerr);
}

}  // namespace outpost::sim::commands
