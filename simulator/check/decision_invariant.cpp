#include "simulator/check/decision_invariant.h"

#include "simulator/check/judgement.h"

namespace outpost::check {

DecisionInvariant::DecisionInvariant(const WorldHistory& history, const CredentialBook& book, ViolationLog& log,
                                     std::optional<Nanoseconds> horizon, OracleOptions options)
    : history_(history), book_(book), log_(log), horizon_(horizon), options_(options) {}

bool DecisionInvariant::observe(const ObservedDecision& decision) {
  const auto judgement = judge(history_, book_, decision, options_);
  if (!judgement) {
    ++unjudged_;
    return true;
  }
  ++judged_;
  size_t first = 0;
  if (horizon_) first = history_.current_during(decision.time, *horizon_).first;
  for (size_t version = first; version < judgement->agreeing.size(); ++version)
    if (judgement->agreeing[version]) return true;
  log_.report(decision.time, decision.host.empty() ? decision.node : decision.host, invariant::kDecisionMatchesOracle,
              describe(decision) + ": " + judgement->describe(decision));
  return false;
}

}  // namespace outpost::check
