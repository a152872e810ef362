#pragma once
// Docker token scopes (SPEC 3.4, 3.5): what a client asks the token endpoint for, and the `access` claim of the JWT it
// gets back.
//   repository:<name>:<actions>   actions comma-separated among pull, push, delete, metadata_read, metadata_write, *
//   registry:catalog:*
// The name may contain '/' (and, in other registries' grammars, a host with ':port'), so the type ends at the first ':'
// and the actions start after the last one.
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/auth/actions.h"
#include "reference/auth/permission_set.h"

namespace outpost::auth {

// SPEC 3.5: pull -> content/read, push -> content/write, delete -> content/delete, metadata_read -> metadata/read,
// metadata_write -> metadata/write, * -> all five. Nothing for any other word.
std::optional<RepositoryActions> docker_action(std::string_view word);
// The Docker words for `actions`, in the order above ("pull", "push", ...).
std::vector<std::string> docker_action_words(RepositoryActions actions);

// One scope a client asked for.
struct ScopeRequest {
  enum class Type { Repository, Catalog };
  Type type = Type::Repository;
  std::string name;               // the repository; "catalog" for Type::Catalog
  RepositoryActions actions{};    // Type::Repository: what was asked (words Outpost does not know are left out)
  friend bool operator==(const ScopeRequest&, const ScopeRequest&) = default;
};

// One scope string. Refused (with the reason): a shape other than type:name:actions, an unknown type, an invalid
// repository name, a registry resource other than "catalog". Unknown action words are not an error (asking for more
// is never one, SPEC 3.4): they are dropped, and a scope may end up asking for nothing.
struct ScopeParse {
  std::optional<ScopeRequest> scope;
  std::string error;
  explicit operator bool() const { return scope.has_value(); }
};
ScopeParse parse_scope(std::string_view scope);

// A `scope` parameter: one or more scopes separated by spaces. Scopes that parse are kept in order; the others are
// reported in `errors` so the token endpoint can log them (it grants what it can rather than failing).
struct ScopeList {
  std::vector<ScopeRequest> scopes;
  std::vector<std::string> errors;
};
ScopeList parse_scope_list(std::string_view value);

// "repository:<name>:<words>" (the words of `actions`, comma-separated) and "registry:catalog:*", as challenges name
// them (SPEC 3.6).
std::string repository_scope(std::string_view repository, RepositoryActions actions);
inline constexpr std::string_view kCatalogScope = "registry:catalog:*";

// One entry of a JWT's `access` claim.
struct AccessEntry {
  std::string type;  // "repository" | "registry"
  std::string name;
  std::vector<std::string> actions;  // Docker words
  friend bool operator==(const AccessEntry&, const AccessEntry&) = default;
};

// SPEC 3.4: what was asked, intersected with what the token may do at this node. Scopes naming the same repository are
// merged (first position kept); entries granting nothing are left out. `catalog_allowed` is the node's rule for
// registry:catalog:* (at the cloud: a rule on "*" or the admin user; at a CR: any token it accepts).
std::vector<AccessEntry> grant_access(std::span<const ScopeRequest> asked, const PermissionSet& allowed,
                                      bool catalog_allowed);

// The `access` claim as JSON and back. Reading is strict about shape (an array of objects with string type, string name
// and an array of strings) and gives nothing otherwise: a JWT whose claim is malformed is refused, not half-read.
nlohmann::json access_to_json(std::span<const AccessEntry> access);
std::optional<std::vector<AccessEntry>> access_from_json(const nlohmann::json& claim);

// What a verified JWT lets its holder do: the access claim as masks, looked up per request. Grants are exact
// repository names (Docker scopes have no wildcards), and a JWT carries a handful, so a short vector beats a hash map.
class GrantedAccess {
 public:
  GrantedAccess() = default;  // grants nothing
  explicit GrantedAccess(std::span<const AccessEntry> access);

  RepositoryActions repository_actions(std::string_view repository) const;
  bool catalog() const { return catalog_; }

 private:
  std::vector<std::pair<std::string, RepositoryActions>> repositories_;
  bool catalog_ = false;
};

}  // namespace outpost::auth
