#pragma once
// One observed decision judged against every version of the World: the request and credentials in the oracle's
// words, and which versions' answers agree with what the node did. Shared by the decision and enforcement checks.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "simulator/check/credential.h"
#include "simulator/check/observation.h"
#include "simulator/check/oracle.h"
#include "simulator/check/request.h"
#include "simulator/check/world_history.h"

namespace outpost::check {

struct Judgement {
  NodeRef node;
  int depth = 0;
  // What the checks ask about the node of every decision, as the World stood when this was prepared (the current
  // version): where the node listens (World::address_of, which (iv) keys its progress by), and whether the address
  // the request reached is a ReadOnly CR's (ReadOnlyInvariant::read_only, (ii)).
  std::string node_address;
  bool reached_read_only = false;
  Request request;
  Credential credential;
  // Per version of the history, up to the newest begun by the decision's time: the oracle's answer, and whether the
  // observed outcome agrees with it. A version not asked (prepare() and ask() below) has no answer and does not
  // agree.
  std::vector<std::optional<Answer>> answers;
  std::vector<bool> agreeing;
  // The versions ask() answered since prepare(), in the order asked: what a judgement kept for alike decisions
  // (judgement_cache.h) looks at afterwards, instead of every version of a long history.
  std::vector<uint32_t> asked;
  // Where an EnforcementInvariant (`owner`) keeps the progress of this judgement's node, once it found it: alike
  // decisions share one judgement (judgement_cache.h), and finding the node's entry again by its long address was a
  // cold hash lookup per decision. The invariant never drops a node's entry, so the pointer stays valid. `seen` is a
  // value the floor had when this judgement last read it: a floor only moves up, so once that reaches the newest
  // version a decision may know, the floor has nothing left to learn from it and is not read (a cold line per
  // decision in a quiet run, where every node's floor is the newest version).
  struct {
    const void* owner = nullptr;
    size_t* floor = nullptr;
    size_t seen = 0;
  } enforcement_floor;

  bool agrees_with_any() const;
  // The newest version it agrees with, if any.
  std::optional<size_t> newest_agreeing() const;
  std::optional<size_t> oldest_agreeing() const;
  std::string describe(const ObservedDecision& decision) const;
};

// Nothing when the decision's node is not in the World (then there is nothing to judge it by).
std::optional<Judgement> judge(const WorldHistory& history, const CredentialBook& book,
                               const ObservedDecision& decision, const OracleOptions& options = {});

// The same in two steps, for checks that need only some versions (the oracle runs for every decision of a run, and
// most decisions agree with the newest version): the request, credentials, node and depth, but no answers yet...
std::optional<Judgement> prepare(const WorldHistory& history, const CredentialBook& book,
                                 const ObservedDecision& decision);
// The same with the decision's request already classified (classify(decision.method, decision.path, decision.query)).
std::optional<Judgement> prepare(const WorldHistory& history, const CredentialBook& book,
                                 const ObservedDecision& decision, Request request);
// ...then one version's answer (once; later calls reuse it). True when the observed outcome agrees with it.
bool ask(Judgement& judgement, size_t version, const WorldHistory& history, const ObservedDecision& decision,
         const OracleOptions& options = {});

}  // namespace outpost::check
