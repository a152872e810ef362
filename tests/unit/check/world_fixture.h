#pragma once
// A small World for the oracle and invariant tests: the cloud, a ReadWrite CR "mid" under it, a ReadOnly CR "leaf"
// under "mid", and a ReadWrite CR "other" beside "mid", each with a client token; built with the SPEC's derived rules
// (world_changes.h), as the simulator builds its own.
#include <string>

#include "reference/auth/base64.h"
#include "simulator/check/credential.h"
#include "simulator/check/observation.h"
#include "simulator/check/oracle.h"
#include "simulator/check/world_changes.h"

namespace outpost::check::testing {

inline const WallTime kStart = WallTime(std::chrono::seconds(1798761600));  // 2027-01-01T00:00:00Z
inline const WallTime t0 = kStart + std::chrono::hours(1);  // when the tests' decisions are made

inline World small_world() {
  World world;
  world.cloud_login_server = "cloud:5000";
  world.cloud_data_endpoint = "cloud:5001";
  set_scope_map(world, "everything",
                {"repositories/*/content/read", "repositories/*/content/write", "repositories/*/content/delete",
                 "repositories/*/metadata/read", "repositories/*/metadata/write"});
  set_scope_map(world, "samples-pull", {"repositories/samples/*/content/read"});
  set_scope_map(world, "with-gateway", {"repositories/samples/*/content/read", "gateway/leaf/config/read"});
  create_token(world, "mid-client", "everything", kStart);
  create_token(world, "leaf-client", "samples-pull", kStart);
  create_token(world, "other-client", "everything", kStart);
  create_token(world, "gateway-client", "with-gateway", kStart);
  create_token(world, "cloud-user", "samples-pull", kStart);
  create_token(world, "pusher", "_repositories_push", kStart);
  create_connected_registry(
      world, {"mid", Mode::ReadWrite, "", {"samples/*", "prod/app"}, {"mid-client", "gateway-client"}, "", "mid:5000"},
      kStart);
  create_connected_registry(
      world, {"leaf", Mode::ReadOnly, "mid", {"samples/*"}, {"leaf-client", "mid-client"}, "", "leaf:5000"}, kStart);
  create_connected_registry(world, {"other", Mode::ReadWrite, "", {"other/*"}, {"other-client"}, "", "other:5000"},
                            kStart);
  return world;
}

inline std::string basic_header(const std::string& name, const std::string& password) {
  return "Basic " + auth::base64_encode(name + ":" + password);
}

// A decision as a node reports it: at `node` (its Host too), with this Authorization header and outcome.
inline ObservedDecision observed_at(WallTime time, const std::string& node, http::Method method,
                                    const std::string& path, const std::string& authorization, Outcome outcome = {}) {
  ObservedDecision observed;
  observed.time = time;
  observed.node = node;
  observed.host = node;
  observed.method = method;
  observed.path = path;
  observed.authorization = authorization;
  observed.outcome = std::move(outcome);
  return observed;
}

inline NodeRef cloud() { return {}; }
inline NodeRef data_endpoint() { return {"", true}; }
inline NodeRef cr(const std::string& name) { return {name, false}; }

// A token's password `slot` as the World holds it now.
inline Credential basic(const World& world, const std::string& token, int slot = 0) {
  Credential credential;
  credential.kind = Credential::Kind::Token;
  credential.name = token;
  if (const Token* found = world.token(token); found && found->passwords[slot].present)
    credential.password = PasswordProof{slot, found->passwords[slot].serial};
  return credential;
}

inline Credential wrong_password(const std::string& token) {
  Credential credential;
  credential.kind = Credential::Kind::Token;
  credential.name = token;
  return credential;
}

inline Credential admin_user(bool right = true) {
  Credential credential;
  credential.kind = Credential::Kind::Admin;
  credential.admin_password_right = right;
  return credential;
}

// An access token `node` issued to `token` at `issued`, granting `access`.
inline Credential bearer(const World& world, const NodeRef& node, const std::string& token, WallTime issued,
                         std::vector<AccessGrant> access) {
  Credential credential = basic(world, token);
  credential.password.reset();
  credential.presented = Presentation::Bearer;
  BearerFacts facts;
  facts.issued_by = world.address_of(node);
  facts.issued_at = issued;
  facts.expires_at = issued + std::chrono::minutes(5);
  if (const Token* found = world.token(token))
    for (size_t i = 0; i < 2; ++i) facts.serials[i] = found->passwords[i].present ? found->passwords[i].serial : 0;
  facts.access = std::move(access);
  credential.bearer = facts;
  return credential;
}

inline Request op(Operation operation, std::string repository = {}) {
  Request request;
  request.operation = operation;
  request.repository = std::move(repository);
  return request;
}

inline Request gateway_call(const std::string& cr, uint8_t needs) {
  Request request;
  request.operation = Operation::Gateway;
  request.gateway_cr = cr;
  request.gateway_needs = {needs};
  return request;
}

}  // namespace outpost::check::testing
