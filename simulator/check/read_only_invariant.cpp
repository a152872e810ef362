#include "simulator/check/read_only_invariant.h"

#include "simulator/check/request.h"

namespace outpost::check {

ReadOnlyInvariant::ReadOnlyInvariant(const WorldHistory& history, ViolationLog& log) : history_(history), log_(log) {}

namespace {
// Addresses are the nodes' (and whatever Host a client named): a run that keeps naming new ones starts over past this.
constexpr size_t kMaxAddresses = 1 << 16;
}  // namespace

bool ReadOnlyInvariant::read_only(std::string_view address) const {
  if (history_.size() != versions_ || read_only_.size() >= kMaxAddresses) {
    read_only_.clear();  // a new version: a node may have come or gone
    versions_ = history_.size();
  }
  if (const auto known = read_only_.find(address); known != read_only_.end()) return known->second;
  const World& world = history_.current();
  const auto node = world.node_at(address);
  const bool read_only = node && world.read_only(*node);
  read_only_.emplace(std::string(address), read_only);
  return read_only;
}

bool ReadOnlyInvariant::observe(const ObservedDecision& decision) {
  const std::string& address = decision.host.empty() ? decision.node : decision.host;
  if (decision.outcome.status != 0 || !read_only(address)) return true;
  return observe(decision, classify(decision.method, decision.path, decision.query));
}

bool ReadOnlyInvariant::observe(const ObservedDecision& decision, const Request& request) {
  const std::string& address = decision.host.empty() ? decision.node : decision.host;
  if (decision.outcome.status != 0 || !request.is_write()) return true;
  return observe(decision, request, read_only(address));
}

bool ReadOnlyInvariant::observe(const ObservedDecision& decision, const Request& request, bool read_only) {
  const std::string& address = decision.host.empty() ? decision.node : decision.host;
  if (decision.outcome.status != 0 || !request.is_write() || !read_only) return true;
  log_.report(decision.time, address, invariant::kNoWriteOnReadOnly,
              describe(decision) + ": a " + std::string(to_string(request.operation)) +
                  " was allowed at a ReadOnly connected registry (the node saw: " + decision.node_said + ")");
  return false;
}

bool ReadOnlyInvariant::observe_response(WallTime time, std::string_view address, http::Method method,
                                         std::string_view path, std::string_view query, int status) {
  if (status < 200 || status >= 300 || !read_only(address)) return true;
  const Request request = classify(method, path, query);
  if (!request.is_write()) return true;
  log_.report(time, address, invariant::kNoWriteOnReadOnly,
              std::string(http::method_name(method)) + " " + std::string(path) + " answered " + std::to_string(status) +
                  ": a " + std::string(to_string(request.operation)) + " succeeded at a ReadOnly connected registry");
  return false;
}

}  // namespace outpost::check
