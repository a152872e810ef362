#pragma once
// The decision table of SPEC 4.3 as data: every case of test_decision.cpp, flattened to (route, credentials, node,
// expected answer) with the clause it checks. test_decision.cpp runs them against auth::decide; the simulator's oracle
// (tests/unit/check) runs the very same cases against its own model of the SPEC.
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "reference/auth/challenge.h"
#include "tests/unit/auth/decision_fixture.h"

namespace outpost::auth::testing {

struct DecisionCase {
  std::string clause;  // "SPEC <clause>, <route>[, <presentation>]"
  RouteNeeds route;
  Credentials credentials;
  NodeView node;
  Expect expected;
};

// SPEC 4.3 step 1, 4.5, 3.4: every credential failure, on every route, presented either way, gets the same 401 with
// the route's challenge.
inline std::vector<DecisionCase> credential_failure_cases() {
  struct Row {
    const char* clause;
    Credentials credentials;
  };
  Credentials not_accepted = basic_token("_repositories_admin");
  not_accepted.accepted_at_node = false;
  Credentials disabled_sync_not_accepted = failed(CredentialState::DisabledSyncToken);
  disabled_sync_not_accepted.accepted_at_node = false;
  const std::vector<Row> rows = {
      {"3.4 no credentials", failed(CredentialState::None)},
      {"4.5 unknown token", failed(CredentialState::UnknownToken)},
      {"4.5 wrong password", failed(CredentialState::WrongPassword)},
      {"4.5 disabled token", failed(CredentialState::Disabled)},
      {"4.5 expired password", failed(CredentialState::PasswordExpired)},
      {"3.4 JWT failing verification", failed(CredentialState::InvalidBearerToken, Presentation::Bearer)},
      {"4.1 sync token of a CR under a CR", not_accepted},
      {"2.6/4.1 disabled sync token not accepted here", disabled_sync_not_accepted},
  };
  std::vector<DecisionCase> cases;
  for (const Op& op : cloud_ops())
    for (const Row& row : rows)
      for (Presentation presented : {Presentation::Basic, Presentation::Bearer}) {
        Credentials credentials = row.credentials;
        credentials.presented = presented;
        // SPEC 1.4: probes need no credentials.
        Expect expected = op.route.access == RouteAccess::None ? allowed() : unauthorized(challenge_scope(op.route));
        cases.push_back({std::string("SPEC ") + row.clause + ", " + op.label + ", " +
                             (presented == Presentation::Basic ? "Basic" : "Bearer"),
                         op.route, credentials, cloud_login_server(), expected});
      }
  return cases;
}

// SPEC 3.2, 3.6, 4.3 step 3: Basic credentials at the cloud login server, every route against every shape of scope
// map. A = allowed, D = 403 DENIED "Insufficient scopes to perform the operation".
inline std::vector<DecisionCase> basic_token_cases() {
  struct Row {
    const char* clause;
    const char* permission_set;
    // Columns, in cloud_ops() order:
    //  /v2/ mGET bGET upld mPUT mnt  mntX bDEL mDEL untg tags refs catl metr mgmt hlth GETx
    const char* expected;
  };
  const std::vector<Row> rows = {
      {"3.2 pull", "_repositories_pull",                        "A A A D D D D D D D A A A D D A A"},
      {"3.2 pull+metadata_read", "_repositories_pull_metadata_read", "A A A D D D D D D D A A A D D A A"},
      {"3.2 push", "_repositories_push",                        "A A A A A A A D D D A A A D D A A"},
      {"3.2 push+metadata_write", "_repositories_push_metadata_write", "A A A A A A A D D A A A A D D A A"},
      {"3.2 admin scope map (not the admin user)", "_repositories_admin", "A A A A A A A A A A A A A D D A A"},
      {"3.1 samples/* read; 3.6 no catalog without *", "samples/* pull", "A A A D D D D D D D A A D D D A D"},
      {"3.6 mount needs read on the source", "samples/* push",   "A A A A A A D D D D A A D D D A D"},
      {"3.6 push needs content/read too", "write without read", "A D D D D D D D D D D D D D D A D"},
      {"3.6 tags/list with metadata/read", "metadata/read only", "A D D D D D D D D D A A D D D A D"},
      {"3.6 delete by digest", "content/delete only",           "A D D D D D D A A D D D D D D A D"},
      {"3.6 untag", "metadata/write only",                      "A D D D D D D D D A D D D D D A D"},
      {"3.1 additive rules", "additive read + write",           "A A A A A A D D D D A A D D D A D"},
      {"3.1 prefix/* does not match prefix", "prefix below the repo", "A D D D D D D D D D D D D D D A D"},
      {"3.1 gateway actions give no repository access", "gateway only", "A D D D D D D D D D D D D D D A D"},
      {"3.6 GET /v2/ takes any valid credentials", "no actions", "A D D D D D D D D D D D D D D A D"},
      {"3.6 catalog: any rule on *", "* metadata/read",         "A D D D D D D D D D A A A D D A D"},
  };
  const auto& ops = cloud_ops();
  std::vector<DecisionCase> cases;
  for (const Row& row : rows) {
    std::istringstream columns(row.expected);
    std::vector<std::string> cells{std::istream_iterator<std::string>(columns), {}};
    BOOST_TEST_REQUIRE(cells.size() == ops.size(), row.permission_set);
    for (size_t i = 0; i < ops.size(); ++i)
      cases.push_back({std::string("SPEC ") + row.clause + ": " + row.permission_set + ", " + ops[i].label,
                       ops[i].route, basic_token(row.permission_set), cloud_login_server(),
                       cells[i] == "A" ? allowed() : insufficient_basic()});
  }
  return cases;
}

// SPEC 7.1, 1.4, 7.2: the admin user may do every repository action, list the catalog, read metrics and manage.
inline std::vector<DecisionCase> admin_cases() {
  std::vector<DecisionCase> cases;
  for (const Op& op : cloud_ops())
    cases.push_back({std::string("SPEC 7.1: admin, ") + op.label, op.route, admin(), cloud_login_server(), allowed()});
  return cases;
}

// SPEC 4.3 step 3, 3.4, 4.1: Bearer JWTs. What the request may do is the JWT's grant intersected with the token's
// scope map as it is now; a missing scope answers 401 with the challenge and error="insufficient_scope".
inline std::vector<DecisionCase> bearer_cases() {
  struct Row {
    const char* clause;
    Credentials credentials;
    const char* op;
    Expect expected;
  };
  const std::string push_scope = "repository:samples/app:pull,push";
  const std::vector<Row> rows = {
      {"3.4 granted pull", bearer_token("_repositories_push", grant("pull")), "manifest GET", allowed()},
      {"3.4 granted pull: blob", bearer_token("_repositories_push", grant("pull")), "blob GET", allowed()},
      {"4.3(3) push not in the JWT", bearer_token("_repositories_push", grant("pull")), "manifest PUT",
       insufficient_bearer(push_scope)},
      {"3.4 granted push", bearer_token("_repositories_push", grant("push")), "upload", allowed()},
      {"4.3(3) the JWT names only the target of a mount", bearer_token("_repositories_push", grant("push")),
       "mount from samples/base", insufficient_bearer(push_scope + " repository:samples/base:pull")},
      {"3.6 mount with both scopes granted", bearer_token("_repositories_push", grant("push and source")),
       "mount from samples/base", allowed()},
      {"4.1 scope map narrowed after the JWT was issued", bearer_token("_repositories_pull", grant("push")),
       "manifest PUT", insufficient_bearer(push_scope)},
      {"4.1 scope map emptied after the JWT was issued", bearer_token("no actions", grant("pull")), "manifest GET",
       insufficient_bearer("repository:samples/app:pull")},
      {"4.3(3) delete", bearer_token("_repositories_admin", grant("push")), "blob DELETE",
       insufficient_bearer("repository:samples/app:delete")},
      {"3.5 * grants delete", bearer_token("_repositories_admin", grant("everything")), "manifest DELETE by digest",
       allowed()},
      {"4.3(3) untag", bearer_token("_repositories_push", grant("everything")), "manifest DELETE by tag",
       insufficient_bearer("repository:samples/app:metadata_write")},
      {"3.6 tags/list with pull", bearer_token("_repositories_pull", grant("pull")), "tags/list", allowed()},
      {"4.3(3) another repository", bearer_token("_repositories_pull", grant("pull")), "manifest GET other/x",
       insufficient_bearer("repository:other/x:pull")},
      {"3.6 catalog needs the catalog grant", bearer_token("_repositories_pull", grant("pull")), "_catalog",
       insufficient_bearer("registry:catalog:*")},
      {"3.6 catalog granted", bearer_token("_repositories_pull", grant("catalog")), "_catalog", allowed()},
      {"3.6 catalog grant without a rule on *", bearer_token("samples/* pull", grant("catalog")), "_catalog",
       insufficient_bearer("registry:catalog:*")},
      {"3.6 GET /v2/ with an empty grant", bearer_token("no actions", grant("none")), "GET /v2/", allowed()},
      {"1.4 metrics: no scope can ask for it, so 403", bearer_token("_repositories_admin", grant("everything")),
       "metrics", insufficient_basic()},
      {"7.2 management: no scope can ask for it, so 403", bearer_token("_repositories_admin", grant("everything")),
       "management", insufficient_basic()},
      {"7.1 admin by Bearer: grant limits repositories", admin(Presentation::Bearer, &grant("pull")), "manifest GET",
       allowed()},
      {"7.1 admin by Bearer: grant limits repositories", admin(Presentation::Bearer, &grant("pull")), "manifest PUT",
       insufficient_bearer(push_scope)},
      {"7.2 admin by Bearer manages", admin(Presentation::Bearer, &grant("none")), "management", allowed()},
      {"1.4 admin by Bearer reads metrics", admin(Presentation::Bearer, &grant("none")), "metrics", allowed()},
      {"3.4 a Bearer with no access claim grants nothing", bearer_token("_repositories_admin", grant("none")),
       "blob GET", insufficient_bearer("repository:samples/app:pull")},
      {"1.4 probes", bearer_token("no actions", grant("none")), "healthz", allowed()},
  };
  std::vector<DecisionCase> cases;
  for (const Row& row : rows)
    cases.push_back({std::string("SPEC ") + row.clause + ", " + row.op, op(row.op).route, row.credentials,
                     cloud_login_server(), row.expected});
  return cases;
}

// SPEC 1.2: the login server and the data endpoint. The endpoint is checked before credentials, so the answer does not
// depend on them.
inline std::vector<DecisionCase> endpoint_cases() {
  const RouteNeeds config_read = gateway_route("child", kConfigRead);
  const RouteNeeds config_and_messages = gateway_route("child", kConfigRead | kMessageWrite);
  const RouteNeeds other_cr = gateway_route("other1", kConfigRead);
  NodeView no_data_endpoint = cloud_login_server();
  no_data_endpoint.data_endpoint = "";
  NodeView data_endpoint_unknown_login_server = cloud_data_endpoint();
  data_endpoint_unknown_login_server.login_server = "";
  const std::vector<DecisionCase> rows = {
      {"1.2 gateway at the login server, no credentials", config_read, failed(CredentialState::None),
       cloud_login_server(), denied("served at the data endpoint data.example:443")},
      {"1.2 gateway at the login server, valid sync token", config_read, basic_token("child sync"),
       cloud_login_server(), denied("served at the data endpoint data.example:443")},
      {"1.2 gateway at the login server, admin", config_read, admin(), cloud_login_server(),
       denied("data.example:443")},
      {"1.2 no data endpoint: no gateway", config_read, basic_token("child sync"), no_data_endpoint,
       not_found("NOT_FOUND", "without a data endpoint")},
      {"1.2 gateway at the data endpoint", config_read, basic_token("child sync"), cloud_data_endpoint(), allowed()},
      {"3.1 every gateway action needed", config_and_messages, basic_token("child sync"), cloud_data_endpoint(),
       allowed()},
      {"3.1 one gateway action missing", config_and_messages, basic_token("gateway only"), cloud_data_endpoint(),
       insufficient_basic()},
      {"3.1 gateway actions are per CR", other_cr, basic_token("child sync"), cloud_data_endpoint(),
       insufficient_basic()},
      {"3.1 repository actions give no gateway access", config_read, basic_token("_repositories_admin"),
       cloud_data_endpoint(), insufficient_basic()},
      {"7.1 the admin user holds no gateway action", config_read, admin(), cloud_data_endpoint(), insufficient_basic()},
      {"3.4 gateway with no credentials: challenge, no scope", config_read, failed(CredentialState::None),
       cloud_data_endpoint(), unauthorized("")},
      {"4.5 gateway with a wrong password", config_read, failed(CredentialState::WrongPassword), cloud_data_endpoint(),
       unauthorized("")},
      {"3.4 gateway by Bearer: the identity decides", config_read, bearer_token("child sync", grant("none")),
       cloud_data_endpoint(), allowed()},
      {"3.4 gateway by Bearer with the action", config_read, bearer_token("gateway only", grant("none")),
       cloud_data_endpoint(), allowed()},
      {"3.4 gateway by Bearer without the action: 403, no scope to ask for", other_cr,
       bearer_token("gateway only", grant("none")), cloud_data_endpoint(), insufficient_basic()},
      {"1.2 OCI API at the data endpoint names the login server", op("manifest GET").route,
       basic_token("_repositories_admin"), cloud_data_endpoint(), denied("use the login server registry.example:443")},
      {"1.2 OCI API at the data endpoint, no credentials", op("GET /v2/").route, failed(CredentialState::None),
       cloud_data_endpoint(), denied("use the login server")},
      {"1.2 management at the data endpoint", op("management").route, admin(), data_endpoint_unknown_login_server,
       denied("serves only the gateway API; use the login server")},
      {"1.4 probes at the data endpoint", op("healthz").route, failed(CredentialState::None), cloud_data_endpoint(),
       allowed()},
  };
  std::vector<DecisionCase> cases;
  for (DecisionCase row : rows) {
    row.clause = "SPEC " + row.clause;
    cases.push_back(std::move(row));
  }
  return cases;
}

// SPEC 4.3 at a connected registry: the order of the checks, the ReadOnly refusal, unsynced repositories, and the
// disabled states of 2.6. Acceptance (4.2) is the caller's `accepted_at_node`.
inline std::vector<DecisionCase> connected_registry_cases() {
  Credentials not_accepted = basic_token("_repositories_admin");
  not_accepted.accepted_at_node = false;
  Credentials disabled_sync = failed(CredentialState::DisabledSyncToken);
  Credentials disabled_sync_not_accepted = disabled_sync;
  disabled_sync_not_accepted.accepted_at_node = false;
  const NodeView read_only = connected(RegistryMode::ReadOnly);
  const NodeView read_write = connected(RegistryMode::ReadWrite);
  const NodeView read_only_unsynced = connected(RegistryMode::ReadOnly, false);
  const NodeView read_write_unsynced = connected(RegistryMode::ReadWrite, false);
  const NodeView disabled = connected(RegistryMode::ReadWrite, true, true);
  NodeView read_only_on_data_endpoint = read_only;
  read_only_on_data_endpoint.endpoint = Endpoint::DataEndpoint;  // ignored: a CR has one endpoint
  struct Row {
    const char* clause;
    const char* op;
    Credentials credentials;
    NodeView node;
    Expect expected;
  };
  const std::vector<Row> rows = {
      {"2.6 disabled CR answers 503", "manifest GET", basic_token("_repositories_pull"), disabled, unavailable()},
      {"2.6 disabled CR answers 503 whoever asks", "GET /v2/", failed(CredentialState::None), disabled, unavailable()},
      {"1.4 disabled CR still answers probes", "healthz", failed(CredentialState::None), disabled, allowed()},
      {"4.2 admin user not accepted at a CR", "manifest GET", admin(), read_write,
       unauthorized("repository:samples/app:pull")},
      {"4.2 token not accepted here", "manifest GET", not_accepted, read_write,
       unauthorized("repository:samples/app:pull")},
      {"4.3(1) before (2): no credentials on a write", "manifest PUT", failed(CredentialState::None), read_only,
       unauthorized("repository:samples/app:pull,push")},
      {"4.3(2) push at ReadOnly, whatever the token allows", "manifest PUT", basic_token("_repositories_admin"),
       read_only, not_allowed_here()},
      {"4.3(2) before (3): push at ReadOnly with a pull token", "upload", basic_token("_repositories_pull"), read_only,
       not_allowed_here()},
      {"4.3(2) before (3): Bearer without the scope", "manifest PUT",
       bearer_token("_repositories_admin", grant("none")), read_only, not_allowed_here()},
      {"4.3(2) mount at ReadOnly", "mount from samples/base", basic_token("_repositories_admin"), read_only,
       not_allowed_here()},
      {"4.3(2) delete at ReadOnly", "blob DELETE", basic_token("_repositories_admin"), read_only, not_allowed_here()},
      {"4.3(2) untag at ReadOnly", "manifest DELETE by tag", basic_token("_repositories_admin"), read_only,
       not_allowed_here()},
      {"4.3(2) before (4): unsynced write at ReadOnly", "manifest PUT", basic_token("_repositories_admin"),
       read_only_unsynced, not_allowed_here()},
      {"4.3 pull at ReadOnly", "manifest GET", basic_token("_repositories_pull"), read_only, allowed()},
      {"1.2 a CR ignores which endpoint", "manifest GET", basic_token("_repositories_pull"),
       read_only_on_data_endpoint, allowed()},
      {"4.3 push at ReadWrite", "manifest PUT", basic_token("_repositories_push"), read_write, allowed()},
      {"4.3(3) insufficient scopes at a CR", "manifest GET other/x", basic_token("samples/* pull"), read_write,
       insufficient_basic()},
      {"4.3(3) before (4): unsynced and not permitted", "manifest GET", basic_token("metadata/write only"),
       read_write_unsynced, insufficient_basic()},
      {"4.3(4) unsynced manifest", "manifest GET", basic_token("_repositories_pull"), read_write_unsynced,
       not_found("MANIFEST_UNKNOWN", "manifest unknown")},
      {"4.3(4) unsynced blob", "blob GET", basic_token("_repositories_pull"), read_write_unsynced,
       not_found("BLOB_UNKNOWN", "blob unknown")},
      {"4.3(4) unsynced repository", "tags/list", basic_token("_repositories_pull"), read_write_unsynced,
       not_found("NAME_UNKNOWN", "repository name not known")},
      {"4.3(4) unsynced push at ReadWrite", "upload", basic_token("_repositories_push"), read_write_unsynced,
       not_found("NAME_UNKNOWN", "repository name not known")},
      {"4.3(4) concerns repository routes only", "GET /v2/", basic_token("no actions"), read_write_unsynced, allowed()},
      {"3.6 catalog at a CR: any accepted token", "_catalog", basic_token("samples/* pull"), read_only, allowed()},
      {"3.6 catalog at a CR by Bearer needs the grant", "_catalog", bearer_token("samples/* pull", grant("none")),
       read_only, insufficient_bearer("registry:catalog:*")},
      {"3.6 catalog at a CR by Bearer", "_catalog", bearer_token("samples/* pull", grant("catalog")), read_only,
       allowed()},
      {"1.4 metrics at a CR: any accepted token", "metrics", basic_token("no actions"), read_only, allowed()},
      {"7.2 management is the admin's", "management", basic_token("_repositories_admin"), read_write,
       insufficient_basic()},
      {"2.6 disabled sync token with its right password", "GET /v2/", disabled_sync, read_write,
       denied("connected registry disabled")},
      {"2.6 disabled sync token at the cloud parent", "manifest GET", disabled_sync, cloud_login_server(),
       denied("connected registry disabled")},
      {"2.6/4.2 disabled sync token not accepted here", "GET /v2/", disabled_sync_not_accepted, read_write,
       unauthorized("")},
  };
  std::vector<DecisionCase> cases;
  for (const Row& row : rows)
    cases.push_back({std::string("SPEC ") + row.clause + ", " + row.op, op(row.op).route, row.credentials, row.node,
                     row.expected});
  return cases;
}

// SPEC 3.1/1.2/4.2: a child's sync token at its parent CR reads the gateway for the child and its descendants; a client
// token is accepted there with its repository actions only (4.2(a)), so gateway actions in its map count for nothing.
inline std::vector<DecisionCase> gateway_at_connected_registry_cases() {
  const NodeView parent = connected(RegistryMode::ReadOnly);
  const Credentials child_sync = as_sync_token(basic_token("child sync"));
  const Credentials client_with_gateway_actions = basic_token("child sync");  // a client token: sync_token false
  return {
      {"SPEC 3.1 the child's gateway", gateway_route("child", kAllGatewayActions), child_sync, parent, allowed()},
      {"SPEC 3.1 another CR's gateway", gateway_route("grandchild", kConfigRead), child_sync, parent,
       insufficient_basic()},
      // A gateway route that names no action cannot be satisfied: a misrouted request is refused, not let through.
      {"a gateway route naming no action", gateway_route("child", {}), child_sync, parent, insufficient_basic()},
      {"SPEC 4.2(a) a client token's gateway actions at a CR", gateway_route("child", kConfigRead),
       client_with_gateway_actions, parent, insufficient_basic()},
      {"SPEC 4.2(a) a client token's gateway actions at a CR, by Bearer", gateway_route("child", kConfigRead),
       bearer_token("child sync", grant("none")), parent, insufficient_basic()},
      {"SPEC 4.2(b) a child's sync token by Bearer: the identity decides", gateway_route("child", kConfigRead),
       as_sync_token(bearer_token("child sync", grant("none"))), parent, allowed()},
  };
}

// Every case above, in order.
inline std::vector<DecisionCase> all_decision_cases() {
  std::vector<DecisionCase> all;
  for (auto part : {credential_failure_cases(), basic_token_cases(), admin_cases(), bearer_cases(), endpoint_cases(),
                    connected_registry_cases(), gateway_at_connected_registry_cases()})
    all.insert(all.end(), part.begin(), part.end());
  return all;
}

}  // namespace outpost::auth::testing
