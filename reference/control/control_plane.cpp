// The control plane's state: loading it from the store, publishing snapshots, the admin user and node settings.
// The management operations live in scope_map_api.cpp, token_api.cpp and connected_registry_api.cpp.
#include <algorithm>
#include <iterator>
#include <optional>
#include <set>
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

namespace {
const std::vector<std::string>& list_at(const NameMap<std::vector<std::string>>& lists, std::string_view name) {
  static const std::vector<std::string> none;
  const auto it = lists.find(name);
  return it == lists.end() ? none : it->second;
}
}  // namespace

const std::vector<std::string>& Snapshot::children_of(std::string_view name) const { return list_at(children, name); }
const std::vector<std::string>& Snapshot::clients_of(std::string_view token) const {
  return list_at(client_token_users, token);
}
const std::vector<std::string>& Snapshot::users_of(std::string_view scope_map) const {
  return list_at(scope_map_users, scope_map);
}

namespace {
void add_name(NameMap<std::vector<std::string>>& lists, const std::string& key, const std::string& name) {
  std::vector<std::string>& list = lists[key];
  const auto at = std::lower_bound(list.begin(), list.end(), name);
  if (at == list.end() || *at != name) list.insert(at, name);
}

void remove_name(NameMap<std::vector<std::string>>& lists, const std::string& key, const std::string& name) {
  if (!lists.contains(key)) return;
  std::vector<std::string>& list = lists[key];
  std::erase(list, name);
  if (list.empty()) lists.erase(key);
}
}  // namespace

void Snapshot::index_token(const auth::Token* before, const auth::Token* after) {
  if (before && after && before->scope_map == after->scope_map) return;
  if (before) remove_name(scope_map_users, before->scope_map, before->name);
  if (after) add_name(scope_map_users, after->scope_map, after->name);
}

void Snapshot::index_client_tokens(const ConnectedRegistry* before, const ConnectedRegistry* after) {
  if (before && after && before->client_tokens == after->client_tokens) return;
  if (before)
    for (const std::string& token : before->client_tokens) remove_name(client_token_users, token, before->name);
  if (after)
    for (const std::string& token : after->client_tokens) add_name(client_token_users, token, after->name);
}

const Snapshot& system_snapshot() {
  static const Snapshot systems = [] {
    Snapshot snapshot;
    for (const auth::ScopeMap& system : auth::system_scope_maps()) {
      snapshot.scope_maps.emplace(system.name, system);
      snapshot.permissions.emplace(system.name, system.permissions());
    }
    return snapshot;
  }();
  return systems;
}

// ---- Impl ----

namespace {
using NameSet = std::set<std::string, std::less<>>;

NameSet decode_names(const std::string& text) {
  NameSet names;
  const nlohmann::json parsed = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_array()) return names;
  for (const nlohmann::json& name : parsed)
    if (name.is_string()) names.insert(name.get<std::string>());
  return names;
}

// Whether the same passwords log in as `a` and `b` (status, hashes, creation times, expiries): what a generation
// follows. The scope map is left out on purpose (Snapshot::generations).
bool same_credentials(const auth::Token& a, const auth::Token& b) {
  if (a.status != b.status) return false;
  for (size_t i = 0; i < a.passwords.size(); ++i) {
    const auth::PasswordSlot& x = a.passwords[i];
    const auth::PasswordSlot& y = b.passwords[i];
    if (x.present != y.present || x.hash != y.hash || x.creation_time != y.creation_time || x.expiry != y.expiry)
      return false;
  }
  return true;
}
}  // namespace

