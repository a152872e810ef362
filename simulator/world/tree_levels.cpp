// The "levels" form of a generated tree (tree_levels.h).
#include "simulator/world/tree_levels.h"

#include <algorithm>
#include <cctype>
#include <optional>
#include <vector>

#include "reference/auth/names.h"
#include "reference/common/ascii.h"
#include "simulator/world/scenario_fields.h"
#include "simulator/world/scenario_sections.h"

namespace outpost::sim::world {

using nlohmann::json;

namespace {

struct Level {
  uint64_t count = 0;
  std::string name;
  std::optional<bool> read_only;  // absent: the parent's mode
  json repositories;              // null: the tree's
  json link, nic;                 // null: none
  std::optional<std::string> client_token;  // "push", "pull" or "none"; absent: by mode
};

bool is_name_part(const std::string& text) {
  return !text.empty() && std::isalpha(static_cast<unsigned char>(text[0])) &&
         std::all_of(text.begin(), text.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

Level parse_level(const json& value, const std::string& where) {
  const Fields fields(value, where, {"count", "name", "mode", "repositories", "clientToken", "link", "nic"});
  Level level;
  const auto count = fields.whole("count", 1, kMaxLevelTreeNodes);
  if (!count) fields.fail("count", "is required: how many children each node of the level above gets");
  level.count = *count;
  level.name = ascii_lowercase(fields.required_string("name"));
  if (!is_name_part(level.name))
    fields.fail("name", "'" + level.name + "' must start with a letter and hold only letters and digits (SPEC 2.1)");
  if (const auto mode = fields.string("mode")) {
    const std::string lower = ascii_lowercase(*mode);
    if (lower == "readonly" || lower == "mirror") {
      level.read_only = true;
    } else if (lower == "readwrite" || lower == "registry") {
      level.read_only = false;
    } else {
      fields.fail("mode", "'" + *mode + "' is not a mode: ReadWrite or ReadOnly");
    }
  }
  // A string or a list, as the tree's own "repositories" and the depth/fanout form take it.
  if (const auto repositories = fields.strings("repositories")) level.repositories = *repositories;
  level.client_token = fields.string("clientToken");
  if (level.client_token && *level.client_token != "push" && *level.client_token != "pull" &&
      *level.client_token != "none")
    fields.fail("clientToken", "'" + *level.client_token + "' is not an access: push, pull or none");
  // Checked here, so an error names the level as the file does, not the first node made from it.
  if (const json* link = fields.get("link")) {
    parse_link_spec(*link, fields.at("link"));
    level.link = *link;
  }
  if (const json* nic = fields.get("nic")) {
    parse_nic_spec(*nic, fields.at("nic"));
    level.nic = *nic;
  }
  if (level.client_token == "push" && level.read_only == true)
    fields.fail("clientToken", "a ReadOnly level's client token may only read (SPEC 4.4): use \"pull\"");
  return level;
}

}  // namespace

json level_tree_nodes(const json& tree, const std::string& where) {
  const Fields fields(tree, where, {"levels", "repositories"});
  const json* levels_value = fields.get("levels");
  if (!levels_value || !levels_value->is_array() || levels_value->empty())
    fields.fail("levels", "must be a non-empty array of {\"count\", \"name\", ...}, the top level first");
  const json repositories = fields.has("repositories") ? json(*fields.strings("repositories")) : json::array({"apps/*"});
  std::vector<Level> levels;
  uint64_t total = 0, width = 1;
  for (size_t i = 0; i < levels_value->size(); ++i) {
    levels.push_back(parse_level((*levels_value)[i], fields.at("levels") + "[" + std::to_string(i) + "]"));
    width *= levels.back().count;
    total += width;
    if (width > kMaxLevelTreeNodes || total > kMaxLevelTreeNodes)
      fields.fail("levels", "more than " + std::to_string(kMaxLevelTreeNodes) + " nodes");
  }

  struct Parent {
    std::string name;  // empty: the cloud
    bool read_only = false;
  };
  json nodes = json::array();
  std::vector<Parent> parents = {Parent{}};
  for (size_t depth = 0; depth < levels.size(); ++depth) {
    const Level& level = levels[depth];
    const std::string at = fields.at("levels") + "[" + std::to_string(depth) + "]";
    std::vector<Parent> next;
    next.reserve(parents.size() * level.count);
    for (const Parent& parent : parents) {
      const bool read_only = level.read_only.value_or(parent.read_only);
      if (parent.read_only && !read_only)
        scenario_fail(at + ".mode", "ReadWrite under a ReadOnly level: a ReadOnly parent may only have ReadOnly "
                                    "children (SPEC 2.3)");
      for (uint64_t i = 1; i <= level.count; ++i) {
        const std::string name = parent.name + level.name + std::to_string(i);
        if (!auth::valid_connected_registry_name(name))
          scenario_fail(at + ".name", "'" + name + "' is not a connected registry name (SPEC 2.1: 5 to 40 letters "
                                      "and digits, starting with a letter)");
        json node = {{"name", name},
                     {"parent", parent.name.empty() ? json(nullptr) : json(parent.name)},
                     {"mode", read_only ? "ReadOnly" : "ReadWrite"},
                     {"repositories", level.repositories.is_null() ? repositories : level.repositories},
                     {"clientToken", level.client_token.value_or(read_only ? "pull" : "push")}};
        if (!level.link.is_null()) node["link"] = level.link;
        if (!level.nic.is_null()) node["nic"] = level.nic;
        nodes.push_back(std::move(node));
        next.push_back({name, read_only});
      }
    }
    parents = std::move(next);
  }
  return {{"nodes", std::move(nodes)}};
}

}  // namespace outpost::sim::world
