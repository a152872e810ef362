#include "reference/cli/cluster_topology.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <set>
#include <unordered_set>

#include "reference/common/ascii.h"
#include "reference/common/error.h"
#include "reference/common/iso_duration.h"
#include "reference/common/json_depth.h"
#include "reference/common/json_error.h"
#include "reference/control/connected_registry.h"
#include "reference/control/connected_registry_settings.h"

namespace outpost::cli {

using nlohmann::json;
using nlohmann::ordered_json;

namespace {

constexpr std::string_view kReadWrite = "ReadWrite";
constexpr std::string_view kReadOnly = "ReadOnly";

[[noreturn]] void fail(const std::string& where, const std::string& what) { throw TopologyError(where + ": " + what); }

// Refuses keys outside `allowed`, so a misspelt key is an error rather than a default silently taken.
void only_keys(const json& object, const std::string& where, std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : object.items()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    std::string list;
    for (std::string_view name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
    fail(where, "unknown key '" + key + "' (known: " + list + ")");
  }
}

const json* member(const json& object, const char* key) {
  const auto it = object.find(key);
  return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string string_at(const json& value, const std::string& where) {
  if (!value.is_string()) fail(where, "must be a string");
  return value.get<std::string>();
}

std::vector<std::string> strings_at(const json& value, const std::string& where) {
  if (!value.is_array()) fail(where, "must be an array of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string item = string_at(value[i], where + "[" + std::to_string(i) + "]");
    if (item.empty()) fail(where + "[" + std::to_string(i) + "]", "must not be empty");
    out.push_back(item);
  }
  return out;
}

// The cluster name becomes a directory name: nothing that could climb out of it or hide it.
void check_cluster_name(const std::string& name) {
  const bool ok = !name.empty() && name.size() <= 64 && std::isalnum(static_cast<unsigned char>(name[0])) &&
                  std::all_of(name.begin(), name.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
                  });
  if (!ok)
    fail("name", "'" + name +
                     "' is not a cluster name: 1 to 64 letters, digits, '-', '_' or '.', starting with "
                     "a letter or digit");
}

// SPEC 2.1: 5-40 characters, starts with a letter, letters and digits.
void check_node_name(const std::string& name, const std::string& where) {
  const bool ok =
      name.size() >= 5 && name.size() <= 40 && std::isalpha(static_cast<unsigned char>(name[0])) &&
      std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
  if (!ok)
    fail(where, "'" + name + "' is not a connected-registry name: 5 to 40 letters and digits, starting with a letter");
  if (name == kCloudNodeName) fail(where, "'cloud' is the root of every cluster; give the node another name");
}

// SPEC 3.3: 5-50 characters of [A-Za-z0-9-]; the scope map made for it is "<token>-map", so 46 at most then.
void check_token_name(const std::string& name, bool makes_scope_map, const std::string& where) {
  const size_t longest = makes_scope_map ? 46 : 50;
  const bool ok = name.size() >= 5 && name.size() <= longest && std::all_of(name.begin(), name.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '-';
                  });
  if (!ok)
    fail(where, "'" + name + "' is not a token name: 5 to " + std::to_string(longest) + " letters, digits or '-'" +
                    (makes_scope_map ? " (the scope map made for it is named <token>-map)" : ""));
}

std::string parse_mode(const std::string& text, const std::string& where) {
  const std::string lower = ascii_lowercase(text);
  if (lower == "readwrite" || lower == "registry") return std::string(kReadWrite);
  if (lower == "readonly" || lower == "mirror") return std::string(kReadOnly);
  fail(where, "'" + text + "' is not a mode: ReadWrite or ReadOnly");
}

// What a client of a node needs to pull ("pull") or to push as well ("push"), on each of its repositories.
std::vector<std::string> access_actions(const std::string& access, const std::vector<std::string>& repositories) {
  std::vector<std::string> verbs = {"content/read", "metadata/read"};
  if (access == "push") verbs = {"content/read", "content/write", "metadata/read", "metadata/write"};
  std::vector<std::string> actions;
  for (const std::string& repository : repositories)
    for (const std::string& verb : verbs) actions.push_back("repositories/" + repository + "/" + verb);
  return actions;
}

ClientTokenSpec access_token(const std::string& name, const std::string& access, const NodeSpec& node,
                             const std::string& where) {
  if (access != "pull" && access != "push") fail(where, "'" + access + "' is not an access level: pull or push");
  if (access == "push" && node.mode == kReadOnly)
    fail(where, "a client token of ReadOnly node '" + node.name + "' may only read (SPEC 4.4): use \"pull\"");
  ClientTokenSpec token;
  token.name = name;
  token.scope_map = name + "-map";
  token.actions = access_actions(access, node.repositories);
  return token;
}

std::vector<ClientTokenSpec> parse_client_tokens(const json& node_json, const NodeSpec& node,
                                                 const std::string& where) {
  const json* shorthand = member(node_json, "clientToken");
  const json* list = member(node_json, "clientTokens");
  const std::string default_name = node.name + "-client";
  if (shorthand && list) fail(where, "give clientToken or clientTokens, not both");
  // The token the node gets unless clientTokens names its own: "<node>-client", with scope map "<node>-client-map".
  const auto check_default_name = [&] {
    if (default_name.size() + 4 > 50)
      fail(where + ".name", "the node's client token would be '" + default_name + "' with scope map '" + default_name +
                                "-map', longer than a scope map name may be (50): give the node a name of at most 39 " +
                                "characters, or name its token in clientTokens");
  };
  if (shorthand) {
    const std::string access = string_at(*shorthand, where + ".clientToken");
    if (access == "none") return {};
    check_default_name();
    return {access_token(default_name, access, node, where + ".clientToken")};
  }
  if (!list) {
    check_default_name();
    return {access_token(default_name, "pull", node, where)};
  }  // a node with no client cannot be pulled from
  if (!list->is_array()) fail(where + ".clientTokens", "must be an array of objects");
  std::vector<ClientTokenSpec> tokens;
  for (size_t i = 0; i < list->size(); ++i) {
    const std::string at = where + ".clientTokens[" + std::to_string(i) + "]";
    const json& entry = (*list)[i];
    if (!entry.is_object()) fail(at, "must be an object: {\"name\", \"access\" | \"actions\" | \"scopeMap\"}");
    only_keys(entry, at, {"name", "access", "actions", "scopeMap"});
    const std::string name = member(entry, "name") ? string_at(entry["name"], at + ".name")
                                                   : default_name + (i == 0 ? "" : std::to_string(i + 1));
    const json* access = member(entry, "access");
    const json* actions = member(entry, "actions");
    const json* scope_map = member(entry, "scopeMap");
    if ((access != nullptr) + (actions != nullptr) + (scope_map != nullptr) > 1)
      fail(at, "give one of access, actions or scopeMap");
    check_token_name(name, scope_map == nullptr, at + ".name");
    if (scope_map) {
      ClientTokenSpec token;
      token.name = name;
      token.scope_map = string_at(*scope_map, at + ".scopeMap");
      token.create_scope_map = false;
      tokens.push_back(std::move(token));
    } else if (actions) {
      ClientTokenSpec token;
      token.name = name;
      token.scope_map = name + "-map";
      token.actions = strings_at(*actions, at + ".actions");
      if (token.actions.empty()) fail(at + ".actions", "must name at least one action");
      tokens.push_back(std::move(token));
    } else {
      tokens.push_back(access_token(name, access ? string_at(*access, at + ".access") : "pull", node, at + ".access"));
    }
  }
  return tokens;
}

// The settings are sent to the cloud as they are, in the connected registry's PUT: checked here by the same rules, so
// a wrong one is the file's error, named with its node, rather than a refusal once the cluster is starting.
void check_settings(const NodeSpec& node, const std::string& where) {
  if (node.settings.empty()) return;
  try {
    control::read_connected_registry_settings(node.settings, control::SettingsBody::Patch, node.name);
  } catch (const ApiError& error) {
    fail(where, error.what());
  }
}

// Parents before children, siblings in file order; refuses unknown parents and cycles.
std::vector<size_t> tree_order(const std::vector<std::optional<std::string>>& parents,
                               const std::vector<std::string>& names) {
  std::vector<size_t> order;
  std::set<std::string> placed;
  std::vector<bool> done(names.size(), false);
  const std::unordered_set<std::string> known(names.begin(), names.end());
  for (size_t i = 0; i < names.size(); ++i)
    if (parents[i] && !known.contains(*parents[i]))
      fail("nodes[" + std::to_string(i) + "] (" + names[i] + ").parent",
           "'" + *parents[i] + "' is not a node of this topology (null or \"cloud\" means the cloud)");
  for (bool progress = true; progress;) {
    progress = false;
    for (size_t i = 0; i < names.size(); ++i) {
      if (done[i] || (parents[i] && !placed.contains(*parents[i]))) continue;
      done[i] = true;
      placed.insert(names[i]);
      order.push_back(i);
      progress = true;
    }
  }
  if (order.size() != names.size()) {
    std::string cycle;
    for (size_t i = 0; i < names.size(); ++i)
      if (!done[i]) cycle += (cycle.empty() ? "" : ", ") + names[i];
    fail("nodes", "these nodes are their own ancestors (a hierarchy is a tree under the cloud): " + cycle);
  }
  return order;
}

}  // namespace

