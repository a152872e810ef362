#pragma once
#include <cstdint>
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "reference/common/clock.h"
#include "reference/common/random.h"
#include "reference/registry/access.h"
#include "reference/registry/registry.h"
#include "reference/storage/storage.h"
#include "tests/unit/registry/in_process_client.h"

namespace outpost::testing {

// A request as a server hands it to the registry, for a test that feeds its body itself (or never finishes it):
// `target` split into path and query, its Content-Length `length`.
inline http::Request request_for(http::Method method, const std::string& target, uint64_t length) {
  http::Request request;
  request.method = method;
  request.target = target;
  const size_t question = target.find('?');
  request.path = target.substr(0, question);
  request.query = question == std::string::npos ? "" : target.substr(question + 1);
  request.content_length = length;
  return request;
}

// A registry on memory storage with an open access policy, driven in-process.
struct RegistryFixture {
  SystemClock clock;
  SeededRandom random{1};
  registry::OpenAccess policy;
  std::unique_ptr<storage::Storage> storage = storage::open_memory_storage(clock, random);
  registry::Registry registry{*storage, clock, random, policy};
  InProcessClient client{registry};
};

}  // namespace outpost::testing
