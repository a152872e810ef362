#pragma once
// The world as the oracle sees it: the cloud's control-plane state (tokens, scope maps, connected registries) and
// where each node listens. It is what the simulator believes it told the cloud, kept by the simulator itself (with
// the derived rules of world_changes.h), never read back from a node: a node that stored or replicated something
// wrongly then disagrees with it.
#include <array>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "reference/common/clock.h"
#include "reference/common/string_hash.h"

namespace outpost::check {

enum class Mode { ReadWrite, ReadOnly };
enum class TokenStatus { Enabled, Disabled };

// SPEC 3.3: one password slot. `serial` tells passwords apart without holding them: regenerating a slot gives it a
// new serial, so a password handed out earlier no longer matches it.
struct PasswordSlot {
  bool present = false;
  uint64_t serial = 0;
  WallTime created{};
  std::optional<WallTime> expiry;  // absent = never; at or after it the password no longer authenticates
  bool valid_at(WallTime now) const { return present && (!expiry || now < *expiry); }
};

struct Token {
  std::string name;
  std::string scope_map;
  TokenStatus status = TokenStatus::Enabled;
  std::array<PasswordSlot, 2> passwords{};
};

struct ConnectedRegistry {
  std::string name;
  Mode mode = Mode::ReadWrite;
  std::string parent;                     // "" = the cloud
  std::vector<std::string> repositories;  // names or "prefix/*"
  std::vector<std::string> client_tokens;
  std::string sync_token;
  std::string login_server;  // where its node listens ("" = not known: the node is then named by the CR's name)
};

// Which node a request reached: the cloud's login server or data endpoint, or a connected registry.
struct NodeRef {
  std::string connected_registry;  // "" = the cloud
  bool data_endpoint = false;      // cloud only
  bool cloud() const { return connected_registry.empty(); }
  friend bool operator==(const NodeRef&, const NodeRef&) = default;
  friend auto operator<=>(const NodeRef&, const NodeRef&) = default;
};

struct World {
  std::string cloud_login_server;
  std::string cloud_data_endpoint;  // "" = the cloud serves no gateway (SPEC 1.2)
  // SPEC 1.3: nodes started with --login-server refuse requests whose Host names another host. Holds "" for the cloud.
  std::set<std::string, std::less<>> host_checked;
  // Hashed: the oracle looks names up for every decision, and the names of a large world are long and alike
  // ("<level>-<n>-<level>-<m>-sync-token"), which an ordered map compares character by character at every level.
  // Nothing depends on their order (node_at() below picks what an ordered scan would).
  StringMap<std::vector<std::string>> scope_maps;  // user-defined: name -> action strings
  StringMap<Token> tokens;
  StringMap<ConnectedRegistry> connected_registries;
  // SPEC 2.10: sync tokens kept after their CR was deleted without cleanup; accepted nowhere.
  std::set<std::string, std::less<>> retired_sync_tokens;
  uint64_t next_serial = 1;

  const Token* token(std::string_view name) const;
  const ConnectedRegistry* connected_registry(std::string_view name) const;
  // The actions of a scope map, system maps included (SPEC 3.2); null for an unknown name.
  const std::vector<std::string>* scope_map_actions(std::string_view name) const;
  // The CR whose sync token this is, or null.
  const ConnectedRegistry* sync_token_owner(std::string_view token) const;
  // 0 for the cloud, 1 for a CR under it, ... -1 for a CR that does not exist.
  int depth(const NodeRef& node) const;
  // Parent first, up to the top-level CR (the cloud is not listed).
  std::vector<std::string> ancestors(std::string_view connected_registry) const;
  // Where a node listens, and back: the cloud's two endpoints and every CR's login server.
  std::string address_of(const NodeRef& node) const;
  // The same, with the node's CR already looked up (`cr`: null for the cloud or a CR the World does not hold), as a
  // view of this World's or the node's strings: for the oracle, which asks for every decision it judges.
  std::string_view address_of(const NodeRef& node, const ConnectedRegistry* cr) const;
  std::optional<NodeRef> node_at(std::string_view address) const;
  // Whether `node` is a ReadOnly CR's (SPEC 2.3; false for the cloud and for a CR the World does not hold).
  bool read_only(const NodeRef& node) const;
};

}  // namespace outpost::check
