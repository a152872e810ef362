#pragma once
// The bridge from the registry's decision observer seam (reference/registry/auth/decision_observer.h) to the checks:
// a copy of the record, taken while its views are valid.
#include "reference/registry/auth/decision_observer.h"
#include "simulator/check/observation.h"

namespace outpost::check {

ObservedDecision observed_decision(const registry::DecisionRecord& record, WallTime now);
// The same into `into`, whose strings keep their buffers: a watch that sees every decision of a run reuses one
// ObservedDecision instead of allocating its strings again for each.
void observed_decision(const registry::DecisionRecord& record, WallTime now, ObservedDecision& into);

}  // namespace outpost::check
