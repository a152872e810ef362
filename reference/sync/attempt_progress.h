#pragma once
// Whether a failed attempt at the parent (a sync round, a push of the journal) still made progress, so that its retry
// may start again from the shortest delay (SPEC 5.6; docs/protocol.md "Errors and retries").
//
// The backoff is there to spare a parent that cannot be reached, that is failing or overloaded, or that fails the same
// request every time. A lossy link is none of these: it loses a different exchange on each attempt, and an attempt that
// failed has usually had most of its exchanges answered (and applied by the parent, which the retry then finds done:
// idempotent by digest, SPEC 5.8). Counting only objects stored or sent as progress let such a link climb the backoff:
// a push-up retry found the blobs already at the parent, sent nothing new, failed at a later exchange, and waited twice
// as long as before. 25 images pushed up over a simulated link losing three answers in ten took 4 virtual minutes
// (25 s with this rule); the integration test that pushes 25 images each way through a proxy resetting one connection
// in five took 13 to 44 s to converge (about 9 s with it), and over 60 s once under ThreadSanitizer.
//
// So a failed attempt made progress when it did work for good (the loop's own count moved); or when it lost an
// exchange (no answer came: a reset, a cut, a timeout) after its parent had answered part of it, at most
// kQuickRetries times in a row without work done or an attempt succeeding in between. An attempt that nothing answered
// (the parent is down) and one that the parent turned down (5xx, 429, 401, 403: it is failing, overloaded or refusing)
// make no progress; and the bound keeps a parent that fails one request every time, crashes on it, or sheds load by
// resetting connections, from being retried at the shortest delay forever: after a few quick retries the delay grows
// to the cap as before.
#include <cstdint>

namespace outpost::sync {

class AttemptProgress {
 public:
  static constexpr unsigned kQuickRetries = 8;

  // What the loop has done so far; both counts only grow.
  struct Counts {
    uint64_t work = 0;     // done for good: objects stored or sent, journal entries settled
    uint64_t answers = 0;  // its own exchanges that the parent answered without turning them down
  };
  // Before an attempt.
  void begin(const Counts& counts) { before_ = counts; }
  // After the attempt failed, with the counts then and whether the failure was a lost exchange (no answer): whether it
  // made progress.
  bool failed(const Counts& counts, bool lost_exchange);
  // After an attempt that succeeded.
  void succeeded() { quick_retries_ = 0; }

 private:
  Counts before_;
  unsigned quick_retries_ = 0;  // progress granted for a lost exchange since work was last done
};

}  // namespace outpost::sync