// The store keeps only user-defined maps; one that claims a system map's name (written by something other than this
// control plane) cannot shadow the system map.
std::shared_ptr<Snapshot> ControlPlane::Impl::load(ControlStore& store) {
  // Generations must never repeat across restarts: a refresh token revoked by a disable or a new password carries the
  // old generation, and a restart that numbered tokens from 1 again could hand that number back. Each start bumps
  // a stored epoch and numbers generations above epoch << 32.
  const auto stored_epoch = store.setting(kGenerationEpochSetting);
  const uint64_t epoch = (stored_epoch ? std::stoull(*stored_epoch) : 0) + 1;
  store.put_setting(kGenerationEpochSetting, std::to_string(epoch));

  auto snapshot = std::make_shared<Snapshot>(system_snapshot());
  snapshot->generation_counter = epoch << 32;
  snapshot->version = 1;
  for (auth::ScopeMap& scope_map : store.scope_maps()) {
    if (auth::find_system_scope_map(scope_map.name)) continue;
    scope_map.type = auth::ScopeMapType::UserDefined;
    snapshot->permissions.insert_or_assign(scope_map.name, scope_map.permissions());
    snapshot->scope_maps.insert_or_assign(scope_map.name, std::move(scope_map));
  }
  for (auth::Token& token : store.tokens()) {
    if (token.name == kAdminUser) continue;  // the admin user's name; the API never makes such a token
    snapshot->generations.insert_or_assign(token.name, next_generation(*snapshot));
    snapshot->index_token(snapshot->token(token.name), &token);
    snapshot->tokens.insert_or_assign(token.name, std::move(token));
  }
  if (auto hash = store.setting(kAdminPasswordHashSetting)) {
    snapshot->admin_password_hash = std::move(*hash);
    snapshot->generations.insert_or_assign(std::string(kAdminUser), next_generation(*snapshot));
  }
  for (const ConnectedRegistry& cr : store.connected_registries()) set_connected_registry(*snapshot, cr);
  // SPEC 2.10. A retirement is written before its CR is erased and forgotten after the token is deleted or taken
  // over, so after a crash between those writes the setting may name a token that is gone or owned by a CR again:
  // such names are dropped here (and the setting rewritten, so that a token made later under that name is not
  // retired by a stale entry).
  if (const auto stored = store.setting(kRetiredSyncTokensSetting)) {
    const NameSet listed = decode_names(*stored);
    for (const std::string& name : listed)
      if (snapshot->tokens.contains(name) && !snapshot->sync_token_owners.contains(name))
        snapshot->retired_sync_tokens.insert(name);
    if (snapshot->retired_sync_tokens != listed) save_retired_sync_tokens(store, snapshot->retired_sync_tokens);
  }
  return snapshot;
}

ControlPlane::Impl::Impl(ControlStore& store, const Clock& clock, Random& random)
    : store(store), clock(clock), random(random), current_(load(store)) {
  // Every configuration is new to this process: new versions, above anything an earlier start handed out.
  auto first = std::make_shared<Snapshot>(*current());
  assign_config_versions(*first, config_digests_, [&first] { return next_generation(*first); });
  current_.store(std::move(first));
}

void ControlPlane::Impl::publish(std::shared_ptr<Snapshot> next) {
  const auto before = current();
  // Retirements end as a side effect of other edits (erase_token, set_connected_registry); persisted here, before
  // the snapshot that shows them. (A change that retires a token writes the setting itself, first: Change::persist.)
  if (next->retired_sync_tokens != before->retired_sync_tokens)
    save_retired_sync_tokens(store, next->retired_sync_tokens);
  next->version = before->version + 1;
  refresh_config_versions(*before, *next, config_digests_, [&next] { return next_generation(*next); });
  current_.store(std::move(next));
}

void ControlPlane::Impl::set_scope_map(Snapshot& next, auth::ScopeMap scope_map,
                                       const std::vector<std::string>* added) {
  if (added && next.scope_maps.contains(scope_map.name)) {
    if (const auto compiled = next.permissions.find(scope_map.name); compiled != next.permissions.end()) {
      if (!added->empty()) {
        auth::PermissionSet grown = compiled->second;
        grown.add(auth::parse_actions(*added).rules);
        next.permissions.insert_or_assign(scope_map.name, std::move(grown));
      }
      std::string name = scope_map.name;
      next.scope_maps.insert_or_assign(std::move(name), std::move(scope_map));
      return;
    }
  }
  const auto old = next.scope_maps.find(scope_map.name);
  const bool actions_changed = old == next.scope_maps.end() || old->second.actions != scope_map.actions;
  // A map that only gained actions (sorted lists, as sync maps keep theirs) adds the new ones' rules to what it had:
  // compiling a parent's sync map anew at each descendant's creation made building a wide tree quadratic.
  std::optional<auth::PermissionSet> grown;
  if (actions_changed && old != next.scope_maps.end()) {
    const std::vector<std::string>& before = old->second.actions;
    const std::vector<std::string>& after = scope_map.actions;
    const auto compiled = next.permissions.find(scope_map.name);
    if (compiled != next.permissions.end() && std::is_sorted(before.begin(), before.end()) &&
        std::is_sorted(after.begin(), after.end()) &&
        std::includes(after.begin(), after.end(), before.begin(), before.end())) {
      std::vector<std::string> added;
      std::set_difference(after.begin(), after.end(), before.begin(), before.end(), std::back_inserter(added));
      grown = compiled->second;
      grown->add(auth::parse_actions(added).rules);
    }
  }
  // The tokens naming this map keep their generations: their outstanding JWTs and refresh tokens stay valid, and the
  // new permissions bound them from the next request on (SPEC 4.1). Connected registries still learn of the change:
  // refresh_config_versions compares the maps themselves.
  if (actions_changed)
    next.permissions.insert_or_assign(scope_map.name, grown ? std::move(*grown) : scope_map.permissions());
  std::string name = scope_map.name;
  next.scope_maps.insert_or_assign(std::move(name), std::move(scope_map));
}