NodeIndex& NodeIndex::operator=(const NodeIndex&) {
  const std::lock_guard lock(mutex_);
  positions_.clear();
  indexed_size_ = 0;
  return *this;
}

void NodeIndex::index_from(const std::vector<NodeSpec>& nodes, size_t first) const {
  for (size_t i = first; i < nodes.size(); ++i) positions_.emplace(nodes[i].name, i);  // the first of a name, as a scan
  indexed_size_ = nodes.size();
}

const NodeSpec* NodeIndex::find(const std::vector<NodeSpec>& nodes, std::string_view name) const {
  const std::lock_guard lock(mutex_);
  // Positions stay right when the list grows (a topology is built by appending, and looked up as it is built):
  // only the new nodes are indexed. A list that shrank is indexed again.
  if (nodes.size() < indexed_size_) {
    positions_.clear();
    indexed_size_ = 0;
  }
  if (nodes.size() > indexed_size_) index_from(nodes, indexed_size_);
  if (const auto it = positions_.find(name); it != positions_.end()) {
    if (nodes[it->second].name == name) return &nodes[it->second];
    positions_.clear();  // a name edited in place since: index again
    index_from(nodes, 0);
    if (const auto again = positions_.find(name); again != positions_.end()) return &nodes[again->second];
    return nullptr;
  }
  // Not indexed: absent, unless a node was renamed to it in place. Misses are rare (the cloud is no node).
  for (const NodeSpec& node : nodes)
    if (node.name == name) {
      positions_.clear();
      index_from(nodes, 0);
      return &node;
    }
  return nullptr;
}

