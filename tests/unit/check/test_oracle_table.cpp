// The oracle against the decision table of the token issue (tests/unit/auth/decision_table.h): every case, translated
// mechanically from auth::decide's inputs into a World, a node, a request and presented credentials, must get the
// table's answer from the oracle. The translation only builds the situation the case describes (a disabled token, a
// sync token of a CR under a CR, ...); the oracle works out the answer from the SPEC on its own.
#include <boost/test/unit_test.hpp>

#include "simulator/check/oracle.h"
#include "simulator/check/world_changes.h"
#include "tests/unit/auth/decision_table.h"

namespace auth = outpost::auth;
namespace at = outpost::auth::testing;
using namespace outpost::check;
using outpost::WallTime;

namespace {
const WallTime kNow = WallTime(std::chrono::seconds(1798761600));  // 2027-01-01T00:00:00Z
constexpr const char* kTestedMap = "tested-scope-map";
constexpr const char* kEdge = "edge1";

struct Situation {
  World world;
  NodeRef node;
  Request request;
  Credential credential;
};

std::string permission_set_name(const auth::PermissionSet* set) {
  for (const auto& [name, actions] : at::permission_definitions())
    if (&at::permissions(name) == set) return name;
  BOOST_FAIL("the case points at a permission set the fixture does not name");
  return "";
}

std::vector<AccessGrant> grant_entries(const auth::GrantedAccess* granted) {
  std::vector<AccessGrant> out;
  if (!granted) return out;
  for (const auto& [name, entries] : at::grant_definitions())
    if (&at::grant(name) == granted) {
      for (const auth::AccessEntry& entry : entries) out.push_back({entry.type, entry.name, entry.actions});
      return out;
    }
  BOOST_FAIL("the case points at a grant the fixture does not name");
  return out;
}

Request request_for(const auth::RouteNeeds& route) {
  Request request;
  request.repository = std::string(route.repository);
  const bool blob = route.object == auth::RouteObject::Blob;
  const bool manifest = route.object == auth::RouteObject::Manifest;
  switch (route.access) {
    case auth::RouteAccess::AnyCredentials: request.operation = Operation::Ping; break;
    case auth::RouteAccess::None: request.operation = Operation::Probe; break;
    case auth::RouteAccess::ContentRead:
      request.operation = blob ? Operation::PullBlob : Operation::PullManifest;
      break;
    case auth::RouteAccess::ContentWrite:
      if (route.mount_source) {
        request.operation = Operation::Mount;
        request.mount_source = std::string(*route.mount_source);
      } else {
        request.operation = manifest ? Operation::PushManifest : Operation::Upload;
      }
      break;
    case auth::RouteAccess::ContentDelete:
      request.operation = blob ? Operation::DeleteBlob : Operation::DeleteManifest;
      break;
    case auth::RouteAccess::MetadataWrite: request.operation = Operation::Untag; break;
    case auth::RouteAccess::ContentOrMetadataRead:
      request.operation = manifest ? Operation::Referrers : Operation::ListTags;
      break;
    case auth::RouteAccess::Catalog: request.operation = Operation::Catalog; break;
    case auth::RouteAccess::Metrics: request.operation = Operation::Metrics; break;
    case auth::RouteAccess::Management: request.operation = Operation::Management; break;
    case auth::RouteAccess::Gateway:
      request.operation = Operation::Gateway;
      request.gateway_cr = std::string(route.gateway_cr);
      if (route.gateway_actions.contains(auth::kConfigRead)) request.gateway_needs.bits |= GatewayRights::kConfigRead;
      if (route.gateway_actions.contains(auth::kConfigWrite)) request.gateway_needs.bits |= GatewayRights::kConfigWrite;
      if (route.gateway_actions.contains(auth::kMessageRead)) request.gateway_needs.bits |= GatewayRights::kMessageRead;
      if (route.gateway_actions.contains(auth::kMessageWrite))
        request.gateway_needs.bits |= GatewayRights::kMessageWrite;
      break;
  }
  return request;
}

// A CR whose parent is `parent`, with a tested scope map on its sync token; returns the sync token's name.
std::string sync_token_of_new_cr(World& world, const std::string& name, const std::string& parent) {
  ConnectedRegistry cr;
  cr.name = name;
  cr.parent = parent;
  cr.repositories = {"samples/*"};
  create_connected_registry(world, cr, kNow - std::chrono::hours(1));
  return sync_token_name(name);
}

Situation situation_for(const at::DecisionCase& row) {
  Situation s;
  const auth::NodeView& view = row.node;
  const bool at_cr = view.role == auth::NodeRole::ConnectedRegistry;
  s.world.cloud_login_server = at_cr ? "registry.example:443" : std::string(view.login_server);
  s.world.cloud_data_endpoint = at_cr ? "data.example:443" : std::string(view.data_endpoint);
  if (at_cr) {
    ConnectedRegistry edge;
    edge.name = kEdge;
    edge.mode = view.mode == auth::RegistryMode::ReadOnly ? Mode::ReadOnly : Mode::ReadWrite;
    edge.login_server = "edge1:5000";
    // SPEC 4.3(4): the case's repositories are samples/app, samples/base and other/x.
    edge.repositories = view.repository_synced ? std::vector<std::string>{"samples/*", "other/*"}
                                               : std::vector<std::string>{"unrelated/*"};
    create_connected_registry(s.world, edge, kNow - std::chrono::hours(2));
    if (view.cr_disabled) set_token_status(s.world, sync_token_name(kEdge), TokenStatus::Disabled);  // SPEC 2.6
    s.node = NodeRef{kEdge, false};
  } else {
    s.node = NodeRef{"", view.endpoint == auth::Endpoint::DataEndpoint};
  }
  s.request = request_for(row.route);

  const auth::Credentials& c = row.credentials;
  Credential& credential = s.credential;
  credential.presented = c.presented == auth::Presentation::Bearer ? Presentation::Bearer : Presentation::Basic;
  const std::string here = at_cr ? std::string(kEdge) : std::string();
  auto valid_bearer = [&](const std::string& subject) {
    BearerFacts facts;
    facts.issued_by = s.world.address_of(s.node);
    facts.issued_at = kNow - std::chrono::minutes(1);
    facts.expires_at = kNow + std::chrono::minutes(4);
    if (const Token* token = s.world.token(subject))
      for (size_t i = 0; i < 2; ++i) facts.serials[i] = token->passwords[i].present ? token->passwords[i].serial : 0;
    facts.access = grant_entries(c.granted);
    return facts;
  };
  // The token the case presents, made to be in the state it names; the right password unless the state says not.
  auto present = [&](const std::string& name) {
    credential.kind = Credential::Kind::Token;
    credential.name = name;
    if (const Token* token = s.world.token(name)) credential.password = PasswordProof{0, token->passwords[0].serial};
    if (credential.presented == Presentation::Bearer) credential.bearer = valid_bearer(name);
  };
  auto plain_token = [&](const std::string& name, const std::string& map) {
    create_token(s.world, name, map, kNow - std::chrono::hours(1));
    return name;
  };

  switch (c.state) {
    case auth::CredentialState::None: credential.kind = Credential::Kind::None; break;
    case auth::CredentialState::Admin:
      credential.kind = Credential::Kind::Admin;
      credential.admin_password_right = true;
      if (credential.presented == Presentation::Bearer) credential.bearer = valid_bearer("admin");
      break;
    case auth::CredentialState::UnknownToken:
      present("ghost-token");  // not in the World
      break;
    case auth::CredentialState::WrongPassword:
      present(plain_token("plain-token", "_repositories_admin"));
      credential.password.reset();
      if (credential.bearer) credential.bearer->serials = {0, 0};  // issued before both passwords changed
      break;
    case auth::CredentialState::Disabled:
      present(plain_token("plain-token", "_repositories_admin"));
      set_token_status(s.world, "plain-token", TokenStatus::Disabled);
      break;
    case auth::CredentialState::PasswordExpired: {
      plain_token("plain-token", "_repositories_admin");
      Token& token = s.world.tokens.at("plain-token");
      token.passwords[0].expiry = kNow - std::chrono::hours(1);
      token.passwords[1].present = false;
      present("plain-token");
      break;
    }
    case auth::CredentialState::InvalidBearerToken:
      present(plain_token("plain-token", "_repositories_admin"));
      credential.password.reset();  // a refresh token that fails is no password either
      if (credential.bearer) credential.bearer->expires_at = kNow - std::chrono::hours(1);
      break;
    case auth::CredentialState::DisabledSyncToken: {
      std::string token;
      if (c.accepted_at_node) {
        token = sync_token_of_new_cr(s.world, "child1", here);  // a direct child of the node asked
      } else if (at_cr) {
        token = sync_token_of_new_cr(s.world, "child1", "");  // a child of the cloud, not of this CR
      } else {
        sync_token_of_new_cr(s.world, "middle1", "");
        token = sync_token_of_new_cr(s.world, "grandchild1", "middle1");  // SPEC 4.1: under a CR
      }
      set_token_status(s.world, token, TokenStatus::Disabled);
      present(token);
      break;
    }
    case auth::CredentialState::ValidToken: {
      const std::string set = permission_set_name(c.permissions);
      set_scope_map(s.world, kTestedMap, at::permission_definitions().at(set));
      std::string token;
      if (!at_cr && c.accepted_at_node) {
        token = plain_token("tested-token", kTestedMap);
      } else if (!at_cr) {
        sync_token_of_new_cr(s.world, "middle1", "");
        token = sync_token_of_new_cr(s.world, "grandchild1", "middle1");  // SPEC 4.1: not accepted at the cloud
      } else if (c.accepted_at_node && c.sync_token) {
        token = sync_token_of_new_cr(s.world, "child", kEdge);  // SPEC 4.2(b): gateway rights come with sync tokens
      } else if (c.accepted_at_node) {
        token = plain_token("tested-token", kTestedMap);
        set_client_tokens(s.world, kEdge, {token});  // SPEC 4.2(a)
      } else {
        token = plain_token("tested-token", kTestedMap);  // listed nowhere
      }
      s.world.tokens.at(token).scope_map = kTestedMap;
      present(token);
      break;
    }
  }
  return s;
}

bool matches(const Answer& answer, const at::Expect& expected) {
  if (expected.status == 0 || answer.allowed()) return expected.status == 0 && answer.allowed();
  if (answer.status != expected.status) return false;
  if (!answer.code.empty() && answer.code != expected.code) return false;
  if (!answer.message.empty() && expected.message_part.find(answer.message) == std::string::npos &&
      answer.message.find(expected.message_part) == std::string::npos)
    return false;
  if (answer.challenge != expected.challenge) return false;
  if (answer.challenge && answer.challenge_scope && *answer.challenge_scope != expected.scope) return false;
  return answer.insufficient_scope == expected.insufficient_scope;
}

std::string describe(const at::Expect& expected) {
  if (expected.status == 0) return "allowed";
  return std::to_string(expected.status) + " " + expected.code + " \"" + expected.message_part + "\"" +
         (expected.challenge ? " scope=\"" + expected.scope + "\"" : "") +
         (expected.insufficient_scope ? " insufficient_scope" : "");
}
}  // namespace

BOOST_AUTO_TEST_SUITE(oracle_against_the_decision_table)

BOOST_AUTO_TEST_CASE(every_case_of_the_table) {
  const auto cases = at::all_decision_cases();
  BOOST_TEST_REQUIRE(cases.size() > 500u);  // the whole table, not a sample
  size_t agreed = 0;
  for (const at::DecisionCase& row : cases) {
    const Situation s = situation_for(row);
    const Answer got = answer(s.world, s.node, s.request, s.credential, kNow);
    BOOST_TEST_CONTEXT(row.clause << " (" << outpost::check::describe(s.credential) << ")") {
      BOOST_TEST(matches(got, row.expected),
                 "oracle: " << outpost::check::describe(got) << "; table: " << describe(row.expected));
    }
    agreed += matches(got, row.expected) ? 1 : 0;
  }
  BOOST_TEST_MESSAGE("the oracle agrees with " << agreed << " of " << cases.size() << " cases");
}

BOOST_AUTO_TEST_SUITE_END()
