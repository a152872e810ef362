#pragma once
// Shared pieces of the decision tests: the routes of SPEC 3.6 on one repository, named permission sets, and the
// expected answers in the SPEC's words.
#include <boost/test/unit_test.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reference/auth/decision.h"

namespace outpost::auth::testing {

// The repository most rows act on, one a `samples/*` token can read, and one it cannot.
inline constexpr std::string_view kRepo = "samples/app";
inline constexpr std::string_view kReadableSource = "samples/base";
inline constexpr std::string_view kOtherRepo = "other/x";

struct Op {
  const char* label;
  RouteNeeds route;
};

// Every route kind at a cloud login server, in the column order of the matrices in test_decision.cpp.
inline const std::vector<Op>& cloud_ops() {
  static const std::vector<Op> ops = {
      {"GET /v2/", {RouteAccess::AnyCredentials}},
      {"manifest GET", {RouteAccess::ContentRead, false, kRepo, std::nullopt, RouteObject::Manifest}},
      {"blob GET", {RouteAccess::ContentRead, false, kRepo, std::nullopt, RouteObject::Blob}},
      {"upload", {RouteAccess::ContentWrite, true, kRepo, std::nullopt, RouteObject::Repository}},
      {"manifest PUT", {RouteAccess::ContentWrite, true, kRepo, std::nullopt, RouteObject::Manifest}},
      {"mount from samples/base", {RouteAccess::ContentWrite, true, kRepo, kReadableSource, RouteObject::Blob}},
      {"mount from other/x", {RouteAccess::ContentWrite, true, kRepo, kOtherRepo, RouteObject::Blob}},
      {"blob DELETE", {RouteAccess::ContentDelete, true, kRepo, std::nullopt, RouteObject::Blob}},
      {"manifest DELETE by digest", {RouteAccess::ContentDelete, true, kRepo, std::nullopt, RouteObject::Manifest}},
      {"manifest DELETE by tag", {RouteAccess::MetadataWrite, true, kRepo, std::nullopt, RouteObject::Manifest}},
      {"tags/list", {RouteAccess::ContentOrMetadataRead, false, kRepo, std::nullopt, RouteObject::Repository}},
      {"referrers", {RouteAccess::ContentOrMetadataRead, false, kRepo, std::nullopt, RouteObject::Manifest}},
      {"_catalog", {RouteAccess::Catalog}},
      {"metrics", {RouteAccess::Metrics}},
      {"management", {RouteAccess::Management}},
      {"healthz", {RouteAccess::None}},
      {"manifest GET other/x", {RouteAccess::ContentRead, false, kOtherRepo, std::nullopt, RouteObject::Manifest}},
  };
  return ops;
}

inline const Op& op(std::string_view label) {
  for (const Op& candidate : cloud_ops())
    if (candidate.label == label) return candidate;
  BOOST_FAIL("no op " << label);
  throw;
}

inline RouteNeeds gateway_route(std::string_view cr, GatewayActions actions) {
  return {RouteAccess::Gateway, false, "", std::nullopt, RouteObject::Repository, cr, actions};
}

// The actions of each named permission set (scope-map action strings, SPEC 3.1).
inline const std::map<std::string, std::vector<std::string>>& permission_definitions() {
  static const std::map<std::string, std::vector<std::string>> definitions = {
      {"_repositories_pull", {"repositories/*/content/read"}},
      {"_repositories_pull_metadata_read", {"repositories/*/content/read", "repositories/*/metadata/read"}},
      {"_repositories_push", {"repositories/*/content/read", "repositories/*/content/write"}},
      {"_repositories_push_metadata_write",
       {"repositories/*/content/read", "repositories/*/content/write", "repositories/*/metadata/read",
        "repositories/*/metadata/write"}},
      {"_repositories_admin",
       {"repositories/*/content/read", "repositories/*/content/write", "repositories/*/content/delete",
        "repositories/*/metadata/read", "repositories/*/metadata/write"}},
      {"samples/* pull", {"repositories/samples/*/content/read"}},
      {"samples/* push", {"repositories/samples/*/content/read", "repositories/samples/*/content/write"}},
      {"write without read", {"repositories/samples/app/content/write"}},
      {"metadata/read only", {"repositories/samples/app/metadata/read"}},
      {"content/delete only", {"repositories/samples/app/content/delete"}},
      {"metadata/write only", {"repositories/samples/app/metadata/write"}},
      {"additive read + write", {"repositories/samples/*/content/read", "repositories/samples/app/content/write"}},
      {"prefix below the repo",
       {"repositories/samples/app/*/content/read", "repositories/samples/app/*/content/write"}},
      {"gateway only", {"gateway/child/config/read", "gateway/child/message/read"}},
      {"no actions", {}},
      {"* metadata/read", {"repositories/*/metadata/read"}},
      {"child sync", {"repositories/samples/*/content/read", "repositories/samples/*/metadata/read",
                      "gateway/child/config/read", "gateway/child/config/write", "gateway/child/message/read",
                      "gateway/child/message/write"}},
  };
  return definitions;
}

// Permission sets by name; they live for the whole test run, so Credentials may point at them.
inline const PermissionSet& permissions(const std::string& name) {
  static std::map<std::string, PermissionSet> compiled;
  if (compiled.empty())
    for (const auto& [key, actions] : permission_definitions()) {
      const ParsedActions parsed = parse_actions(actions);
      BOOST_TEST_REQUIRE(parsed.errors.empty());
      compiled.emplace(key, PermissionSet(parsed.rules));
    }
  const auto found = compiled.find(name);
  if (found == compiled.end()) BOOST_FAIL("no permission set " << name);
  return found->second;
}

// The access claims of the JWTs in the tables (SPEC 3.4), by name.
inline const std::map<std::string, std::vector<AccessEntry>>& grant_definitions() {
  static const std::map<std::string, std::vector<AccessEntry>> definitions = {
      {"none", {}},
      {"pull", {{"repository", "samples/app", {"pull"}}}},
      {"push", {{"repository", "samples/app", {"pull", "push"}}}},
      {"push and source", {{"repository", "samples/app", {"pull", "push"}}, {"repository", "samples/base", {"pull"}}}},
      {"everything", {{"repository", "samples/app", {"*"}}}},
      {"catalog", {{"registry", "catalog", {"*"}}}},
  };
  return definitions;
}

// Grants by name; they live for the whole test run, so Credentials may point at them.
inline const GrantedAccess& grant(const std::string& name) {
  static std::map<std::string, GrantedAccess> compiled;
  if (compiled.empty())
    for (const auto& [key, entries] : grant_definitions()) compiled.emplace(key, GrantedAccess(entries));
  const auto found = compiled.find(name);
  if (found == compiled.end()) BOOST_FAIL("no grant " << name);
  return found->second;
}

inline Credentials basic_token(const std::string& set) {
  return {CredentialState::ValidToken, Presentation::Basic, &permissions(set), nullptr, true};
}
inline Credentials bearer_token(const std::string& set, const GrantedAccess& granted) {
  return {CredentialState::ValidToken, Presentation::Bearer, &permissions(set), &granted, true};
}
// `credentials` presented for a connected registry's sync token (Credentials::sync_token).
inline Credentials as_sync_token(Credentials credentials) {
  credentials.sync_token = true;
  return credentials;
}
inline Credentials admin(Presentation presented = Presentation::Basic, const GrantedAccess* granted = nullptr) {
  return {CredentialState::Admin, presented, nullptr, granted, true};
}
inline Credentials failed(CredentialState state, Presentation presented = Presentation::Basic) {
  return {state, presented, nullptr, nullptr, true};
}

inline NodeView cloud_login_server() {
  return {NodeRole::Cloud, Endpoint::LoginServer, "registry.example:443", "data.example:443"};
}
inline NodeView cloud_data_endpoint() {
  return {NodeRole::Cloud, Endpoint::DataEndpoint, "registry.example:443", "data.example:443"};
}
inline NodeView connected(RegistryMode mode, bool synced = true, bool disabled = false) {
  return {NodeRole::ConnectedRegistry, Endpoint::LoginServer, "", "", mode, disabled, synced};
}

// An expected answer; status 0 means "allowed".
struct Expect {
  int status = 0;
  std::string code;
  std::string message_part;
  bool challenge = false;
  std::string scope;
  bool insufficient_scope = false;
};

inline Expect allowed() { return {}; }
inline Expect unauthorized(std::string scope) {
  return {401, "UNAUTHORIZED", std::string(kAuthenticationRequired), true, std::move(scope), false};
}
inline Expect insufficient_basic() { return {403, "DENIED", std::string(kInsufficientScopes), false, "", false}; }
inline Expect insufficient_bearer(std::string scope) {
  return {401, "UNAUTHORIZED", std::string(kInsufficientScopes), true, std::move(scope), true};
}
inline Expect not_allowed_here() { return {403, "DENIED", std::string(kNotAllowedOnThisRegistry), false, "", false}; }
inline Expect denied(std::string message_part) { return {403, "DENIED", std::move(message_part), false, "", false}; }
inline Expect not_found(std::string code, std::string message_part) {
  return {404, std::move(code), std::move(message_part), false, "", false};
}
inline Expect unavailable() { return {503, "UNAVAILABLE", std::string(kConnectedRegistryDisabled), false, "", false}; }

inline void check(const std::optional<Denial>& got, const Expect& expected) {
  if (expected.status == 0) {
    BOOST_TEST(!got.has_value(), "refused: " << (got ? got->code + " " + got->message : ""));
    return;
  }
  // Not REQUIRE: one wrong row should not hide the rest of the table.
  BOOST_TEST(got.has_value(), "allowed, expected " << expected.status << " " << expected.code);
  if (!got) return;
  BOOST_TEST(got->status == expected.status);
  BOOST_TEST(got->code == expected.code);
  BOOST_TEST(got->message.find(expected.message_part) != std::string::npos, got->message);
  BOOST_TEST(got->challenge == expected.challenge);
  BOOST_TEST(got->challenge_scope == expected.scope);
  BOOST_TEST(got->insufficient_scope == expected.insufficient_scope);
}

}  // namespace outpost::auth::testing
