#pragma once
// Invariant (iv): a change to tokens, passwords, scope maps or connected registries is enforced at every accepting
// node within a bound that may grow with the node's depth (SPEC 4.1: at the cloud from the next request; SPEC 5.2:
// below, once the change has travelled). A decision that agrees only with versions of the World that every node
// should have left behind by then is a violation. On the way it measures the delay per depth: the first decision at
// a node that proves it holds a change (it agrees with that version and with none between it and the newest version
// the node was already shown to hold) gives an upper bound of how long the change took to get there. Measuring needs
// decisions that tell versions apart: the simulator probes each node after a change.
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "reference/common/string_hash.h"
#include "simulator/check/credential.h"
#include "simulator/check/judgement.h"
#include "simulator/check/observation.h"
#include "simulator/check/violation.h"
#include "simulator/check/world_history.h"

namespace outpost::check {

class EnforcementInvariant {
 public:
  // How far behind the cloud a node at `depth` may be (0 = the cloud).
  using Bound = std::function<Nanoseconds(int depth)>;

  EnforcementInvariant(const WorldHistory& history, const CredentialBook& book, ViolationLog& log, Bound bound,
                       OracleOptions options = {});

  // True unless the decision shows the node still applies a version it should have left behind.
  bool observe(const ObservedDecision& decision);
  // The same with a judgement prepared for it against the current version of the history (judgement.h), which
  // another check may share.
  bool observe(const ObservedDecision& decision, Judgement& judgement);

  struct Delay {
    size_t version = 0;  // the change that made this version
    std::string node;
    int depth = 0;
    Nanoseconds delay{};  // from the change to the first decision proving the node holds it
  };
  const std::vector<Delay>& delays() const { return delays_; }
  // The longest measured delay at each depth.
  std::map<int, Nanoseconds> worst_delay_by_depth() const;

 private:
  const WorldHistory& history_;
  const CredentialBook& book_;
  ViolationLog& log_;
  const Bound bound_;
  const OracleOptions options_;
  std::vector<Delay> delays_;
  std::map<std::pair<size_t, std::string>, bool> measured_;
  // Per node: the newest version it was shown to hold. Hashed (asked for every judged decision, by long alike node
  // addresses) and never iterated. An entry is never erased: a judgement keeps its node's (Judgement::
  // enforcement_floor), and unordered_map elements stay put whatever is inserted.
  StringMap<size_t> floors_;
};

}  // namespace outpost::check
