// The control plane's state: loading it from the store, publishing snapshots, the admin user and node settings.
// The management operations live in scope_map_api.cpp, token_api.cpp and connected_registry_api.cpp.
#include <algorithm>
#include <stdexcept>

#include "reference/control/connected_registry_config.h"
#include "reference/control/control_plane_impl.h"

namespace outpost::control {

// ---- Snapshot ----

const auth::Token* Snapshot::token(std::string_view name) const {
  const auto it = tokens.find(name);
  return it == tokens.end() ? nullptr : &it->second;
}

const auth::PermissionSet* Snapshot::permissions_of(const auth::Token& token) const {
  const auto it = permissions.find(token.scope_map);
  return it == permissions.end() ? nullptr : &it->second;
}

uint64_t Snapshot::generation(std::string_view token_name) const {
  const auto it = generations.find(token_name);
  return it == generations.end() ? 0 : it->second;
}

const ConnectedRegistry* Snapshot::connected_registry(std::string_view name) const {
  const auto it = connected_registries.find(name);
  return it == connected_registries.end() ? nullptr : &it->second;
}

uint64_t Snapshot::config_version(std::string_view name) const {
  const auto it = config_versions.find(name);
  return it == config_versions.end() ? 0 : it->second;
}

const std::vector<std::string>& Snapshot::children_of(std::string_view name) const {
  static const std::vector<std::string> none;
  const auto it = children.find(name);
  return it == children.end() ? none : it->second;
}

// ---- Impl ----

// The store keeps only user-defined maps; one that claims a system map's name (written by something other than this
// control plane) cannot shadow the system map.
std::shared_ptr<Snapshot> ControlPlane::Impl::load(ControlStore& store) {
  // Generations must never repeat across restarts: a refresh token revoked by a disable or a scope-map change carries
  // the old generation, and a restart that numbered tokens from 1 again could hand that number back. Each start bumps
  // a stored epoch and numbers generations above epoch << 32.
  const auto stored_epoch = store.setting(kGenerationEpochSetting);
  const uint64_t epoch = (stored_epoch ? std::stoull(*stored_epoch) : 0) + 1;
  store.put_setting(kGenerationEpochSetting, std::to_string(epoch));

  auto snapshot = std::make_shared<Snapshot>();
  snapshot->generation_counter = epoch << 32;
  snapshot->version = 1;
  for (const auth::ScopeMap& system : auth::system_scope_maps()) {
    snapshot->scope_maps.emplace(system.name, system);
    snapshot->permissions.emplace(system.name, system.permissions());
  }
  for (auth::ScopeMap& scope_map : store.scope_maps()) {
    if (auth::find_system_scope_map(scope_map.name)) continue;
    scope_map.type = auth::ScopeMapType::UserDefined;
    snapshot->permissions.insert_or_assign(scope_map.name, scope_map.permissions());
    snapshot->scope_maps.insert_or_assign(scope_map.name, std::move(scope_map));
  }
  for (auth::Token& token : store.tokens()) {
    if (token.name == kAdminUser) continue;  // the admin user's name; the API never makes such a token
    snapshot->generations.insert_or_assign(token.name, next_generation(*snapshot));
    snapshot->tokens.insert_or_assign(token.name, std::move(token));
  }
  if (auto hash = store.setting(kAdminPasswordHashSetting)) {
    snapshot->admin_password_hash = std::move(*hash);
    snapshot->generations.insert_or_assign(std::string(kAdminUser), next_generation(*snapshot));
  }
  for (const ConnectedRegistry& cr : store.connected_registries()) set_connected_registry(*snapshot, cr);
  return snapshot;
}

ControlPlane::Impl::Impl(ControlStore& store, const Clock& clock, Random& random)
    : store(store), clock(clock), random(random), current_(load(store)) {
  // Every configuration is new to this process: new versions, above anything an earlier start handed out.
  auto first = std::make_shared<Snapshot>(*current());
  assign_config_versions(*first, config_digests_, [&first] { return next_generation(*first); });
  current_.store(std::move(first), std::memory_order_release);
}

void ControlPlane::Impl::publish(std::shared_ptr<Snapshot> next) {
  const auto before = current();
  next->version = before->version + 1;
  refresh_config_versions(*before, *next, config_digests_, [&next] { return next_generation(*next); });
  current_.store(std::move(next), std::memory_order_release);
}

void ControlPlane::Impl::set_scope_map(Snapshot& next, const auth::ScopeMap& scope_map) {
  const auto old = next.scope_maps.find(scope_map.name);
  const bool actions_changed = old == next.scope_maps.end() || old->second.actions != scope_map.actions;
  next.scope_maps.insert_or_assign(scope_map.name, scope_map);
  if (!actions_changed) return;
  next.permissions.insert_or_assign(scope_map.name, scope_map.permissions());
  for (const auto& [name, token] : next.tokens)
    if (token.scope_map == scope_map.name) next.generations[name] = next_generation(next);
}

void ControlPlane::Impl::erase_scope_map(Snapshot& next, std::string_view name) {
  if (const auto it = next.scope_maps.find(name); it != next.scope_maps.end()) next.scope_maps.erase(it);
  if (const auto it = next.permissions.find(name); it != next.permissions.end()) next.permissions.erase(it);
  // Callers refuse to delete a map a token uses; should one still name it, it loses its permissions: a new state.
  for (const auto& [token_name, token] : next.tokens)
    if (token.scope_map == name) next.generations[token_name] = next_generation(next);
}

void ControlPlane::Impl::set_token(Snapshot& next, const auth::Token& token) {
  next.tokens.insert_or_assign(token.name, token);
  next.generations.insert_or_assign(token.name, next_generation(next));
}

void ControlPlane::Impl::erase_token(Snapshot& next, std::string_view name) {
  if (const auto it = next.tokens.find(name); it != next.tokens.end()) next.tokens.erase(it);
  if (const auto it = next.generations.find(name); it != next.generations.end()) next.generations.erase(it);
}

void ControlPlane::Impl::set_connected_registry(Snapshot& next, const ConnectedRegistry& cr) {
  const bool is_new = !next.connected_registries.contains(cr.name);
  next.connected_registries.insert_or_assign(cr.name, cr);
  if (!is_new) return;
  next.sync_token_owners.insert_or_assign(cr.sync.token, cr.name);
  std::vector<std::string>& siblings = next.children[cr.parent.value_or("")];
  siblings.insert(std::lower_bound(siblings.begin(), siblings.end(), cr.name), cr.name);
}

void ControlPlane::Impl::erase_connected_registry(Snapshot& next, std::string_view name) {
  const auto it = next.connected_registries.find(name);
  if (it == next.connected_registries.end()) return;
  const ConnectedRegistry cr = it->second;
  next.connected_registries.erase(it);
  if (const auto owner = next.sync_token_owners.find(cr.sync.token);
      owner != next.sync_token_owners.end() && owner->second == cr.name)
    next.sync_token_owners.erase(owner);
  if (const auto siblings = next.children.find(cr.parent.value_or("")); siblings != next.children.end()) {
    std::erase(siblings->second, cr.name);
    if (siblings->second.empty()) next.children.erase(siblings);
  }
  if (const auto own = next.children.find(name); own != next.children.end()) next.children.erase(own);
}

std::string ControlPlane::Impl::new_password(auth::PasswordSlot& slot, const auth::PasswordHashCost& cost,
                                             std::optional<WallTime> expiry) {
  std::string value = auth::generate_password(random);
  slot.present = true;
  slot.hash = auth::hash_password(value, random, cost);
  slot.creation_time = clock.now();
  slot.expiry = expiry;
  return value;
}

// ---- ControlPlane ----

ControlPlane::ControlPlane(ControlStore& store, const Clock& clock, Random& random, ControlPlaneOptions options)
    : impl_(std::make_shared<Impl>(store, clock, random)), options_(options) {}

std::shared_ptr<const Snapshot> ControlPlane::snapshot() const { return impl_->current(); }

std::optional<std::string> ControlPlane::ensure_admin(const std::optional<std::string>& from_file) {
  std::lock_guard lock(impl_->writer);
  std::optional<std::string> generated;
  std::string password;
  if (from_file) {
    if (from_file->empty()) throw std::invalid_argument("the admin password is empty");
    password = *from_file;
  } else if (!impl_->current()->admin_password_hash.empty()) {
    return std::nullopt;
  } else {
    password = auth::generate_password(impl_->random);
    generated = password;
  }
  std::string hash = auth::hash_password(password, impl_->random, options_.hash_cost);
  impl_->store.put_setting(kAdminPasswordHashSetting, hash);
  auto next = impl_->draft();
  next->admin_password_hash = std::move(hash);
  next->generations.insert_or_assign(std::string(kAdminUser), Impl::next_generation(*next));
  impl_->publish(std::move(next));
  return generated;
}

std::optional<std::string> ControlPlane::setting(std::string_view key) const { return impl_->store.setting(key); }

void ControlPlane::put_setting(std::string_view key, std::string_view value) {
  if (key == kAdminPasswordHashSetting)
    throw std::invalid_argument("the admin password hash is set through ensure_admin, which also republishes it");
  std::lock_guard lock(impl_->writer);
  impl_->store.put_setting(key, value);
}

}  // namespace outpost::control
