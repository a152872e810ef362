#pragma once
// Small pieces every client of a world uses: requests with Basic credentials, and running a coroutine to its end
// between events (setup and end-of-run checks; never from inside an event, where the loop is already running).
#include <cstdint>
#include <string>

#include "reference/common/http_client.h"
#include "reference/common/task.h"

namespace outpost::sim {
class EventLoop;
}

namespace outpost::sim::world {

struct Credentials {
  std::string user;
  std::string password;
};

// A request to `authority` with Basic credentials; a body (with `content_type`) when `body` is not empty or the
// method sends one.
http::ClientRequest make_request(http::Method method, const std::string& authority, const std::string& target,
                                 const Credentials& who, std::string body = {},
                                 const std::string& content_type = "application/json");

// Spawns `task` and runs the loop until it ends; rethrows what it threw. Throws std::runtime_error when the loop
// runs dry or `max_events` pass first (a hang fails instead of spinning).
void run_to_completion(EventLoop& loop, Task<void> task, uint64_t max_events = 100'000'000);

}  // namespace outpost::sim::world
