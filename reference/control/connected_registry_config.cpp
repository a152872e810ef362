#include "reference/control/connected_registry_config.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "reference/auth/names.h"
#include "reference/common/iso_duration.h"
#include "reference/common/json_error.h"
#include "reference/common/time_format.h"
#include "reference/control/control_errors.h"
#include "reference/oci/digest.h"

namespace outpost::control {

namespace {
using nlohmann::json;

// RFC 3339 with all nine fraction digits: format_rfc3339 stops at milliseconds, and an expiry must mean the same
// instant at the cloud and at every CR.
std::string precise_rfc3339(WallTime time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  std::string text = format_rfc3339(seconds);  // "...:SS.000Z"
  char fraction[16];
  std::snprintf(fraction, sizeof fraction, "%09lld",
                static_cast<long long>(std::chrono::duration_cast<Nanoseconds>(time - seconds).count()));
  text.resize(text.size() - 4);  // drop "000Z", keep the '.'
  return text + fraction + "Z";
}

WallTime time_from(const json& value, std::string_view field) {
  const auto parsed = value.is_string() ? parse_rfc3339(value.get<std::string>()) : std::nullopt;
  if (!parsed) throw std::invalid_argument("configuration field '" + std::string(field) + "' is not an RFC 3339 time");
  return *parsed;
}

json token_config(const auth::Token& token, uint64_t generation) {
  json passwords = json::array();
  for (auth::PasswordName which : {auth::PasswordName::Password1, auth::PasswordName::Password2}) {
    const auth::PasswordSlot& slot = token.password(which);
    if (!slot.present) continue;
    json entry = {{"name", std::string(auth::to_string(which))},
                  {"hash", slot.hash},
                  {"creationTime", precise_rfc3339(slot.creation_time)}};
    if (slot.expiry) entry["expiry"] = precise_rfc3339(*slot.expiry);
    passwords.push_back(std::move(entry));
  }
  return {{"name", token.name},
          {"scopeMap", token.scope_map},
          {"status", std::string(auth::to_string(token.status))},
          {"generation", generation},
          {"passwords", std::move(passwords)}};
}

std::string digest_of(const json& document) { return oci::digest_of(document.dump()).str(); }

// For a configuration without generations: 63 bits of a digest of what the generation must follow, the token's
// credentials (name, status, passwords). Not its scope map: a generation does not move when what the token may do
// changes (Snapshot::generations).
uint64_t derived_generation(json token) {
  token.erase("scopeMap");
  token.erase("generation");
  const std::string digest = digest_of(token);
  return std::stoull(digest.substr(digest.find(':') + 1, 15), nullptr, 16) + 1;
}

const json& member(const json& object, std::string_view field) {
  const auto it = object.find(field);
  if (it == object.end()) throw std::invalid_argument("configuration lacks '" + std::string(field) + "'");
  return *it;
}

ConnectedRegistry registry_from_config(const json& config) {
  ConnectedRegistry cr;
  cr.name = member(config, "name").get<std::string>();
  const auto mode = parse_registry_mode(member(config, "mode").get<std::string>());
  if (!mode) throw std::invalid_argument("configuration field 'mode' is not ReadWrite or ReadOnly");
  cr.mode = *mode;
  if (const json& parent = member(config, "parent"); !parent.is_null()) cr.parent = parent.get<std::string>();
  cr.repositories = member(config, "repositories").get<std::vector<std::string>>();
  cr.client_tokens = member(config, "clientTokens").get<std::vector<std::string>>();
  const json& sync = member(config, "sync");
  cr.sync.token = member(sync, "token").get<std::string>();
  cr.sync.schedule = member(sync, "schedule").get<std::string>();
  if (const json& window = member(sync, "window"); !window.is_null()) {
    cr.sync.window = parse_iso_duration(window.get<std::string>());
    if (!cr.sync.window) throw std::invalid_argument("configuration field 'sync.window' is not an ISO-8601 duration");
  }
  const auto ttl = parse_iso_duration(member(sync, "messageTtl").get<std::string>());
  if (!ttl) throw std::invalid_argument("configuration field 'sync.messageTtl' is not an ISO-8601 duration");
  cr.sync.message_ttl = *ttl;
  cr.notifications = member(config, "notifications").get<std::vector<std::string>>();
  cr.log_level = member(member(config, "logging"), "level").get<std::string>();
  cr.gc.enabled = member(member(config, "gc"), "enabled").get<bool>();
  cr.gc.schedule = member(member(config, "gc"), "schedule").get<std::string>();
  cr.resync_generation = member(config, "resync").get<uint64_t>();
  return cr;
}
}  // namespace

json own_config(const Snapshot& snapshot, std::string_view name) {
  const ConnectedRegistry* cr = snapshot.connected_registry(name);
  if (!cr) throw not_found("connected registry '" + std::string(name) + "' does not exist", {{"name", name}});
  const auth::Token* sync_token = snapshot.token(cr->sync.token);
  const std::vector<std::string>& children = snapshot.children_of(cr->name);

  std::set<std::string> token_names(cr->client_tokens.begin(), cr->client_tokens.end());
  for (const std::string& child : children)
    if (const ConnectedRegistry* child_cr = snapshot.connected_registry(child))
      token_names.insert(child_cr->sync.token);
  json tokens = json::array();
  std::set<std::string> map_names;
  for (const std::string& token_name : token_names) {
    const auth::Token* token = snapshot.token(token_name);
    if (!token) continue;
    tokens.push_back(token_config(*token, snapshot.generation(token_name)));
    map_names.insert(token->scope_map);
  }
  json scope_maps = json::array();
  for (const std::string& map_name : map_names) {
    const auto it = snapshot.scope_maps.find(map_name);
    if (it == snapshot.scope_maps.end() || it->second.type == auth::ScopeMapType::SystemDefined) continue;
    scope_maps.push_back({{"name", map_name}, {"actions", it->second.actions}});
  }

  return {{"name", cr->name},
          {"mode", std::string(to_string(cr->mode))},
          {"parent", cr->parent ? json(*cr->parent) : json(nullptr)},
          {"repositories", cr->repositories},
          {"clientTokens", cr->client_tokens},
          {"sync",
           {{"token", cr->sync.token},
            {"schedule", cr->sync.schedule},
            {"window", cr->sync.window ? json(format_iso_duration(*cr->sync.window)) : json(nullptr)},
            {"messageTtl", format_iso_duration(cr->sync.message_ttl)}}},
          {"notifications", cr->notifications},
          {"logging", {{"level", cr->log_level}}},
          {"gc", {{"enabled", cr->gc.enabled}, {"schedule", cr->gc.schedule}}},
          {"enabled", sync_token != nullptr && sync_token->status == auth::TokenStatus::Enabled},
          {"resync", cr->resync_generation},
          {"children", children},
          {"tokens", std::move(tokens)},
          {"scopeMaps", std::move(scope_maps)}};
}

std::shared_ptr<Snapshot> snapshot_from_config(const json& config) {
  if (!config.is_object()) throw std::invalid_argument("a connected registry's configuration must be a JSON object");
  auto snapshot = std::make_shared<Snapshot>(system_snapshot());
  snapshot->version = 1;
  try {
    for (const json& entry : member(config, "scopeMaps")) {
      auth::ScopeMap scope_map;
      scope_map.name = member(entry, "name").get<std::string>();
      if (auth::find_system_scope_map(scope_map.name)) continue;  // cannot shadow a system map
      scope_map.actions = member(entry, "actions").get<std::vector<std::string>>();
      snapshot->permissions.insert_or_assign(scope_map.name, scope_map.permissions());
      snapshot->scope_maps.insert_or_assign(scope_map.name, std::move(scope_map));
    }
    for (const json& entry : member(config, "tokens")) {
      auth::Token token;
      token.name = member(entry, "name").get<std::string>();
      token.scope_map = member(entry, "scopeMap").get<std::string>();
      const auto status = auth::parse_token_status(member(entry, "status").get<std::string>());
      token.status = status.value_or(auth::TokenStatus::Disabled);
      for (const json& password : member(entry, "passwords")) {
        const auto which = auth::parse_password_name(member(password, "name").get<std::string>());
        if (!which) throw std::invalid_argument("configuration names an unknown password slot");
        auth::PasswordSlot& slot = token.password(*which);
        slot.present = true;
        slot.hash = member(password, "hash").get<std::string>();
        slot.creation_time = time_from(member(password, "creationTime"), "creationTime");
        if (const auto expiry = password.find("expiry"); expiry != password.end() && !expiry->is_null())
          slot.expiry = time_from(*expiry, "expiry");
      }
      uint64_t generation = 0;
      if (const auto it = entry.find("generation"); it != entry.end() && it->is_number_unsigned())
        generation = it->get<uint64_t>();
      if (generation == 0) generation = derived_generation(entry);
      snapshot->generations.insert_or_assign(token.name, generation);
      snapshot->index_token(snapshot->token(token.name), &token);
      snapshot->tokens.insert_or_assign(token.name, std::move(token));
    }

    // A document with tokens and maps only (a node not configured yet) makes a snapshot without the tree.
    if (!config.contains("mode")) return snapshot;
    ConnectedRegistry self = registry_from_config(config);
    std::vector<std::string> children = member(config, "children").get<std::vector<std::string>>();
    std::sort(children.begin(), children.end());
    for (const std::string& child_name : children) {
      ConnectedRegistry child;
      child.name = child_name;
      child.parent = self.name;
      child.sync.token = auth::sync_token_name(child_name);
      snapshot->sync_token_owners.insert_or_assign(child.sync.token, child_name);
      snapshot->connected_registries.insert_or_assign(child_name, std::move(child));
    }
    snapshot->children.insert_or_assign(self.name, std::move(children));
    snapshot->sync_token_owners.insert_or_assign(self.sync.token, self.name);
    const std::string self_name = self.name;
    snapshot->index_client_tokens(nullptr, &self);
    snapshot->connected_registries.insert_or_assign(self_name, std::move(self));
  } catch (const json::exception& error) {
    throw std::invalid_argument("configuration has a field of the wrong type: " + json_error_message(error));
  }
  return snapshot;
}

const ConnectedRegistry* sync_token_owner(const Snapshot& snapshot, std::string_view token) {
  const auto it = snapshot.sync_token_owners.find(token);
  return it == snapshot.sync_token_owners.end() ? nullptr : snapshot.connected_registry(it->second);
}

bool accepted_at_cloud(const Snapshot& snapshot, const auth::Token& token) {
  if (snapshot.retired_sync_tokens.contains(token.name)) return false;  // SPEC 2.10, even if enabled again
  const ConnectedRegistry* owner = sync_token_owner(snapshot, token.name);
  return owner == nullptr || !owner->parent.has_value();
}

std::vector<std::string> ancestors_of(const Snapshot& snapshot, std::string_view name) {
  std::vector<std::string> ancestors;
  const ConnectedRegistry* cr = snapshot.connected_registry(name);
  // Parents are immutable and must exist when a CR is created, so the chain ends; the bound guards a damaged store.
  while (cr && cr->parent && ancestors.size() <= snapshot.connected_registries.size()) {
    ancestors.push_back(*cr->parent);
    cr = snapshot.connected_registry(*cr->parent);
  }
  return ancestors;
}

std::vector<std::string> descendants_of(const Snapshot& snapshot, std::string_view name) {
  std::vector<std::string> out;
  std::vector<std::string> stack(snapshot.children_of(name).rbegin(), snapshot.children_of(name).rend());
  while (!stack.empty() && out.size() <= snapshot.connected_registries.size()) {
    std::string next = std::move(stack.back());
    stack.pop_back();
    const auto& children = snapshot.children_of(next);
    stack.insert(stack.end(), children.rbegin(), children.rend());
    out.push_back(std::move(next));
  }
  return out;
}

void assign_config_versions(Snapshot& snapshot, ConfigDigests& digests, const VersionSource& new_version) {
  digests.clear();
  snapshot.config_versions.clear();
  for (const auto& [name, cr] : snapshot.connected_registries) {
    digests.insert_or_assign(name, digest_of(own_config(snapshot, name)));
    snapshot.config_versions.insert_or_assign(name, new_version());
  }
}

namespace {
// Whether two versions of a CR's record make the same configuration documents, its own and its parent's: all but the
// instance that activated it, which no document carries (an activation then costs no digests).
// Copies a record only when the instances differ: the diff visits every record of each chunk a change copied (dozens
// per change), and copying each to compare it was a good part of creating a connected registry.
bool same_configuration(const ConnectedRegistry& a, const ConnectedRegistry& b) {
  if (a.instance_id == b.instance_id) return a == b;
  ConnectedRegistry other_instance = a;
  other_instance.instance_id = b.instance_id;
  return other_instance == b;
}
}  // namespace

void refresh_config_versions(const Snapshot& before, Snapshot& next, ConfigDigests& digests,
                             const VersionSource& new_version) {
  // `next` is a copy of `before`, edited: the diffs below visit only the records in the maps' chunks the edit touched
  // (cow_map.h), so a change costs what it changed, not the number of connected registries.
  std::set<std::string, std::less<>> affected;
  // Documents that changed for sure, bumped without being digested: parents that gained or lost a child (their
  // documents list the children's sync tokens; digesting a parent of n children at each of its n creations made
  // building a wide tree quadratic: kraken has 520 leaves per parent) and those carrying a scope map whose actions
  // changed (below). Their digest is forgotten and taken again the next time something else touches them.
  std::set<std::string, std::less<>> changed_for_sure;
  const auto with_parent = [&](const std::string& name, const ConnectedRegistry& cr) {
    affected.insert(name);
    if (cr.parent) affected.insert(*cr.parent);
  };
  NameMap<ConnectedRegistry>::diff(before.connected_registries, next.connected_registries,
                                   [&](const std::string& name, const ConnectedRegistry* old, const ConnectedRegistry* now) {
                                     if (old && now && same_configuration(*old, *now)) return;
                                     if (old) with_parent(name, *old);
                                     if (now) with_parent(name, *now);
                                     const ConnectedRegistry* either = now ? now : old;
                                     if ((!old || !now) && either->parent) changed_for_sure.insert(*either->parent);
                                     if (!now) {
                                       digests.erase(name);
                                       next.config_versions.erase(name);
                                     }
                                   });

  // Tokens whose entry in a configuration may have changed: a generation that moved (their credentials, or their
  // place in a client list), another scope map, or new actions in their map. The last two do not move a generation
  // (Snapshot::generations), so the maps are compared themselves.
  std::set<std::string, std::less<>> moved_tokens;
  NameMap<uint64_t>::diff(before.generations, next.generations,
                          [&](const std::string& name, const uint64_t* old, const uint64_t* now) {
                            if (!old || !now || *old != *now) moved_tokens.insert(name);
                          });
  std::set<std::string, std::less<>> changed_maps;
  NameMap<auth::ScopeMap>::diff(before.scope_maps, next.scope_maps,
                                [&](const std::string& name, const auth::ScopeMap* old, const auth::ScopeMap* now) {
                                  if (!old || !now || old->actions != now->actions) changed_maps.insert(name);
                                });
  NameMap<auth::Token>::diff(before.tokens, next.tokens,
                             [&](const std::string& name, const auth::Token* old, const auth::Token* now) {
                               if (old && now && old->scope_map != now->scope_map) moved_tokens.insert(name);
                             });
  for (const std::string& map : changed_maps)
    for (const std::string& token : next.users_of(map)) {
      if (!before.tokens.contains(token)) continue;
      moved_tokens.insert(token);
      // A configuration listing this token carries its map's actions (own_config's "scopeMaps"), so it changed for
      // sure: the CRs that accept it as a client token, and the parent of the CR it is the sync token of. Not digested
      // either: a new CR adds its gateway actions to every ancestor's sync map, and digesting the documents that carry
      // those maps (a regional CR's lists every site's) at each creation made building a wide tree quadratic.
      for (const std::string& client_of : next.clients_of(token)) changed_for_sure.insert(client_of);
      if (const ConnectedRegistry* owner = sync_token_owner(next, token); owner && owner->parent)
        changed_for_sure.insert(*owner->parent);
    }
  for (const std::string& token : moved_tokens) {
    for (const std::string& client_of : next.clients_of(token)) affected.insert(client_of);
    if (const ConnectedRegistry* owner = sync_token_owner(next, token)) with_parent(owner->name, *owner);
  }

  std::set<std::string> bump;
  for (const std::string& name : affected) {
    if (!next.connected_registry(name)) continue;
    if (changed_for_sure.contains(name)) {
      digests.erase(name);
    } else {
      std::string digest = digest_of(own_config(next, name));
      const auto known = digests.find(name);
      if (known != digests.end() && known->second == digest) continue;  // (no digest known: counted as a change)
      digests.insert_or_assign(name, std::move(digest));
    }
    // This CR and everything above it: each relays this configuration.
    if (!bump.insert(name).second) continue;
    for (std::string& ancestor : ancestors_of(next, name))
      if (!bump.insert(std::move(ancestor)).second) break;
  }
  for (const std::string& name : bump) next.config_versions.insert_or_assign(name, new_version());
}

}  // namespace outpost::control
