#pragma once
// Invariant (ii): no write is ever accepted at a ReadOnly connected registry (SPEC 4.3 step 2), whatever the token
// allows. Two kinds of evidence: a decision that let a write through, and a client's answer that says a write
// succeeded (2xx). Writes are recognised from the HTTP request (request.h), not from what the node said it was. A
// CR's mode never changes (SPEC 2.3), so the World as it is now tells which nodes are ReadOnly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "reference/common/http.h"
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
  // decision and answer, and changes only with the World. A flat table of slots (each address's hash, where its
  // text is in addresses_, and the answer) rather than a string-keyed map: every node is asked about once in ten
  // minutes, so a lookup waits for memory, and a map's bucket, chain and node were three cold lines before its key.
  struct Slot {
    uint64_t hash = 0;
    uint32_t at = 0;  // in addresses_
    uint32_t size = 0;
    bool used = false;
    bool read_only = false;
  };
  const Slot& find_or_add(std::string_view address) const;
  mutable std::vector<Slot> slots_;  // a power of two of them, at most half used
  mutable std::string addresses_;
  mutable size_t used_ = 0;
  mutable size_t versions_ = 0;
};

}  // namespace outpost::check
