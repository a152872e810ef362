#pragma once
// SIGINT and SIGTERM stop a Server gracefully (Server::stop: drain in-flight requests, then return from run()).
#include <signal.h>

#include <functional>
#include <memory>

#include "reference/live/server.h"

namespace outpost::live {

// While this object lives, SIGINT and SIGTERM are blocked in the thread that made it and in every thread started
// meanwhile (a new thread inherits its creator's mask), until a StopOnSignals thread unblocks them for itself: the
// kernel then hands them to that one thread, which is waiting for them. Make one before any other thread of a server
// starts. Without it a signal lands on whichever thread the kernel picks, and under ThreadSanitizer (which defers a
// signal on a busy thread) one in a few dozen SIGTERMs sent right after "listening" was never handled: the server
// ran on until killed. Destroying it restores the thread's mask.
class StopSignalsBlocked {
 public:
  StopSignalsBlocked();
  ~StopSignalsBlocked();
  StopSignalsBlocked(const StopSignalsBlocked&) = delete;
  StopSignalsBlocked& operator=(const StopSignalsBlocked&) = delete;

 private:
  sigset_t previous_;
};

// While this object lives, SIGINT or SIGTERM calls server.stop(). It waits for signals on a thread of its own, so it
// works whichever thread runs the server. Destroying it restores the default signal behaviour.
class StopOnSignals {
 public:
  // `before_stop` runs first (a node answers its waiting long polls so the drain does not wait for them).
  explicit StopOnSignals(Server& server, std::function<void()> before_stop = {});
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace outpost::live
