#pragma once
// Where a node keeps its control-plane state: user-defined scope maps, tokens (with password hashes, never passwords),
// connected registries (the cloud's, SPEC 2) and node settings (the admin password hash, the JWT signing key, the
// instance id). Live nodes keep it in SQLite beside the registry metadata; simulated nodes in memory. Every mutating
// call is durable when it returns.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "reference/auth/scope_map.h"
#include "reference/auth/token.h"
#include "reference/control/connected_registry.h"

namespace outpost::control {

class ControlStore {
 public:
  virtual ~ControlStore() = default;
  virtual std::vector<auth::ScopeMap> scope_maps() = 0;  // user-defined ones, sorted by name
  virtual void put_scope_map(const auth::ScopeMap& scope_map) = 0;
  virtual bool erase_scope_map(std::string_view name) = 0;

  virtual std::vector<auth::Token> tokens() = 0;  // sorted by name
  virtual void put_token(const auth::Token& token) = 0;
  virtual bool erase_token(std::string_view name) = 0;

  virtual std::vector<ConnectedRegistry> connected_registries() = 0;  // sorted by name
  virtual void put_connected_registry(const ConnectedRegistry& cr) = 0;
  virtual bool erase_connected_registry(std::string_view name) = 0;

  virtual std::optional<std::string> setting(std::string_view key) = 0;
  virtual void put_setting(std::string_view key, std::string_view value) = 0;
};

std::unique_ptr<ControlStore> open_memory_control_store();
// Opens (creating) <directory>/control.db. Throws storage::StorageError.
std::unique_ptr<ControlStore> open_sqlite_control_store(const std::filesystem::path& directory);

}  // namespace outpost::control
