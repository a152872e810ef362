#include "simulator/check/convergence_invariant.h"

#include "reference/common/time_format.h"

namespace outpost::check {

ConvergenceInvariant::ConvergenceInvariant(ViolationLog& log, Nanoseconds deadline) : log_(log), deadline_(deadline) {}

void ConvergenceInvariant::healed(WallTime when) {
  healed_ = when;
  nodes_.clear();
}

bool ConvergenceInvariant::observe(WallTime now, std::string_view node, const std::vector<std::string>& differences) {
  NodeState& state = nodes_[std::string(node)];
  if (differences.empty()) {
    if (healed_ && !state.converged_at) state.converged_at = now;
    return true;
  }
  state.converged_at.reset();  // content moved on: it converges again later, or not
  if (!healed_ || now < *healed_ + deadline_ || state.reported) return false;
  state.reported = true;
  std::string detail = "not converged " +
                       std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now - *healed_).count()) +
                       " ms after the heal at " + format_rfc3339(*healed_) + " (deadline " +
                       std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(deadline_).count()) +
                       " ms); " + std::to_string(differences.size()) + " difference(s):";
  for (size_t i = 0; i < differences.size() && i < 10; ++i) detail += "\n    " + differences[i];
  log_.report(now, node, invariant::kConvergence, std::move(detail));
  return false;
}

std::optional<Nanoseconds> ConvergenceInvariant::convergence_time(std::string_view node) const {
  const auto found = nodes_.find(node);
  if (!healed_ || found == nodes_.end() || !found->second.converged_at) return std::nullopt;
  return *found->second.converged_at - *healed_;
}

}  // namespace outpost::check
