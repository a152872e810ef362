#include "simulator/check/observation.h"

namespace outpost::check {

std::string describe(const ObservedDecision& decision) {
  std::string out = std::string(http::method_name(decision.method)) + " " + decision.path;
  if (!decision.query.empty()) out += "?" + decision.query;
  out += " at " + (decision.host.empty() ? decision.node : decision.host);
  if (!decision.from.empty()) out += " from " + decision.from;
  return out;
}

}  // namespace outpost::check
