#include "reference/auth/permission_set.h"

#include <algorithm>

namespace outpost::auth {

PermissionSet::PermissionSet(std::span<const ActionRule> rules) { add(rules); }

void PermissionSet::add(std::span<const ActionRule> rules) {
  if (rules.empty()) return;
  // Shared tables are never written (a snapshot's readers may be reading them on other threads): copy them first.
  if (!tables_) {
    tables_ = std::make_shared<Tables>();
  } else if (tables_.use_count() > 1) {
    tables_ = std::make_shared<Tables>(*tables_);
  }
  Tables& tables = *tables_;
  for (const ActionRule& rule : rules) {
    if (rule.target == ActionRule::Target::Gateway) {
      tables.gateways[rule.name] |= rule.gateway;
      continue;
    }
    switch (rule.match) {
      case ActionRule::Match::All: tables.all |= rule.repository; break;
      case ActionRule::Match::Exact: tables.exact[rule.name] |= rule.repository; break;
      case ActionRule::Match::Prefix: tables.prefixes[rule.name] |= rule.repository; break;
    }
  }
  // Taken from the tables as they are now (copied above or edited in place), so the view is into this set's own.
  sole_gateway_ = tables.gateways.size() == 1;
  sole_gateway_name_ = sole_gateway_ ? std::string_view(tables.gateways.begin()->first) : std::string_view();
  sole_gateway_actions_ = sole_gateway_ ? tables.gateways.begin()->second : GatewayActions{};
  const bool fits = sole_gateway_name_.size() <= kSoleGatewayInline;
  sole_gateway_size_ = fits ? static_cast<uint8_t>(sole_gateway_name_.size()) : 0;
  sole_gateway_inline_ = {};
  if (fits) std::copy(sole_gateway_name_.begin(), sole_gateway_name_.end(), sole_gateway_inline_.begin());
}

PermissionSet PermissionSet::all_repositories() {
  PermissionSet everything;
  everything.tables_ = std::make_shared<Tables>();
  everything.tables_->all = kAllRepositoryActions;
  return everything;
}

RepositoryActions PermissionSet::repository_actions(std::string_view repository) const {
  if (!tables_) return {};
  const Tables& tables = *tables_;
  RepositoryActions actions = tables.all;
  if (auto exact = tables.exact.find(repository); exact != tables.exact.end()) actions |= exact->second;
  if (tables.prefixes.empty()) return actions;
  // Every '/' ends a prefix the repository lives under: "a/b/c" is under "a/*" and "a/b/*".
  for (size_t slash = repository.find('/'); slash != std::string_view::npos; slash = repository.find('/', slash + 1))
    if (auto prefix = tables.prefixes.find(repository.substr(0, slash)); prefix != tables.prefixes.end())
      actions |= prefix->second;
  return actions;
}

GatewayActions PermissionSet::gateway_actions(std::string_view connected_registry) const {
  if (sole_gateway_) {
    const std::string_view name = sole_gateway_name_.size() <= kSoleGatewayInline
                                      ? std::string_view(sole_gateway_inline_.data(), sole_gateway_size_)
                                      : sole_gateway_name_;
    return name == connected_registry ? sole_gateway_actions_ : GatewayActions{};
  }
  if (!tables_) return {};
  const Tables& tables = *tables_;
  if (auto found = tables.gateways.find(connected_registry); found != tables.gateways.end()) return found->second;
  return {};
}

}  // namespace outpost::auth
