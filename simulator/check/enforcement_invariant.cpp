#include "simulator/check/enforcement_invariant.h"

#include <optional>

#include "reference/common/time_format.h"
#include "simulator/check/judgement.h"

namespace outpost::check {

EnforcementInvariant::EnforcementInvariant(const WorldHistory& history, const CredentialBook& book, ViolationLog& log,
                                           Bound bound, OracleOptions options)
    : history_(history), book_(book), log_(log), bound_(std::move(bound)), options_(options) {}

bool EnforcementInvariant::observe(const ObservedDecision& decision) {
  auto judgement = prepare(history_, book_, decision);
  return !judgement || observe(decision, *judgement);  // unjudged: nothing to say
}

bool EnforcementInvariant::observe(const ObservedDecision& decision, Judgement& judgement) {
  const std::string& node = judgement.node_address;  // the endpoint it reached
  const auto agrees = [&](size_t version) { return ask(judgement, version, history_, decision, options_); };

  // The node holds one of the versions it agrees with. If it agrees with none it may still hold, it is late. The
  // oracle is asked newest first, and about older versions only when none it may still hold agrees.
  const auto [first, last] = history_.current_during(decision.time, bound_(judgement.depth));
  bool allowed = false;
  for (size_t version = last + 1; version-- > first && !allowed;) allowed = agrees(version);
  if (!allowed) {
    std::optional<size_t> newest;
    for (size_t version = first; version-- > 0 && !newest;)
      if (agrees(version)) newest = version;
    if (!newest) return true;  // it agrees with no version at all: invariant (i)'s to report
    // The first change the node has missed, and since when it should have been enforced.
    const size_t missed = *newest + 1;
    log_.report(
        decision.time, node, invariant::kChangesEnforced,
        describe(decision) + ": the change of " + format_rfc3339(history_.since(missed)) + " (version " +
            std::to_string(missed) + ") is not enforced at depth " + std::to_string(judgement.depth) + " after " +
            std::to_string(
                std::chrono::duration_cast<std::chrono::milliseconds>(decision.time - history_.since(missed)).count()) +
            " ms: " + judgement.describe(decision));
    return false;
  }

  // A proof that the node holds version v: it agrees with v and with no version between the newest it was already
  // shown to hold and v (a node's configuration only moves forward). The first proof of each change is its delay.
  // A floor at or past `last` proves nothing new: the loop below would at most ask version `last` again, which the
  // one above asked first (and found agreeing).
  if (judgement.enforcement_floor.owner == this && judgement.enforcement_floor.seen >= last) return true;
  if (judgement.enforcement_floor.owner != this) judgement.enforcement_floor = {this, &floors_[node], 0};
  size_t& floor = *judgement.enforcement_floor.floor;
  for (size_t version = floor; version <= last; ++version) {
    if (!agrees(version)) continue;
    if (version > floor) {
      floor = version;
      if (measured_.emplace(std::pair{version, node}, true).second)
        delays_.push_back({version, node, judgement.depth, decision.time - history_.since(version)});
    }
    break;
  }
  judgement.enforcement_floor.seen = floor;
  return true;
}

std::map<int, Nanoseconds> EnforcementInvariant::worst_delay_by_depth() const {
  std::map<int, Nanoseconds> worst;
  for (const Delay& delay : delays_) {
    auto [it, inserted] = worst.try_emplace(delay.depth, delay.delay);
    if (!inserted && delay.delay > it->second) it->second = delay.delay;
  }
  return worst;
}

}  // namespace outpost::check
