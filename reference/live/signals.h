#pragma once
// SIGINT and SIGTERM stop a Server gracefully (Server::stop: drain in-flight requests, then return from run()).
#include <memory>

#include "reference/live/server.h"

namespace outpost::live {

// While this object lives, SIGINT or SIGTERM calls server.stop(). It waits for signals on a thread of its own, so it
// works whichever thread runs the server. Destroying it restores the default signal behaviour.
class StopOnSignals {
 public:
  explicit StopOnSignals(Server& server);
  ~StopOnSignals();
  StopOnSignals(const StopOnSignals&) = delete;
  StopOnSignals& operator=(const StopOnSignals&) = delete;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace outpost::live
