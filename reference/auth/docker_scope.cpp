#include "reference/auth/docker_scope.h"

#include <algorithm>
#include <array>
#include <utility>

#include "reference/oci/name.h"

namespace outpost::auth {

namespace {
constexpr std::array<std::pair<std::string_view, RepositoryActions>, 5> kWords{{
    {"pull", kContentRead},
    {"push", kContentWrite},
    {"delete", kContentDelete},
    {"metadata_read", kMetadataRead},
    {"metadata_write", kMetadataWrite},
}};

// The Docker grammar lets a resource type carry a class ("repository(plugin)"); the class changes nothing here.
bool is_repository_type(std::string_view type) {
  return type == "repository" || (type.starts_with("repository(") && type.ends_with(")"));
}

ScopeParse refuse(std::string_view scope, std::string_view why) {
  return {std::nullopt, "scope '" + std::string(scope) + "' refused: " + std::string(why)};
}

RepositoryActions words_to_actions(std::string_view list) {
  RepositoryActions actions{};
  while (!list.empty()) {
    const size_t comma = list.find(',');
    if (auto known = docker_action(list.substr(0, comma))) actions |= *known;
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return actions;
}
}  // namespace

std::optional<RepositoryActions> docker_action(std::string_view word) {
  if (word == "*") return kAllRepositoryActions;
  for (const auto& [name, value] : kWords)
    if (word == name) return value;
  return std::nullopt;
}

std::vector<std::string> docker_action_words(RepositoryActions actions) {
  std::vector<std::string> words;
  for (const auto& [name, value] : kWords)
    if (actions.contains(value)) words.emplace_back(name);
  return words;
}

ScopeParse parse_scope(std::string_view scope) {
  const size_t first = scope.find(':');
  const size_t last = scope.rfind(':');
  if (first == std::string_view::npos || first == last)
    return refuse(scope,
                  "expected <type>:<name>:<actions>, e.g. repository:samples/app:pull,push or registry:catalog:*");
  const std::string_view type = scope.substr(0, first);
  const std::string_view name = scope.substr(first + 1, last - first - 1);
  const std::string_view words = scope.substr(last + 1);
  if (is_repository_type(type)) {
    if (!oci::valid_repository_name(name)) return refuse(scope, "invalid repository name '" + std::string(name) + "'");
    return {ScopeRequest{ScopeRequest::Type::Repository, std::string(name), words_to_actions(words)}, ""};
  }
  if (type == "registry") {
    if (name != "catalog") return refuse(scope, "the only registry resource is 'catalog'");
    if (words != "*") return refuse(scope, "registry:catalog takes the single action '*'");
    return {ScopeRequest{ScopeRequest::Type::Catalog, "catalog", {}}, ""};
  }
  return refuse(scope, "unknown resource type '" + std::string(type) + "' (repository or registry)");
}

ScopeList parse_scope_list(std::string_view value) {
  ScopeList list;
  while (!value.empty()) {
    const size_t space = value.find(' ');
    const std::string_view one = value.substr(0, space);
    if (!one.empty()) {
      ScopeParse parsed = parse_scope(one);
      if (parsed.scope)
        list.scopes.push_back(std::move(*parsed.scope));
      else
        list.errors.push_back(std::move(parsed.error));
    }
    if (space == std::string_view::npos) break;
    value.remove_prefix(space + 1);
  }
  return list;
}

std::string repository_scope(std::string_view repository, RepositoryActions actions) {
  std::string scope = "repository:" + std::string(repository) + ":";
  bool first = true;
  for (const std::string& word : docker_action_words(actions)) {
    if (!first) scope += ',';
    scope += word;
    first = false;
  }
  return scope;
}

std::vector<AccessEntry> grant_access(std::span<const ScopeRequest> asked, const PermissionSet& allowed,
                                      bool catalog_allowed) {
  // Merge first: two scopes on one repository ask for the union of their actions (clients repeat `scope` freely).
  std::vector<ScopeRequest> merged;
  for (const ScopeRequest& request : asked) {
    auto same = std::find_if(merged.begin(), merged.end(), [&](const ScopeRequest& seen) {
      return seen.type == request.type && seen.name == request.name;
    });
    if (same == merged.end())
      merged.push_back(request);
    else
      same->actions |= request.actions;
  }
  std::vector<AccessEntry> granted;
  for (const ScopeRequest& request : merged) {
    if (request.type == ScopeRequest::Type::Catalog) {
      if (catalog_allowed) granted.push_back({"registry", "catalog", {"*"}});
      continue;
    }
    const RepositoryActions actions = request.actions & allowed.repository_actions(request.name);
    if (!actions.empty()) granted.push_back({"repository", request.name, docker_action_words(actions)});
  }
  return granted;
}

nlohmann::json access_to_json(std::span<const AccessEntry> access) {
  nlohmann::json claim = nlohmann::json::array();
  for (const AccessEntry& entry : access)
    claim.push_back({{"type", entry.type}, {"name", entry.name}, {"actions", entry.actions}});
  return claim;
}

std::optional<std::vector<AccessEntry>> access_from_json(const nlohmann::json& claim) {
  if (!claim.is_array()) return std::nullopt;
  std::vector<AccessEntry> access;
  for (const nlohmann::json& item : claim) {
    if (!item.is_object()) return std::nullopt;
    const auto type = item.find("type");
    const auto name = item.find("name");
    const auto actions = item.find("actions");
    if (type == item.end() || !type->is_string() || name == item.end() || !name->is_string() ||
        actions == item.end() || !actions->is_array())
      return std::nullopt;
    AccessEntry entry{type->get<std::string>(), name->get<std::string>(), {}};
    for (const nlohmann::json& action : *actions) {
      if (!action.is_string()) return std::nullopt;
      entry.actions.push_back(action.get<std::string>());
    }
    access.push_back(std::move(entry));
  }
  return access;
}

GrantedAccess::GrantedAccess(std::span<const AccessEntry> access) {
  for (const AccessEntry& entry : access) {
    if (entry.type == "registry" && entry.name == "catalog") {
      for (const std::string& word : entry.actions) catalog_ = catalog_ || word == "*";
      continue;
    }
    if (entry.type != "repository") continue;
    RepositoryActions actions{};
    for (const std::string& word : entry.actions)
      if (auto known = docker_action(word)) actions |= *known;
    auto same = std::find_if(repositories_.begin(), repositories_.end(),
                             [&](const auto& seen) { return seen.first == entry.name; });
    if (same == repositories_.end())
      repositories_.emplace_back(entry.name, actions);
    else
      same->second |= actions;
  }
}

RepositoryActions GrantedAccess::repository_actions(std::string_view repository) const {
  for (const auto& [name, actions] : repositories_)
    if (name == repository) return actions;
  return {};
}

}  // namespace outpost::auth
