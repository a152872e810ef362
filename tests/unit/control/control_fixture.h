#pragma once
// A control plane over a memory store, a clock the test moves and a seeded random source, with a low hash cost so
// tests that create many passwords stay fast.
#include <boost/test/unit_test.hpp>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "reference/common/clock.h"
#include "reference/common/error.h"
#include "reference/common/random.h"
#include "reference/common/time_format.h"
#include "reference/control/control_plane.h"
#include "reference/control/control_store.h"

namespace outpost::control::testing {

using nlohmann::json;

class ManualClock final : public Clock {
 public:
  WallTime now() const override { return wall_; }
  Nanoseconds monotonic() const override { return wall_.time_since_epoch(); }
  void advance(Nanoseconds by) { wall_ += by; }

 private:
  WallTime wall_ = WallTime(std::chrono::seconds(1'800'000'000));  // 2027-01-15T08:00:00Z
};

inline ControlPlaneOptions test_options() {
  ControlPlaneOptions options;
  options.hash_cost.iterations = 1000;
  return options;
}

// The ApiError `operation` throws; fails the test when it throws none.
template <class Operation>
ApiError api_error_of(Operation&& operation) {
  try {
    operation();
  } catch (const ApiError& error) {
    return error;
  }
  BOOST_FAIL("expected an ApiError");
  throw std::logic_error("unreachable");
}

inline bool contains(std::string_view text, std::string_view part) { return text.find(part) != std::string_view::npos; }

struct ControlFixture {
  explicit ControlFixture(ControlPlaneOptions options = test_options())
      : store(open_memory_control_store()), control(std::make_unique<ControlPlane>(*store, clock, random, options)) {}

  ControlPlane::Result create_map(const std::string& name, std::vector<std::string> actions) {
    return control->put_scope_map(name, {{"actions", actions}});
  }
  ControlPlane::Result create_token(const std::string& name, const std::string& scope_map,
                                    json extra = json::object()) {
    extra["scopeMap"] = scope_map;
    return control->put_token(name, extra);
  }
  // A password value the create answer carried, by entry index.
  static std::string value_of(const ControlPlane::Result& result, size_t index) {
    return result.body.at("passwords").at(index).at("value").get<std::string>();
  }

  ManualClock clock;
  SeededRandom random{20260101};
  std::unique_ptr<ControlStore> store;
  std::unique_ptr<ControlPlane> control;
};

}  // namespace outpost::control::testing