void ControlPlane::Impl::erase_scope_map(Snapshot& next, std::string_view name) {
  // Callers refuse to delete a map a token uses; should one still name it, it has no permissions from now on
  // (Snapshot::permissions_of answers null, which grants nothing).
  if (const auto it = next.scope_maps.find(name); it != next.scope_maps.end()) next.scope_maps.erase(it);
  if (const auto it = next.permissions.find(name); it != next.permissions.end()) next.permissions.erase(it);
}

void ControlPlane::Impl::set_token(Snapshot& next, const auth::Token& token) {
  const auth::Token* old = next.token(token.name);
  const bool new_credentials = old == nullptr || !same_credentials(*old, token);
  next.index_token(old, &token);
  next.tokens.insert_or_assign(token.name, token);
  if (new_credentials) next.generations.insert_or_assign(token.name, next_generation(next));
}

void ControlPlane::Impl::erase_token(Snapshot& next, std::string_view name) {
  if (const auto it = next.tokens.find(name); it != next.tokens.end()) {
    next.index_token(&it->second, nullptr);
    next.tokens.erase(name);
  }
  if (const auto it = next.generations.find(name); it != next.generations.end()) next.generations.erase(it);
  if (const auto it = next.retired_sync_tokens.find(name); it != next.retired_sync_tokens.end())
    next.retired_sync_tokens.erase(it);
}

void ControlPlane::Impl::retire_sync_token(Snapshot& next, std::string_view token) {
  next.retired_sync_tokens.insert(std::string(token));
}

void ControlPlane::Impl::save_retired_sync_tokens(ControlStore& store,
                                                  const std::set<std::string, std::less<>>& retired) {
  store.put_setting(kRetiredSyncTokensSetting, nlohmann::json(retired).dump());
}

void ControlPlane::Impl::set_connected_registry(Snapshot& next, const ConnectedRegistry& cr) {
  const ConnectedRegistry* old = next.connected_registry(cr.name);
  const bool is_new = old == nullptr;
  next.index_client_tokens(old, &cr);
  next.connected_registries.insert_or_assign(cr.name, cr);
  if (!is_new) return;
  next.sync_token_owners.insert_or_assign(cr.sync.token, cr.name);
  if (const auto it = next.retired_sync_tokens.find(cr.sync.token); it != next.retired_sync_tokens.end())
    next.retired_sync_tokens.erase(it);  // taken over by a new CR of that name (SPEC 2.4: its own sync token again)
  std::vector<std::string>& siblings = next.children[cr.parent.value_or("")];
  siblings.insert(std::lower_bound(siblings.begin(), siblings.end(), cr.name), cr.name);
}

void ControlPlane::Impl::erase_connected_registry(Snapshot& next, std::string_view name) {
  const auto it = next.connected_registries.find(name);
  if (it == next.connected_registries.end()) return;
  const ConnectedRegistry cr = it->second;
  next.index_client_tokens(&cr, nullptr);
  next.connected_registries.erase(name);
  if (const auto owner = next.sync_token_owners.find(cr.sync.token);
      owner != next.sync_token_owners.end() && owner->second == cr.name)
    next.sync_token_owners.erase(cr.sync.token);
  const std::string parent = cr.parent.value_or("");
  if (next.children.contains(parent)) {
    std::vector<std::string>& siblings = next.children[parent];
    std::erase(siblings, cr.name);
    if (siblings.empty()) next.children.erase(parent);
  }
  next.children.erase(name);
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
    : impl_(std::make_shared<Impl>(store, clock, random)), options_(options) {
  impl_->status_offline_after = options_.status_offline_after;
  impl_->take_back_reported_statuses();
}

std::shared_ptr<const Snapshot> ControlPlane::snapshot() const { return impl_->current(); }

std::optional<std::string> ControlPlane::ensure_admin(const std::optional<std::string>& from_file) {
  std::lock_guard lock(impl_->writer);
  std::optional<std::string> generated;
  std::string password;
  if (from_file) {
    if (from_file->empty()) throw std::invalid_argument("the admin password is empty");
    password = *from_file;
    // The same password at the same cost as stored: nothing to write. A start rewrote it every time, and on a full
    // disk that write refused the start, so the node could not come up to have content deleted.
    const std::string& stored = impl_->current()->admin_password_hash;
    const std::string same_cost = "pbkdf2-sha256$" + std::to_string(options_.hash_cost.iterations) + "$";
    if (stored.starts_with(same_cost) && auth::verify_password(password, stored)) return std::nullopt;
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
