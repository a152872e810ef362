#pragma once
// Whether a failed attempt at the parent (a sync round, a push of the journal) still made progress, so that its retry
// may start again from the shortest delay (SPEC 5.6; docs/protocol.md "Errors and retries").
//
// The backoff is there to spare a parent that cannot be reached, or that fails the same request every time. A lossy
// link is neither: it loses a different exchange on each attempt, and an attempt that failed has usually had most of
// its exchanges answered (and applied by the parent, which the retry then finds done: idempotent by digest, SPEC 5.8).
// Counting only objects stored or sent as progress let such a link climb the backoff: a push-up retry found the blobs
// already at the parent, sent nothing new, failed at a later exchange, and waited twice as long as before. 25 images
// pushed up over a simulated link losing three answers in ten took 4 virtual minutes (30 s with this rule); the
// integration test that pushes 25 images each way through a proxy resetting one connection in five took 13 to 44 s to
// converge (7 to 8 s with it), and over 60 s once under ThreadSanitizer.
//
// So a failed attempt made progress when it did work for good (the loop's own count moved), or when it lost an exchange
// (no answer came: a reset, a cut, a timeout) after the parent had answered part of it, and at another point than the
// last failure. An attempt that nothing answered (the parent is down), one that failed exactly where the previous one
// failed (one request failing every time) and one that the parent turned down (a 5xx or 429 answer: it is failing or
// overloaded, and the backoff is there to relieve it) make no progress, and back off to the cap as before.
#include <cstdint>
#include <optional>
#include <utility>

namespace outpost::sync {

class AttemptProgress {
 public:
  // What the loop and its link have done so far. Every count only grows.
  struct Counts {
    uint64_t work = 0;      // done for good: objects stored or sent, journal entries settled
    uint64_t answered = 0;  // exchanges the parent answered (any status)
    uint64_t lost = 0;      // exchanges that got no answer
  };
  // Before an attempt.
  void begin(const Counts& counts) { before_ = counts; }
  // After the attempt failed, with the counts then and what it was working on when it failed (a journal entry's id;
  // one value for every sync round): whether it made progress.
  bool failed(const Counts& counts, uint64_t subject);
  // After an attempt that succeeded: a failure that follows is compared with none.
  void succeeded() { last_failure_.reset(); }

 private:
  Counts before_;
  std::optional<std::pair<uint64_t, uint64_t>> last_failure_;  // (subject, exchanges answered before it failed)
};

}  // namespace outpost::sync
