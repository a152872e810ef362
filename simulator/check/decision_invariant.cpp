#include "simulator/check/decision_invariant.h"


namespace outpost::check {

DecisionInvariant::DecisionInvariant(const WorldHistory& history, const CredentialBook& book, ViolationLog& log,
                                     std::optional<Nanoseconds> horizon, OracleOptions options)
    : DecisionInvariant(history, book, log,
                        horizon ? Horizon([fixed = *horizon](int) { return fixed; }) : Horizon(), options) {}

DecisionInvariant::DecisionInvariant(const WorldHistory& history, const CredentialBook& book, ViolationLog& log,
                                     Horizon horizon, OracleOptions options)
    : history_(history), book_(book), log_(log), horizon_(std::move(horizon)), options_(options) {}

bool DecisionInvariant::observe(const ObservedDecision& decision) {
  auto judgement = prepare(history_, book_, decision);
  if (!judgement) {
    ++unjudged_;
    return true;
  }
  return observe(decision, *judgement);
}

bool DecisionInvariant::observe(const ObservedDecision& decision, Judgement& judgement) {
  ++judged_;
  size_t first = 0;
  if (horizon_) first = history_.current_during(decision.time, horizon_(judgement.depth)).first;
  // Newest first: most decisions agree with it. Versions older than the horizon cannot excuse it: never asked.
  for (size_t version = judgement.answers.size(); version-- > first;)
    if (ask(judgement, version, history_, decision, options_)) return true;
  log_.report(decision.time, decision.host.empty() ? decision.node : decision.host, invariant::kDecisionMatchesOracle,
              describe(decision) + ": " + judgement.describe(decision));
  return false;
}

}  // namespace outpost::check
