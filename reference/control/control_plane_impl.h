#pragma once
// The control plane's private state, shared by the files that implement its operations (control_plane.cpp,
// scope_map_api.cpp, token_api.cpp). Not an interface: include only from those files.
//
// Concurrency: readers load the current snapshot (one atomic shared_ptr load) and never block. Writers hold `writer`
// for the whole read-validate-persist-publish sequence, so changes apply one at a time and each sees the last one;
// a change is persisted through the store before its snapshot is published, so an answered change is durable and a
// failed write leaves the published state as it was.
#include <atomic>
#include <memory>
#include <mutex>
#include <string_view>

#include "reference/control/control_plane.h"

namespace outpost::control {

class ControlPlane::Impl {
 public:
  // The options stay in ControlPlane (options()); the operations read them there.
  Impl(ControlStore& store, const Clock& clock, Random& random);

  ControlStore& store;
  const Clock& clock;
  Random& random;
  std::mutex writer;

  std::shared_ptr<const Snapshot> current() const { return current_.load(std::memory_order_acquire); }

  // Call with `writer` held: a copy of the current snapshot to edit, then publish() it (which bumps its version).
  std::shared_ptr<Snapshot> draft() const { return std::make_shared<Snapshot>(*current()); }
  void publish(std::shared_ptr<Snapshot> next);

  // A generation no token has had in this process (see Snapshot::generations).
  static uint64_t next_generation();
  // Makes every later generation exceed `floor` (the stored epoch of this start, shifted).
  static void raise_generation_floor(uint64_t floor);

  // Snapshot edits that keep scope maps, permissions and generations consistent.
  // Adds or replaces a user-defined map; tokens naming it get a new generation when its actions change.
  static void set_scope_map(Snapshot& next, const auth::ScopeMap& scope_map);
  static void erase_scope_map(Snapshot& next, std::string_view name);
  // Adds or replaces a token and gives it a new generation.
  static void set_token(Snapshot& next, const auth::Token& token);
  static void erase_token(Snapshot& next, std::string_view name);

 private:
  static std::shared_ptr<Snapshot> load(ControlStore& store);  // the first snapshot: what the store holds

  std::atomic<std::shared_ptr<const Snapshot>> current_;
};

// The settings key of the admin user's password hash (SPEC 7.1).
inline constexpr std::string_view kAdminPasswordHashSetting = "admin.password_hash";
inline constexpr std::string_view kGenerationEpochSetting = "control.generation_epoch";

}  // namespace outpost::control