const NodeSpec* Topology::node(std::string_view name) const { return index_.find(nodes, name); }

std::vector<const NodeSpec*> Topology::children_of(const std::optional<std::string>& parent) const {
  std::vector<const NodeSpec*> children;
  for (const NodeSpec& node : nodes)
    if (node.parent == parent) children.push_back(&node);
  return children;
}

Nanoseconds cloud_status_offline_after(const Topology& topology) {
  size_t deepest = 0;
  for (const NodeSpec& node : topology.nodes) {
    size_t depth = 1;  // under the cloud
    for (const NodeSpec* at = &node; at && at->parent; at = topology.node(*at->parent)) ++depth;
    deepest = std::max(deepest, depth);
  }
  const Nanoseconds interval = parse_human_duration(topology.sync_status_interval).value_or(std::chrono::seconds(60));
  return std::max<Nanoseconds>(std::chrono::minutes(5), interval * static_cast<int64_t>(deepest + 2));
}

Topology parse_topology(const json& document) {
  if (!document.is_object()) fail("topology", "must be a JSON object with \"nodes\"");
  only_keys(document, "topology",
            {"name", "description", "passwordHashIterations", "proxies", "proxySeed", "syncStatusInterval",
             "syncLongPoll", "logLevel", "threads", "nodes"});
  Topology topology;
  if (const json* name = member(document, "name")) topology.name = string_at(*name, "name");
  check_cluster_name(topology.name);
  if (const json* text = member(document, "description")) topology.description = string_at(*text, "description");
  if (const json* iterations = member(document, "passwordHashIterations")) {
    if (!iterations->is_number_unsigned() || iterations->get<uint64_t>() == 0 ||
        iterations->get<uint64_t>() > 10'000'000)
      fail("passwordHashIterations", "must be a whole number from 1 to 10000000");
    topology.password_hash_iterations = iterations->get<unsigned>();
  }
  if (const json* proxies = member(document, "proxies")) {
    if (!proxies->is_boolean()) fail("proxies", "must be true or false");
    topology.proxies = proxies->get<bool>();
  }
  if (const json* seed = member(document, "proxySeed")) {
    if (!seed->is_number_unsigned()) fail("proxySeed", "must be a whole number");
    topology.proxy_seed = seed->get<uint64_t>();
  }
  // Checked as `outpost serve` checks its --sync-status-interval and --sync-long-poll: a positive duration (a long
  // poll 10m at most).
  const auto duration_at = [&](const char* key, std::string& into) {
    const json* value = member(document, key);
    if (!value) return;
    into = string_at(*value, key);
    const auto parsed = parse_human_duration(into);
    if (!parsed || *parsed <= Nanoseconds::zero())
      fail(key, "'" + into + "' is not a duration longer than zero (e.g. 30s, 10m, PT1H)");
  };
  duration_at("syncStatusInterval", topology.sync_status_interval);
  duration_at("syncLongPoll", topology.sync_long_poll);
  if (!topology.sync_long_poll.empty() && *parse_human_duration(topology.sync_long_poll) > std::chrono::minutes(10))
    fail("syncLongPoll", "'" + topology.sync_long_poll + "' is longer than a parent holds a long poll (10m at most)");
  if (const json* value = member(document, "logLevel")) {
    topology.log_level = string_at(*value, "logLevel");
    static const std::set<std::string> kLevels = {"debug", "info", "warn", "error", "off"};
    if (!kLevels.contains(topology.log_level)) fail("logLevel", "must be debug, info, warn, error or off");
  }

  if (const json* threads = member(document, "threads")) {
    if (!threads->is_number_unsigned() || threads->get<uint64_t>() > 256)
      fail("threads", "must be a whole number from 0 to 256");
    topology.threads = threads->get<unsigned>();
  }

  const json* nodes = member(document, "nodes");
  if (nodes && !nodes->is_array()) fail("nodes", "must be an array of objects");
  const json empty = json::array();
  const json& list = nodes ? *nodes : empty;

  // First pass: names and parents, so the tree can be ordered before modes and repositories are inherited.
  std::vector<std::string> names;
  std::unordered_set<std::string> named;  // the same names, looked up (a scan of `names` was quadratic)
  std::vector<std::optional<std::string>> parents;
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string where = "nodes[" + std::to_string(i) + "]";
    const json& entry = list[i];
    if (!entry.is_object()) fail(where, "must be an object with at least \"name\"");
    for (const auto& [key, value] : entry.items())
      if (std::find(std::begin(kNodeKeys), std::end(kNodeKeys), key) == std::end(kNodeKeys)) {
        std::string known;
        for (std::string_view name : kNodeKeys) known += (known.empty() ? "" : ", ") + std::string(name);
        fail(where, "unknown key '" + key + "' (known: " + known + ")");
      }
    const json* name = member(entry, "name");
    if (!name) fail(where, "needs a \"name\"");
    const std::string node_name = ascii_lowercase(string_at(*name, where + ".name"));
    check_node_name(node_name, where + ".name");
    if (!named.insert(node_name).second) fail(where + ".name", "'" + node_name + "' names two nodes");
    names.push_back(node_name);
    std::optional<std::string> parent;
    if (const json* given = member(entry, "parent")) {
      const std::string text = ascii_lowercase(string_at(*given, where + " (" + node_name + ").parent"));
      if (text != kCloudNodeName) parent = text;
    }
    if (parent == node_name) fail(where + " (" + node_name + ").parent", "a node cannot be its own parent");
    parents.push_back(parent);
  }

  std::set<std::string> token_names;
  for (size_t index : tree_order(parents, names)) {
    const json& entry = list[index];
    const std::string where = "nodes[" + std::to_string(index) + "] (" + names[index] + ")";
    NodeSpec node;
    node.name = names[index];
    node.parent = parents[index];
    const NodeSpec* parent = node.parent ? topology.node(*node.parent) : nullptr;

    // SPEC 2.2 makes ReadWrite the default; under a ReadOnly parent only ReadOnly is possible (SPEC 2.3), so a short
    // file need not say it twice.
    node.mode = member(entry, "mode") ? parse_mode(string_at(entry["mode"], where + ".mode"), where + ".mode")
                : parent && parent->mode == kReadOnly ? std::string(kReadOnly)
                                                      : std::string(kReadWrite);
    if (parent && parent->mode == kReadOnly && node.mode == kReadWrite)
      fail(where + ".mode", "a ReadOnly parent may only have ReadOnly children (SPEC 2.3): '" + parent->name +
                                "' is ReadOnly, '" + node.name + "' is ReadWrite");

    if (const json* repositories = member(entry, "repositories")) {
      const std::vector<std::string> listed = strings_at(*repositories, where + ".repositories");
      for (size_t i = 0; i < listed.size(); ++i) {
        // Checked as the cloud's PUT checks it, so a wrong one is the file's error rather than a refusal (with the
        // management API's answer) once the cluster or the simulation is starting.
        std::string repository = ascii_lowercase(listed[i]);
        if (const auto error = control::repository_pattern_error(repository))
          fail(where + ".repositories[" + std::to_string(i) + "]", "'" + listed[i] + "': " + *error);
        node.repositories.push_back(std::move(repository));
      }
    } else if (parent) {
      node.repositories = parent->repositories;  // a CR syncs only what its parent can read anyway (SPEC 2.5)
    }
    if (node.repositories.empty())
      fail(where + ".repositories", "a node needs at least one repository or prefix/* pattern to sync");

    node.client_tokens = parse_client_tokens(entry, node, where);
    for (const ClientTokenSpec& token : node.client_tokens)
      if (!token_names.insert(token.name).second)
        fail(where, "client token '" + token.name + "' is declared twice; token names are unique in a cluster");

    for (const char* key : {"sync", "notifications", "logging", "gc"})
      if (const json* value = member(entry, key)) node.settings[key] = *value;
    check_settings(node, where);
    topology.nodes.push_back(std::move(node));
  }
  return topology;
}

