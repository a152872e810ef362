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
//
// How it finds one: every node is touched once in ten minutes, so a lookup is mostly waiting for memory. A string
// keyed hash map cost a bucket, the node before the chain, the node and its key (each a cold line, each found only
// from the one before). Here the key's fields are written one after another into a buffer the cache reuses (each
// field's length, then its bytes), so hashing it is one pass and comparing it with a kept key is one memcmp of
// lengths checked first; a flat table of slots gives the hash, the key's length and both where the exact key is kept
// and where its entry is (so the two are fetched at once). A hash that collides costs a comparison, never a
// judgement reused wrongly.
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
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
  // A history gathers a version per window of management calls, hundreds in a run that changes tokens all day, and
  // a decision usually needs one or two of them: what a hit touches is the kept versions and the ones the last
  // decision asked (judgement.asked), never every version (that loop was a tenth of a small fleet's run).
  struct Entry {
    Judgement judgement;  // answers: the kept ones, plus whatever the last decision asked
    std::vector<bool> kept;  // per version: judgement.answers holds an answer that holds at every instant
    std::vector<uint32_t> kept_versions;  // the same, as a list
    // The outcome judgement.agreeing was worked out for. Alike decisions mostly end alike: then what agreed still
    // agrees, and a node whose first decisions walked the whole history (the enforcement check looks for the first
    // version it holds) does not make every later one walk it again.
    Outcome agreeing_for;
  };
  // A place in the table: the key's hash, where its exact key starts in keys_ and how long it is, and its entry.
  // Empty: no entry.
  struct alignas(32) Slot {
    uint64_t hash = 0;
    size_t key_at = 0;
    Entry* entry = nullptr;
    uint32_t key_size = 0;
  };
  // What makes decisions alike: the strings below, then the operation and the gateway rights.
  static constexpr size_t kFields = 6;
  // The run's distinct decisions are few (thousands of nodes times a handful of operations); a run whose queries
  // never repeat would grow the table without end, so it starts over past this many.
  static constexpr size_t kMaxEntries = 1 << 16;

  void clear();
  // Writes the key into key_ (each field's length, then its bytes; then the operation and rights): false for a key
  // the table cannot hold (a field or the whole of 4 GiB or more).
  bool make_key(const std::string_view (&fields)[kFields], uint8_t operation, uint8_t gateway_needs);
  // The slot holding key_ (whose hash is `hash`), or the empty one where it would go.
  Slot& find(uint64_t hash);

  size_t versions_ = 0;
  uint64_t book_generation_ = 0;
  std::vector<Slot> slots_;  // a power of two of them, at most half used
  std::string keys_;         // the entries' exact keys, one after another
  std::string key_;          // the key of the decision being prepared (its buffer kept from one to the next)
  std::deque<Entry> entries_;  // stay put as more come
  Entry uncached_;         // for a key too long to keep (a field of 4 GiB)
  Entry* last_ = nullptr;  // the entry of the last prepare(), for keep()
  size_t hits_ = 0;
};

}  // namespace outpost::check
