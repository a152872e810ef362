#pragma once
#include <filesystem>

#include <nlohmann/json.hpp>

#include "reference/common/clock.h"
#include "reference/common/random.h"
#include "reference/registry/access.h"
#include "reference/registry/registry.h"
#include "reference/storage/storage.h"
#include "tests/unit/registry/in_process_client.h"

namespace outpost::testing {

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