Topology load_topology(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw TopologyError("cannot read topology file " + file.string());
  json document;
  try {
    document = parse_json_within_depth(in, kMaxJsonFileDepth);
  } catch (const std::exception& error) {
    throw TopologyError("topology file " + file.string() + " is not valid JSON: " + json_error_message(error));
  }
  try {
    return parse_topology(document);
  } catch (const TopologyError& error) {
    throw TopologyError(file.string() + ": " + error.what());
  }
}

ordered_json topology_json(const Topology& topology) {
  ordered_json out;
  out["name"] = topology.name;
  if (!topology.description.empty()) out["description"] = topology.description;
  out["passwordHashIterations"] = topology.password_hash_iterations;
  out["proxies"] = topology.proxies;
  out["proxySeed"] = topology.proxy_seed;
  out["syncStatusInterval"] = topology.sync_status_interval;
  out["syncLongPoll"] = topology.sync_long_poll;
  out["logLevel"] = topology.log_level;
  out["threads"] = topology.threads;
  out["nodes"] = ordered_json::array();
  for (const NodeSpec& node : topology.nodes) {
    ordered_json entry;
    entry["name"] = node.name;
    entry["parent"] = node.parent ? ordered_json(*node.parent) : ordered_json(nullptr);
    entry["mode"] = node.mode;
    entry["repositories"] = node.repositories;
    entry["clientTokens"] = ordered_json::array();
    for (const ClientTokenSpec& token : node.client_tokens) {
      ordered_json item;
      item["name"] = token.name;
      if (token.create_scope_map)
        item["actions"] = token.actions;
      else
        item["scopeMap"] = token.scope_map;
      entry["clientTokens"].push_back(std::move(item));
    }
    for (const auto& [key, value] : node.settings.items()) entry[key] = value;
    out["nodes"].push_back(std::move(entry));
  }
  return out;
}

}  // namespace outpost::cli
