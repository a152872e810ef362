#pragma once
// SIGINT and SIGTERM stop a Server gracefully (Server::stop: drain in-flight requests, then return from run()).
#include <functional>
#include <memory>

#include "reference/live/server.h"

namespace outpost::live {

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
