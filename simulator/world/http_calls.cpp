#include "simulator/world/http_calls.h"

#include <stdexcept>

#include "reference/auth/base64.h"
#include "simulator/engine/event_loop.h"

namespace outpost::sim::world {

http::ClientRequest make_request(http::Method method, const std::string& authority, const std::string& target,
                                 const Credentials& who, std::string body, const std::string& content_type) {
  http::ClientRequest request;
  request.method = method;
  request.authority = authority;
  request.target = target;
  request.headers.set("Authorization", "Basic " + auth::base64_encode(who.user + ":" + who.password));
  if (!body.empty() || method == http::Method::Put || method == http::Method::Post ||
      method == http::Method::Patch) {
    request.headers.set("Content-Type", content_type);
    request.body = std::make_unique<http::StringBody>(std::move(body));
  }
  return request;
}

void run_to_completion(EventLoop& loop, Task<void> task, uint64_t max_events) {
  // Shared: a task given up on may still end later, and must find somewhere to say so.
  struct Outcome {
    bool done = false;
    std::exception_ptr error;
  };
  auto outcome = std::make_shared<Outcome>();
  spawn(std::move(task), [outcome](std::exception_ptr failure) {
    outcome->done = true;
    outcome->error = failure;
  });
  for (uint64_t i = 0; i < max_events && !outcome->done; ++i)
    if (!loop.run_one()) break;
  if (!outcome->done) throw std::runtime_error("a world task did not finish (the loop ran dry or ran too long)");
  if (outcome->error) std::rethrow_exception(outcome->error);
}

}  // namespace outpost::sim::world
