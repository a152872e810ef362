#include "simulator/check/world.h"

#include "simulator/check/scope_rules.h"

namespace outpost::check {

const Token* World::token(std::string_view name) const {
  const auto found = tokens.find(name);
  return found == tokens.end() ? nullptr : &found->second;
}

const ConnectedRegistry* World::connected_registry(std::string_view name) const {
  const auto found = connected_registries.find(name);
  return found == connected_registries.end() ? nullptr : &found->second;
}

const std::vector<std::string>* World::scope_map_actions(std::string_view name) const {
  if (const auto* system = system_scope_map(name)) return system;
  const auto found = scope_maps.find(name);
  return found == scope_maps.end() ? nullptr : &found->second;
}

const ConnectedRegistry* World::sync_token_owner(std::string_view token) const {
  // SPEC 2.4: a CR's sync token is always <name>-sync-token (an existing token cannot be given instead), so the name
  // says whose it is. (Scanning every CR for client tokens made each decision O(CRs) in worlds of thousands.)
  static constexpr std::string_view kSuffix = "-sync-token";
  if (!token.ends_with(kSuffix)) return nullptr;
  const ConnectedRegistry* cr = connected_registry(token.substr(0, token.size() - kSuffix.size()));
  return cr && cr->sync_token == token ? cr : nullptr;
}

int World::depth(const NodeRef& node) const {
  if (node.cloud()) return 0;
  const ConnectedRegistry* cr = connected_registry(node.connected_registry);
  if (!cr) return -1;
  // ancestors().size() + 1, counted without listing them (asked for every decision not judged before).
  size_t above = 0;
  while (!cr->parent.empty() && above <= connected_registries.size()) {
    ++above;
    cr = connected_registry(cr->parent);
    if (!cr) break;
  }
  return static_cast<int>(above) + 1;
}

std::vector<std::string> World::ancestors(std::string_view name) const {
  std::vector<std::string> out;
  const ConnectedRegistry* cr = connected_registry(name);
  // Bounded: a damaged description (a cycle) must not hang the checker.
  while (cr && !cr->parent.empty() && out.size() <= connected_registries.size()) {
    out.push_back(cr->parent);
    cr = connected_registry(cr->parent);
  }
  return out;
}

std::string World::address_of(const NodeRef& node) const {
  return std::string(address_of(node, node.cloud() ? nullptr : connected_registry(node.connected_registry)));
}

std::string_view World::address_of(const NodeRef& node, const ConnectedRegistry* cr) const {
  if (node.cloud()) return node.data_endpoint ? cloud_data_endpoint : cloud_login_server;
  if (cr && !cr->login_server.empty()) return cr->login_server;
  return node.connected_registry;
}

std::optional<NodeRef> World::node_at(std::string_view address) const {
  if (!cloud_login_server.empty() && address == cloud_login_server) return NodeRef{};
  if (!cloud_data_endpoint.empty() && address == cloud_data_endpoint) return NodeRef{"", true};
  // A CR's address is usually "<its name>:<port>" (or its bare name): look there first.
  for (const std::string_view name : {address.substr(0, address.find(':')), address})
    if (const auto found = connected_registries.find(name);
        found != connected_registries.end() &&
        address == (found->second.login_server.empty() ? found->first : found->second.login_server))
      return NodeRef{found->first, false};
  // Else any CR listening there; of several, the least name (what a scan in name order finds first), so the answer
  // does not depend on the hash map's order.
  const std::string* found = nullptr;
  for (const auto& [name, cr] : connected_registries)
    if (address == (cr.login_server.empty() ? name : cr.login_server) && (!found || name < *found)) found = &name;
  if (found) return NodeRef{*found, false};
  return std::nullopt;
}

bool World::read_only(const NodeRef& node) const {
  const ConnectedRegistry* cr = node.cloud() ? nullptr : connected_registry(node.connected_registry);
  return cr && cr->mode == Mode::ReadOnly;
}

}  // namespace outpost::check
