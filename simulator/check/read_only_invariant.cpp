#include "simulator/check/read_only_invariant.h"

#include <functional>
#include <limits>

#include "simulator/check/flat_slots.h"
#include "simulator/check/request.h"

namespace outpost::check {

ReadOnlyInvariant::ReadOnlyInvariant(const WorldHistory& history, ViolationLog& log) : history_(history), log_(log) {}

namespace {
// Addresses are the nodes' (and whatever Host a client named): a run that keeps naming new ones starts over past this.
constexpr size_t kMaxAddresses = 1 << 16;
}  // namespace

bool ReadOnlyInvariant::read_only(std::string_view address) const {
  if (history_.size() != versions_ || used_ >= kMaxAddresses || slots_.empty() ||
      addresses_.size() + address.size() > std::numeric_limits<uint32_t>::max()) {
    slots_.assign(flat_slots::kFirstSlots, Slot{});  // a new version: a node may have come or gone
    addresses_.clear();
    used_ = 0;
    versions_ = history_.size();
  }
  return find_or_add(address).read_only;
}

const ReadOnlyInvariant::Slot& ReadOnlyInvariant::find_or_add(std::string_view address) const {
  const uint64_t hash = std::hash<std::string_view>{}(address);
  size_t at = flat_slots::home(hash, slots_.size());
  for (;; at = flat_slots::next(at, slots_.size())) {
    const Slot& slot = slots_[at];
    if (!slot.used) break;
    if (slot.hash == hash && std::string_view(addresses_).substr(slot.at, slot.size) == address) return slot;
  }
  if (2 * (used_ + 1) > slots_.size()) {  // grow, then find the new address's place again
    flat_slots::grow(slots_, [](const Slot& slot) { return slot.used; });
    at = flat_slots::home(hash, slots_.size());
    while (slots_[at].used) at = flat_slots::next(at, slots_.size());
  }
  const World& world = history_.current();
  const auto node = world.node_at(address);
  slots_[at] = Slot{hash, static_cast<uint32_t>(addresses_.size()), static_cast<uint32_t>(address.size()), true,
                    node && world.read_only(*node)};
  addresses_.append(address);
  ++used_;
  return slots_[at];
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
