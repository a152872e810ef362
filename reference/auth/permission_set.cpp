#include "reference/auth/permission_set.h"

namespace outpost::auth {

PermissionSet::PermissionSet(std::span<const ActionRule> rules) { add(rules); }

void PermissionSet::add(std::span<const ActionRule> rules) {
  for (const ActionRule& rule : rules) {
    if (rule.target == ActionRule::Target::Gateway) {
      gateways_[rule.name] |= rule.gateway;
      continue;
    }
    switch (rule.match) {
      case ActionRule::Match::All: all_ |= rule.repository; break;
      case ActionRule::Match::Exact: exact_[rule.name] |= rule.repository; break;
      case ActionRule::Match::Prefix: prefixes_[rule.name] |= rule.repository; break;
    }
  }
}

PermissionSet PermissionSet::all_repositories() {
  PermissionSet everything;
  everything.all_ = kAllRepositoryActions;
  return everything;
}

RepositoryActions PermissionSet::repository_actions(std::string_view repository) const {
  RepositoryActions actions = all_;
  if (auto exact = exact_.find(repository); exact != exact_.end()) actions |= exact->second;
  if (prefixes_.empty()) return actions;
  // Every '/' ends a prefix the repository lives under: "a/b/c" is under "a/*" and "a/b/*".
  for (size_t slash = repository.find('/'); slash != std::string_view::npos; slash = repository.find('/', slash + 1))
    if (auto prefix = prefixes_.find(repository.substr(0, slash)); prefix != prefixes_.end()) actions |= prefix->second;
  return actions;
}

GatewayActions PermissionSet::gateway_actions(std::string_view connected_registry) const {
  if (auto found = gateways_.find(connected_registry); found != gateways_.end()) return found->second;
  return {};
}

}  // namespace outpost::auth
