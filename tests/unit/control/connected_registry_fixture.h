#pragma once
// Connected-registry helpers over the control fixture: creating CRs and reading their sync scope maps and tokens.
#include <algorithm>
#include <string>
#include <vector>

#include "reference/auth/names.h"
#include "tests/unit/control/control_fixture.h"

namespace outpost::control::testing {

struct ConnectedRegistryFixture : ControlFixture {
  using ControlFixture::ControlFixture;

  // PUT with `body` plus the given mode, parent and repositories; requires 201.
  json create_cr(const std::string& name, const std::string& mode, std::optional<std::string> parent,
                 std::vector<std::string> repositories, json body = json::object()) {
    body["mode"] = mode;
    if (parent) body["parent"] = *parent;
    body["repositories"] = repositories;
    const auto created = control->put_connected_registry(name, body);
    BOOST_REQUIRE(created.status == 201);
    return created.body;
  }

  const ConnectedRegistry& cr(const std::string& name) const {
    const ConnectedRegistry* found = control->snapshot()->connected_registry(name);
    BOOST_REQUIRE_MESSAGE(found != nullptr, "no connected registry " + name);
    return *found;
  }

  std::vector<std::string> sync_actions(const std::string& name) const {
    const auto snapshot = control->snapshot();
    const auto it = snapshot->scope_maps.find(auth::sync_scope_map_name(name));
    BOOST_REQUIRE_MESSAGE(it != snapshot->scope_maps.end(), "no sync scope map for " + name);
    std::vector<std::string> actions = it->second.actions;
    std::sort(actions.begin(), actions.end());
    return actions;
  }

  uint64_t version(const std::string& name) const { return control->snapshot()->config_version(name); }

  static std::vector<std::string> sorted(std::vector<std::string> values) {
    std::sort(values.begin(), values.end());
    return values;
  }
  static std::vector<std::string> read_actions(const std::string& repository) {
    return {"repositories/" + repository + "/content/read", "repositories/" + repository + "/metadata/read"};
  }
  static std::vector<std::string> all_actions(const std::string& repository) {
    std::vector<std::string> out;
    for (const char* verb : {"content/read", "content/write", "content/delete", "metadata/read", "metadata/write"})
      out.push_back("repositories/" + repository + "/" + verb);
    return out;
  }
  static std::vector<std::string> gateway(const std::string& cr) {
    std::vector<std::string> out;
    for (const char* verb : {"config/read", "config/write", "message/read", "message/write"})
      out.push_back("gateway/" + cr + "/" + verb);
    return out;
  }
  static std::vector<std::string> join(std::initializer_list<std::vector<std::string>> parts) {
    std::vector<std::string> out;
    for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
    return sorted(out);
  }
};

}  // namespace outpost::control::testing
