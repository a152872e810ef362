// The simulator's control store: the same records as the SQLite one, in sorted maps behind a mutex.
#include <map>
#include <mutex>

#include "reference/control/control_store.h"

namespace outpost::control {

namespace {
class MemoryControlStore final : public ControlStore {
 public:
  std::vector<auth::ScopeMap> scope_maps() override { return values(scope_maps_); }
  void put_scope_map(const auth::ScopeMap& scope_map) override {
    std::lock_guard lock(mutex_);
    auth::ScopeMap& stored = scope_maps_[scope_map.name];
    // A sync map grows by a few actions at each descendant's creation: room to grow, so that writing it again
    // assigns the strings in place instead of copying every one into a new array (that was quadratic in a wide tree).
    if (stored.actions.capacity() < scope_map.actions.size()) stored.actions.reserve(2 * scope_map.actions.size());
    stored = scope_map;
  }
  bool erase_scope_map(std::string_view name) override { return erase(scope_maps_, name); }

  std::vector<auth::Token> tokens() override { return values(tokens_); }
  void put_token(const auth::Token& token) override {
    std::lock_guard lock(mutex_);
    tokens_[token.name] = token;
  }
  bool erase_token(std::string_view name) override { return erase(tokens_, name); }

  std::vector<ConnectedRegistry> connected_registries() override { return values(connected_registries_); }
  void put_connected_registry(const ConnectedRegistry& cr) override {
    std::lock_guard lock(mutex_);
    connected_registries_[cr.name] = cr;
  }
  bool erase_connected_registry(std::string_view name) override { return erase(connected_registries_, name); }

  std::optional<std::string> setting(std::string_view key) override {
    std::lock_guard lock(mutex_);
    const auto it = settings_.find(key);
    if (it == settings_.end()) return std::nullopt;
    return it->second;
  }
  void put_setting(std::string_view key, std::string_view value) override {
    std::lock_guard lock(mutex_);
    // Assigned in place: a node rewrites its replica's document (hundreds of kilobytes at a regional node) on every
    // change, and a temporary copy of it cost an allocation and a copy more each time.
    if (const auto it = settings_.find(key); it != settings_.end())
      it->second.assign(value);
    else
      settings_.emplace(std::string(key), std::string(value));
  }

 private:
  template <typename T>
  std::vector<T> values(const std::map<std::string, T, std::less<>>& map) {
    std::lock_guard lock(mutex_);
    std::vector<T> out;
    for (const auto& [name, value] : map) out.push_back(value);
    return out;
  }
  template <typename T>
  bool erase(std::map<std::string, T, std::less<>>& map, std::string_view name) {
    std::lock_guard lock(mutex_);
    const auto it = map.find(name);
    if (it == map.end()) return false;
    map.erase(it);
    return true;
  }

  std::mutex mutex_;
  std::map<std::string, auth::ScopeMap, std::less<>> scope_maps_;
  std::map<std::string, auth::Token, std::less<>> tokens_;
  std::map<std::string, ConnectedRegistry, std::less<>> connected_registries_;
  std::map<std::string, std::string, std::less<>> settings_;
};
}  // namespace

std::unique_ptr<ControlStore> open_memory_control_store() { return std::make_unique<MemoryControlStore>(); }

}  // namespace outpost::control
