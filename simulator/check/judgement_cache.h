#pragma once
// Judgements of decisions that look alike, prepared once. A quiet run repeats itself: every agent asks its parent the
// same gateway operations with the same credentials every round, and preparing each decision (reading its
// Authorization header back into a credential, classifying its route, finding its node) and asking the oracle again
// was most of the invariant watch's cost. A decision is alike when its node, Host, request as classified (operation,
// repositories, gateway CR and rights) and Authorization header are the same and neither the World's history nor the
// credential book has changed since.
// What it reuses is exactly what check::prepare() and check::ask() would compute again: the prepared part depends on
// nothing else, and an answer is kept only where the oracle says it cannot depend on the time (depends_on_time()),
// since the decision's time is the one input that differs. Whether the node's outcome agrees is always judged anew.
//
// The judgement handed out is the cache's own, not a copy: copying one per decision (its node, request, credential
// and answers, each string allocated again) cost more than finding it.
#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "simulator/check/judgement.h"

namespace outpost::check {

class JudgementCache {
 public:
  // As check::prepare(history, book, decision), with the answers already known for alike decisions filled in (and
  // whether this decision's outcome agrees with each); null where check::prepare() gives nothing. The judgement may
  // be asked (check::ask) and read until the next prepare(), which may change or destroy it.
  Judgement* prepare(const WorldHistory& history, const CredentialBook& book, const ObservedDecision& decision);
  // After the checks have asked what they needed: keep the answers of the judgement the last prepare() returned that
  // cannot depend on the time, for the next alike decision. (Without it, that decision is asked anew.)
  void keep(const WorldHistory& history);

  size_t hits() const { return hits_; }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    Judgement judgement;  // answers: the kept ones, plus whatever the last decision asked
    std::vector<bool> kept;  // per version: judgement.answers holds an answer that holds at every instant
  };
  // The run's distinct decisions are few (thousands of nodes times a handful of operations); a run whose queries
  // never repeat would grow the map without end, so it starts over past this many.
  static constexpr size_t kMaxEntries = 1 << 16;

  size_t versions_ = 0;
  uint64_t book_generation_ = 0;
  // Entries out of line: a node of the table is then its key, the entry's address and the key's hash, in one cache
  // line. With entries in the nodes, every step of a bucket's chain touched two lines far apart (the hash sits after
  // the entry), and a lookup was mostly waiting for memory.
  std::unordered_map<std::string, std::unique_ptr<Entry>> entries_;
  Entry* last_ = nullptr;  // the entry of the last prepare(), for keep()
  std::string key_;        // reused: the key's buffer
  size_t hits_ = 0;
};

}  // namespace outpost::check
