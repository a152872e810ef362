#pragma once
// What happened in a simulated run, in order: events (virtual time, kind, node, peer, detail) and spans (a sync round,
// a request) that begin and end on a node. Every event folds into a running 64-bit hash over a canonical encoding, so
// one number identifies a run: the same seed must give the same hash (docs/design.md, "Deterministic"), and a single
// different event (time, kind, node, peer, detail) gives a different one.
//
// Memory stays bounded: the hash and the count are always kept; the events themselves only when asked, all of them
// (for an export) or the last N (for a violation report). A run too long to keep in memory hands each record to a
// consumer as it happens instead (stream_to: `outpost sim run --trace` writes them to its file that way).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "reference/common/clock.h"

namespace outpost::sim {

struct TraceRecord {
  enum class Phase : uint8_t { Instant = 0, Begin = 1, End = 2 };
  Nanoseconds time{0};
  Phase phase = Phase::Instant;
  std::string kind;    // instant: what happened ("deliver", "loss", "crash"); span: its name ("sync round")
  std::string node;    // where ("" for the world itself)
  std::string peer;    // the other end, if any
  std::string detail;  // free text: a path, a digest, a byte count
  uint64_t span = 0;   // spans: the id begin_span() returned; instants: 0

  bool operator==(const TraceRecord&) const = default;
};

// Takes each record as it is added (Trace::stream_to).
using TraceConsumer = std::function<void(const TraceRecord&)>;

// How other layers (links, node hosts, checkers) report into a trace without depending on it.
using TraceSink = std::function<void(Nanoseconds time, std::string_view kind, std::string_view node,
                                     std::string_view peer, std::string_view detail)>;

class Trace {
 public:
  enum class Keep { None, All, Last };
  // Keep::Last keeps the `last` most recent records.
  explicit Trace(Keep keep = Keep::None, size_t last = 1000);

  void record(Nanoseconds time, std::string_view kind, std::string_view node, std::string_view peer = {},
              std::string_view detail = {});
  // The same record, its detail given as the pieces it is made of ("GET", " ", target, " ", "200"): the hash is that
  // of the joined detail, computed from the pieces as they stand, so a trace that keeps nothing joins nothing (a world
  // would otherwise build a string for each of its exchanges only to hash it).
  void record_parts(Nanoseconds time, std::string_view kind, std::string_view node, std::string_view peer,
                    std::initializer_list<std::string_view> detail);
  // A span on `node` named `name` (e.g. "sync round"); returns its id for end_span(). Spans may overlap.
  uint64_t begin_span(Nanoseconds time, std::string_view node, std::string_view name, std::string_view detail = {});
  // Ends an open span (an unknown or already ended id throws std::logic_error: a caller bug worth hearing about).
  void end_span(Nanoseconds time, uint64_t span, std::string_view detail = {});

  // A sink that records into this trace (which must outlive it).
  TraceSink sink();

  uint64_t hash() const { return hash_; }
  uint64_t count() const { return count_; }
  // The records kept, oldest first.
  std::vector<TraceRecord> records() const;
  // Changes what is kept from now on; records kept so far stay within the new bound.
  void keep(Keep keep, size_t last = 1000);
  // Hands every record added from now on to `consumer`, beside whatever is kept; an empty one stops it.
  void stream_to(TraceConsumer consumer);

 private:
  void add(Nanoseconds time, TraceRecord::Phase phase, std::string_view kind, std::string_view node,
           std::string_view peer, std::string_view detail, uint64_t span);

  Keep keep_;
  size_t last_;
  uint64_t hash_;
  uint64_t count_ = 0;
  uint64_t next_span_ = 1;
  TraceConsumer consumer_;
  std::vector<TraceRecord> kept_;  // Keep::All: in order; Keep::Last: a ring starting at ring_start_
  size_t ring_start_ = 0;
  struct OpenSpan {
    std::string node, name;
  };
  std::unordered_map<uint64_t, OpenSpan> open_spans_;  // looked up by id only, never iterated: order cannot leak
};

}  // namespace outpost::sim
