#pragma once
// The compiled form of a scope map's actions: what a token may do on a given repository or connected registry. Asked
// on every request, so matching avoids scanning the rules: exact names sit in hash maps, and "prefix/*" rules are found
// by looking up each '/'-bounded prefix of the repository name (a name has few components, a map may have 500 rules).
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "reference/auth/actions.h"

namespace outpost::auth {

class PermissionSet {
 public:
  PermissionSet() = default;  // grants nothing
  explicit PermissionSet(std::span<const ActionRule> rules);
  // Grants what these rules grant too (permissions add up, SPEC 3.1): a map that only gained actions is compiled from
  // the new ones alone (a parent's sync map gains every new descendant's gateway actions).
  void add(std::span<const ActionRule> rules);

  // The admin user (SPEC 7.1): every repository action on every repository, no gateway action.
  static PermissionSet all_repositories();

  // The union of every rule matching `repository` (SPEC 3.1: permissions add up; rules apply whether or not the
  // repository exists). "prefix/*" matches "prefix/a" and "prefix/a/b", never "prefix".
  RepositoryActions repository_actions(std::string_view repository) const;
  GatewayActions gateway_actions(std::string_view connected_registry) const;
  // Some rule is on "*" (whatever its action): what the cloud asks before it lists the catalog (SPEC 3.6).
  bool includes_all_repositories_wildcard() const { return !all_.empty(); }
  bool empty() const { return all_.empty() && exact_.empty() && prefixes_.empty() && gateways_.empty(); }

 private:
  // Heterogeneous lookup: a request's repository arrives as a string_view and is found without a copy.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  template <class Value>
  using Map = std::unordered_map<std::string, Value, Hash, std::equal_to<>>;

  RepositoryActions all_{};
  Map<RepositoryActions> exact_;
  Map<RepositoryActions> prefixes_;  // keyed by the prefix without its "/*"
  Map<GatewayActions> gateways_;
};

}  // namespace outpost::auth
