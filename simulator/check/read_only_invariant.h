#pragma once
// Invariant (ii): no write is ever accepted at a ReadOnly connected registry (SPEC 4.3 step 2), whatever the token
// allows. Two kinds of evidence: a decision that let a write through, and a client's answer that says a write
// succeeded (2xx). Writes are recognised from the HTTP request (request.h), not from what the node said it was. A
// CR's mode never changes (SPEC 2.3), so the World as it is now tells which nodes are ReadOnly.
#include <cstddef>
#include <string_view>

#include "reference/common/http.h"
#include "reference/common/string_hash.h"
#include "simulator/check/observation.h"
#include "simulator/check/request.h"
#include "simulator/check/violation.h"
#include "simulator/check/world_history.h"

namespace outpost::check {

class ReadOnlyInvariant {
 public:
  ReadOnlyInvariant(const WorldHistory& history, ViolationLog& log);

  // True unless it was a write allowed at a ReadOnly CR.
  bool observe(const ObservedDecision& decision);
  // The same with the decision's request already classified (classify(decision.method, decision.path,
  // decision.query), or what a check prepared for it: judgement.h).
  bool observe(const ObservedDecision& decision, const Request& request);
  // The same with read_only() of the address it reached already known (Judgement::reached_read_only).
  bool observe(const ObservedDecision& decision, const Request& request, bool read_only);
  // An answer a client got from `address`.
  bool observe_response(WallTime time, std::string_view address, http::Method method, std::string_view path,
                        std::string_view query, int status);

  // Whether `address` is a ReadOnly CR's in the World as it is now.
  bool read_only(std::string_view address) const;

 private:
  const WorldHistory& history_;
  ViolationLog& log_;
  // read_only() per address for the newest version (`versions_` of them in the history): it is asked for every
  // decision and answer, and changes only with the World. Never iterated.
  mutable StringMap<bool> read_only_;
  mutable size_t versions_ = 0;
};

}  // namespace outpost::check
