// Scope-map operations of the management API (SPEC 3.1, 3.2, 2.9, 7.2).
#include <algorithm>
#include <unordered_set>

#include "reference/control/api_json.h"
#include "reference/control/body_fields.h"
#include "reference/control/control_errors.h"
#include "reference/control/control_plane_impl.h"

namespace outpost::control {

namespace {

// SPEC 3.2: the system maps are fixed; naming one in a change is refused before anything else is looked at.
void refuse_system_map(std::string_view name, std::string_view what_was_tried) {
  if (auth::find_system_scope_map(name))
    throw denied(in_quotes(name) + " is a system scope map and cannot be " + std::string(what_was_tried) +
                     "; create a user-defined scope map instead",
                 {{"name", name}});
}

void check_scope_map_name(std::string_view name) {
  if (auto error = auth::scope_map_name_error(name)) throw invalid_request(*error, {{"name", name}});
}

void check_description(const std::string& description) {
  if (auto error = auth::scope_map_description_error(description)) throw invalid_request(*error);
}

// The canonical actions, or 400 listing every refused string (each message says what is allowed).
std::vector<std::string> normalized(const std::vector<std::string>& actions, std::string_view field) {
  auth::NormalizedActions result = auth::normalize_actions(actions);
  if (result.errors.empty()) return std::move(result.canonical);
  std::string message =
      "invalid action" + std::string(result.errors.size() > 1 ? "s" : "") + " in " + in_quotes(field) + ": ";
  for (size_t i = 0; i < result.errors.size(); ++i) message += (i ? "; " : "") + result.errors[i];
  throw invalid_request(std::move(message), {{"field", field}, {"errors", result.errors}});
}

void check_action_count(size_t count) {
  if (auto error = auth::scope_map_action_limit_error(count, auth::Maker::User))
    throw limit_exceeded(*error, {{"limit", "actions per scope map"}, {"max", auth::kMaxActionsPerScopeMap}});
}

// Looked up in a hashed set: a sync scope map (exempt from the 500-action limit, SPEC 2.9) may hold thousands of
// actions, and a scan of them for each added one made a large PATCH quadratic.
void add_missing(std::vector<std::string>& actions, const std::vector<std::string>& more) {
  std::unordered_set<std::string> present(actions.begin(), actions.end());
  for (const std::string& action : more)
    if (present.insert(action).second) actions.push_back(action);
}

const auth::ScopeMap& existing_scope_map_or_404(const Snapshot& snapshot, std::string_view name) {
  const auto it = snapshot.scope_maps.find(name);
  if (it == snapshot.scope_maps.end())
    throw not_found("scope map " + in_quotes(name) + " does not exist", {{"name", name}});
  return it->second;
}
}  // namespace

ControlPlane::Result ControlPlane::list_scope_maps() const {
  const auto snapshot = impl_->current();
  nlohmann::json maps = nlohmann::json::array();
  for (const auto& [name, scope_map] : snapshot->scope_maps) maps.push_back(scope_map_json(scope_map));
  return {200, std::move(maps)};
}

ControlPlane::Result ControlPlane::get_scope_map(std::string_view name) const {
  return {200, scope_map_json(existing_scope_map_or_404(*impl_->current(), name))};
}

ControlPlane::Result ControlPlane::put_scope_map(std::string_view name, const nlohmann::json& body) {
  refuse_system_map(name, "changed");
  const BodyFields fields(body, "a scope map PUT body", {"name", "description", "actions", "type"});
  fields.check_name_matches(name);
  if (auto type = fields.string("type"); type && *type != auth::to_string(auth::ScopeMapType::UserDefined))
    throw invalid_request("only UserDefined scope maps can be created or replaced; got type " + in_quotes(*type));
  const auto actions = fields.strings("actions");
  if (!actions)
    throw invalid_request(
        "field 'actions' is required: an array of repository or gateway actions such as "
        "\"repositories/<repo>/content/read\"");

  auth::ScopeMap scope_map;
  scope_map.name = std::string(name);
  scope_map.description = fields.string("description").value_or("");
  scope_map.actions = normalized(*actions, "actions");
  check_description(scope_map.description);

  std::lock_guard lock(impl_->writer);
  const auto base = impl_->current();
  check_scope_map_change(*base, name, scope_map.actions);  // SPEC 2.4, 4.4
  // After it: a CR's sync scope map is exempt from the limit (SPEC 2.9), and an edit of one is refused as such
  // (CONFLICT), not for the count its CR's repositories gave it (LIMIT_EXCEEDED).
  check_action_count(scope_map.actions.size());
  const bool exists = base->scope_maps.contains(name);
  // A new map's name is checked; an existing one's was (or the system made it, past the 50-character limit for a
  // connected registry's sync scope map, SPEC 2.4, which check_scope_map_change refuses above as CR-managed).
  if (!exists) check_scope_map_name(name);
  const size_t user_defined = base->scope_maps.size() - auth::system_scope_maps().size();
  if (!exists && user_defined >= options_.max_scope_maps)
    throw limit_exceeded(
        "limit exceeded: a registry holds at most " + std::to_string(options_.max_scope_maps) + " scope maps",
        {{"limit", "scope maps per registry"}, {"max", options_.max_scope_maps}});
  impl_->store.put_scope_map(scope_map);
  auto next = impl_->draft();
  Impl::set_scope_map(*next, scope_map);
  impl_->publish(std::move(next));
  return {exists ? 200 : 201, scope_map_json(scope_map)};
}

ControlPlane::Result ControlPlane::patch_scope_map(std::string_view name, const nlohmann::json& body) {
  refuse_system_map(name, "changed");
  const BodyFields fields(body, "a scope map PATCH body",
                          {"name", "description", "actions", "addActions", "removeActions"});
  fields.check_name_matches(name);
  const auto description = fields.string("description");
  if (description) check_description(*description);
  std::optional<std::vector<std::string>> actions, add, remove;
  if (auto given = fields.strings("actions")) actions = normalized(*given, "actions");
  if (auto given = fields.strings("addActions")) add = normalized(*given, "addActions");
  if (auto given = fields.strings("removeActions")) remove = normalized(*given, "removeActions");

  std::lock_guard lock(impl_->writer);
  const auto base = impl_->current();
  const auth::ScopeMap& old = existing_scope_map_or_404(*base, name);
  auth::ScopeMap scope_map = old;
  if (description) scope_map.description = *description;
  if (actions) scope_map.actions = *actions;
  if (add) add_missing(scope_map.actions, *add);
  if (remove) remove_all(scope_map.actions, *remove);
  const bool changed = scope_map.description != old.description || scope_map.actions != old.actions;
  // Any change, its description's too: a CR's sync scope map changes only with its CR (SPEC 2.4), and is refused as
  // such before its action count is (SPEC 2.9 exempts it from the limit).
  if (changed) {
    check_scope_map_change(*base, name, scope_map.actions);  // SPEC 2.4, 4.4
    check_action_count(scope_map.actions.size());
    impl_->store.put_scope_map(scope_map);
    auto next = impl_->draft();
    Impl::set_scope_map(*next, scope_map);
    impl_->publish(std::move(next));
  }
  return {200, scope_map_json(scope_map)};
}

ControlPlane::Result ControlPlane::delete_scope_map(std::string_view name) {
  refuse_system_map(name, "deleted");
  std::lock_guard lock(impl_->writer);
  const auto base = impl_->current();
  existing_scope_map_or_404(*base, name);
  std::vector<std::string> users;
  for (const auto& [token_name, token] : base->tokens)
    if (token.scope_map == name) users.push_back(token_name);
  if (!users.empty()) {
    // The message names a few; the detail carries them all, up to a bound that keeps the answer small.
    constexpr size_t kNamed = 5, kInDetail = 100;
    std::string named;
    for (size_t i = 0; i < users.size() && i < kNamed; ++i) named += (i ? ", " : "") + in_quotes(users[i]);
    if (users.size() > kNamed) named += " and " + std::to_string(users.size() - kNamed) + " more";
    if (users.size() > kInDetail) users.resize(kInDetail);
    throw conflict("scope map " + in_quotes(name) + " is used by token" + (users.size() > 1 ? "s " : " ") + named +
                       "; delete those tokens or give them another scope map first",
                   {{"name", name}, {"tokens", users}});
  }
  impl_->store.erase_scope_map(name);
  auto next = impl_->draft();
  Impl::erase_scope_map(*next, name);
  impl_->publish(std::move(next));
  return {204, nullptr};
}

}  // namespace outpost::control
