#include "simulator/check/violation.h"

#include <algorithm>

#include "reference/common/time_format.h"

namespace outpost::check {

std::string describe(const Violation& violation) {
  std::string out = "violation of " + violation.invariant + " at " + violation.node + ", " +
                    format_rfc3339(violation.time) + " (seed " + std::to_string(violation.seed) +
                    "): " + violation.detail;
  if (!violation.last_events.empty()) {
    out += "\n  last events:";
    for (const std::string& event : violation.last_events) out += "\n    " + event;
  }
  return out;
}

void ViolationLog::report(WallTime time, std::string_view node, std::string_view invariant, std::string detail) {
  Violation violation{seed_, time, std::string(node), std::string(invariant), std::move(detail), {}};
  if (recent_events_) violation.last_events = recent_events_();
  violations_.push_back(std::move(violation));
  if (on_violation) on_violation(violations_.back());
}

size_t ViolationLog::count(std::string_view invariant) const {
  return static_cast<size_t>(std::count_if(violations_.begin(), violations_.end(),
                                           [&](const Violation& v) { return v.invariant == invariant; }));
}

std::string ViolationLog::summary() const {
  std::string out;
  for (const Violation& violation : violations_) out += describe(violation) + "\n";
  return out;
}

}  // namespace outpost::check
