#include "simulator/world/run_result.h"

#include "simulator/world/quantities.h"

namespace outpost::sim::world {

namespace {
// Reports read in milliseconds; the exact nanoseconds are there too where a tool may want them.
std::string shown(Nanoseconds duration) {
  return format_duration(std::chrono::round<std::chrono::milliseconds>(duration));
}
}  // namespace

void judge(RunResult& result) {
  result.violations.clear();
  const ConvergenceReport& convergence = result.convergence;
  if (!convergence.converged && !result.stalled) {  // a stalled run never reached its settle
    std::string line = "no convergence within " + shown(result.settle) + " of the heal:";
    for (const NodeDifference& difference : convergence.differences) {
      line += " " + difference.node + " (";
      if (!difference.unreadable.empty()) {
        line += "unreadable: " + difference.unreadable;
      } else {
        line += std::to_string(difference.missing.size()) + " missing, " +
                std::to_string(difference.unexpected.size()) + " unexpected, " +
                std::to_string(difference.different.size()) + " different";
      }
      line += ")";
    }
    result.violations.push_back(line);
  }
  for (const std::string& lost : convergence.lost_pushes)
    result.violations.push_back("acknowledged push not at the cloud: " + lost);
  if (result.workload.pulls_unverified > 0)
    result.violations.push_back(std::to_string(result.workload.pulls_unverified) +
                                " pulls received a blob that does not match its digest");
  result.violations.insert(result.violations.end(), result.invariant_violations.begin(),
                           result.invariant_violations.end());
}

nlohmann::json RunResult::to_json() const {
  nlohmann::json faults_json = nlohmann::json::array();
  for (const FaultStep& step : faults) faults_json.push_back(step.to_json());
  return {{"scenario", scenario},
          {"seed", seed},
          {"ok", ok()},
          {"violations", violations},
          {"network", network},
          {"storage", storage},
          {"passwordHashIterations", password_hash_iterations},
          {"nodes", nodes},
          {"ready", ready},
          {"stalled", stalled},
          {"virtualTime", {{"warmUp", shown(warm_up)},
                           {"run", shown(duration)},
                           {"settle", shown(settle)},
                           {"end", shown(virtual_end)},
                           {"endNanoseconds", virtual_end.count()}}},
          {"wallSeconds", wall_seconds},
          {"events", events},
          {"traceHash", trace_hash},
          {"traceRecords", trace_records},
          {"eventsPerSecond", events_per_second()},
          {"build", {{"wallSeconds", build_wall_seconds}, {"events", build_events}}},
          {"eventsPerSecondAfterBuild", events_per_second_after_build()},
          {"requests", {{"total", requests.requests},
                        {"transportFailures", requests.transport_failures},
                        {"bytesUp", requests.bytes_up},
                        {"bytesDown", requests.bytes_down}}},
          {"syncRounds", requests.rounds},
          {"workload", workload.to_json()},
          {"faults", {{"applied", faults_applied}, {"plan", faults_json}}},
          {"convergence", convergence.to_json()},
          {"invariants", invariants},
          {"metrics", metrics}};
}

}  // namespace outpost::sim::world
