#pragma once
// A cloud node's token side, assembled as `outpost serve` will: control plane (memory store, a low hash cost so tests
// stay fast), admin user, signing key, authenticator, access policy, token endpoint, registry on memory storage,
// management API and the NodeHandler in front, driven in-process. Also a Snapshot double for tests that need to set
// token state (generations, hashes) directly.
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "reference/auth/base64.h"
#include "reference/auth/jwt.h"
#include "reference/auth/password.h"
#include "reference/common/random.h"
#include "reference/control/control_plane.h"
#include "reference/control/control_store.h"
#include "reference/control/management_api.h"
#include "reference/registry/auth/authenticator.h"
#include "reference/registry/auth/node_handler.h"
#include "reference/registry/auth/signing_key_setting.h"
#include "reference/registry/auth/token_access_policy.h"
#include "reference/registry/auth/token_endpoint.h"
#include "reference/registry/registry.h"
#include "reference/storage/storage.h"
#include "tests/unit/auth_crypto/fake_clock.h"
#include "tests/unit/registry/in_process_client.h"

namespace outpost::testing {

// The claims of a JWT, decoded without checking its signature.
inline nlohmann::json payload_of(const std::string& jwt) {
  const size_t first = jwt.find('.');
  const size_t second = jwt.find('.', first + 1);
  return nlohmann::json::parse(*auth::base64url_decode(jwt.substr(first + 1, second - first - 1)));
}

inline constexpr auth::PasswordHashCost kTestCost{1000};
inline constexpr const char* kHost = "registry.test:5000";
inline constexpr const char* kAdminPassword = "admin-secret";

inline std::string basic(const std::string& name, const std::string& password) {
  return "Basic " + auth::base64_encode(name + ":" + password);
}

inline http::Headers with_authorization(const std::string& value, const std::string& host = kHost) {
  http::Headers headers;
  headers.set("Host", host);
  if (!value.empty()) headers.set("Authorization", value);
  return headers;
}

// Hands out whatever Snapshot the test set last.
struct SnapshotDouble {
  std::shared_ptr<const control::Snapshot> current = std::make_shared<control::Snapshot>();
  registry::SnapshotSource source() {
    return [this] { return current; };
  }
  // Copies the current snapshot, lets `edit` change it, publishes the copy.
  template <class Edit>
  void change(Edit&& edit) {
    auto next = std::make_shared<control::Snapshot>(*current);
    edit(*next);
    current = std::move(next);
  }
};

// A token named `name` with password1 = `password` on scope map `scope_map` (its actions compiled into permissions).
inline void put_token(control::Snapshot& snapshot, Random& random, const std::string& name, const std::string& password,
                      const std::string& scope_map, const std::vector<std::string>& actions, uint64_t generation) {
  auth::ScopeMap map{scope_map, "", actions, auth::ScopeMapType::UserDefined};
  snapshot.permissions.insert_or_assign(scope_map, map.permissions());
  snapshot.scope_maps.insert_or_assign(scope_map, std::move(map));
  auth::Token token;
  token.name = name;
  token.scope_map = scope_map;
  token.password(auth::PasswordName::Password1) = {true, auth::hash_password(password, random, kTestCost), {}, {}};
  snapshot.tokens.insert_or_assign(name, token);
  snapshot.generations.insert_or_assign(name, generation);
}

struct CloudNode {
  FakeClock clock;
  SeededRandom random{7};
  std::unique_ptr<control::ControlStore> store = control::open_memory_control_store();
  control::ControlPlane control{*store, clock, random, {kTestCost}};
  bool admin_ready = (control.ensure_admin(std::string(kAdminPassword)), true);
  auth::SigningKey key = registry::load_or_create_signing_key(control, random);
  registry::Authenticator authenticator{[this] { return control.snapshot(); }, auth::KeySet({key.verifying_key()}),
                                        clock, registry::AuthenticatorOptions{kTestCost}};
  registry::TokenAccessPolicy policy{authenticator, registry::ServiceNaming{}};
  registry::TokenEndpoint tokens{authenticator, key, registry::ServiceNaming{}, registry::NodeFacts{}, random};
  std::unique_ptr<storage::Storage> storage = storage::open_memory_storage(clock, random);
  registry::Registry registry{*storage, clock, random, policy,
                              registry::RegistryOptions{4 * 1024 * 1024, {}, [] { return std::string("up 1\n"); }}};
  control::ManagementApi management{control};
  registry::NodeHandler node{registry, tokens, policy, &management};
  InProcessClient client{node};

  // A scope map with `actions` and a token on it; returns password1.
  std::string make_token(const std::string& name, const std::vector<std::string>& actions) {
    control.put_scope_map(name + "-map", {{"actions", actions}});
    const auto created = control.put_token(name, {{"scopeMap", name + "-map"}});
    for (const auto& password : created.body.at("passwords"))
      if (password.at("name") == "password1") return password.at("value").get<std::string>();
    throw std::runtime_error("no password1 in " + created.body.dump());
  }

  Reply send(http::Method method, const std::string& target, const std::string& authorization,
             const std::string& body = "", http::Headers extra = {}) {
    http::Headers headers = with_authorization(authorization);
    for (const auto& [name, value] : extra.entries()) headers.set(name, value);
    return client.send(method, target, body, headers);
  }
  Reply get(const std::string& target, const std::string& authorization) {
    return send(http::Method::Get, target, authorization);
  }

  // GET /oauth2/token with Basic credentials; the access token, or throws with the reply.
  std::string bearer_for(const std::string& name, const std::string& password, const std::string& query) {
    const Reply reply = get("/oauth2/token?" + query, basic(name, password));
    if (reply.status != 200) throw std::runtime_error("token request failed: " + reply.body);
    return nlohmann::json::parse(reply.body).at("token").get<std::string>();
  }
};

}  // namespace outpost::testing
