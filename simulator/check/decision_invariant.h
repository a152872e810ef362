#pragma once
// Invariant (i): every authorization decision a node makes is one the oracle would make. A decision that agrees with
// the oracle under some version of the World current within the horizon passes here (how stale that version may be
// at this node is invariant (iv)'s business, enforcement_invariant.h); one that agrees with none is a violation.
// The horizon keeps old versions from excusing wrong answers (any 401 agrees with the World before its token
// existed): it should be the longest any node may lag, and nothing older counts.
#include <cstddef>
#include <functional>
#include <optional>

#include "simulator/check/credential.h"
#include "simulator/check/judgement.h"
#include "simulator/check/observation.h"
#include "simulator/check/violation.h"
#include "simulator/check/world_history.h"

namespace outpost::check {

class DecisionInvariant {
 public:
  // Every reference must outlive the invariant.
  // No horizon: every version ever recorded counts.
  DecisionInvariant(const WorldHistory& history, const CredentialBook& book, ViolationLog& log,
                    std::optional<Nanoseconds> horizon = std::nullopt, OracleOptions options = {});
  // A horizon per depth of the deciding node (0 = the cloud), as EnforcementInvariant's bound: in a world with
  // faults, how long a node may lag depends on where it is (and, for the caller, on when: outages stretch it).
  using Horizon = std::function<Nanoseconds(int depth)>;
  DecisionInvariant(const WorldHistory& history, const CredentialBook& book, ViolationLog& log, Horizon horizon,
                    OracleOptions options = {});

  // True when the decision agrees with the oracle (or is about a node the World does not know: `unjudged()` counts
  // those).
  bool observe(const ObservedDecision& decision);
  // The same with a judgement prepared for it (judgement.h), which another check may share: the oracle's answers are
  // asked once.
  bool observe(const ObservedDecision& decision, Judgement& judgement);

  size_t judged() const { return judged_; }
  size_t unjudged() const { return unjudged_; }

 private:
  const WorldHistory& history_;
  const CredentialBook& book_;
  ViolationLog& log_;
  const Horizon horizon_;  // empty: every version counts
  const OracleOptions options_;
  size_t judged_ = 0;
  size_t unjudged_ = 0;
};

}  // namespace outpost::check
