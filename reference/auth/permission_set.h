#pragma once
// The compiled form of a scope map's actions: what a token may do on a given repository or connected registry. Asked
// on every request, so matching avoids scanning the rules: exact names sit in hash maps, and "prefix/*" rules are found
// by looking up each '/'-bounded prefix of the repository name (a name has few components, a map may have 500 rules).
//
// Copies share their tables (they are immutable once shared): the control plane's snapshots copy permission sets in
// chunks of their copy-on-write maps, and a regional connected registry's sync map holds every descendant's gateway
// rules, so copying the tables made building a wide tree spend its time rehashing maps nobody changed.
#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

#include "reference/auth/actions.h"
#include "reference/common/string_hash.h"

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
  bool includes_all_repositories_wildcard() const { return tables_ && !tables_->all.empty(); }
  bool empty() const {
    return !tables_ ||
           (tables_->all.empty() && tables_->exact.empty() && tables_->prefixes.empty() && tables_->gateways.empty());
  }

 private:
  // Heterogeneous lookup: a request's repository arrives as a string_view and is found without a copy.
  template <class Value>
  using Map = StringMap<Value>;

  struct Tables {
    RepositoryActions all{};
    Map<RepositoryActions> exact;
    Map<RepositoryActions> prefixes;  // keyed by the prefix without its "/*"
    Map<GatewayActions> gateways;
  };
  // Null grants nothing. Written only through add(), which copies them first when another set shares them.
  std::shared_ptr<Tables> tables_;
  // When the gateway rules name exactly one connected registry: its name (a view of its key in tables_->gateways,
  // whose nodes stay put while the tables live, and copies of this set share them) and its actions. Most sets are a
  // leaf's sync map or a client's rule on one CR, and these answer them from this object alone, without the walk
  // through the tables (tables, bucket, node, key: each a wait for memory in a node that serves thousands of others).
  // The name is copied into this object when it fits (every valid connected registry name does: at most 40
  // characters), so the usual request compares it without a further wait for the tables' key; copies of the set copy
  // it with them. A longer one is compared through the view.
  static constexpr size_t kSoleGatewayInline = 40;
  bool sole_gateway_ = false;
  uint8_t sole_gateway_size_ = 0;  // of the inline copy; used when the name fits
  GatewayActions sole_gateway_actions_{};
  std::array<char, kSoleGatewayInline> sole_gateway_inline_{};
  std::string_view sole_gateway_name_;
};

}  // namespace outpost::auth
