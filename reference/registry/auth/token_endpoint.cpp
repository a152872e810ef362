#include "reference/registry/auth/token_endpoint.h"

#include <nlohmann/json.hpp>

#include "reference/auth/docker_scope.h"
#include "reference/common/ascii.h"
#include "reference/common/log.h"
#include "reference/common/time_format.h"
#include "reference/registry/auth/authorization_header.h"
#include "reference/registry/auth/form_body.h"
#include "reference/registry/oci_errors.h"

namespace outpost::registry {

namespace {
ApiError bad_request(std::string message) { return ApiError(400, "INVALID_REQUEST", std::move(message)); }

constexpr size_t kMaxAccessTokenBytes = 32 * 1024;

http::Response failure_response(std::exception_ptr failure) {
  try {
    std::rethrow_exception(failure);
  } catch (const ApiError& error) {
    return error_response(error);
  } catch (const std::exception& error) {
    log::error("token request failed", {{"error", error.what()}});
    return error_response(ApiError(500, "UNKNOWN", std::string("internal error: ") + error.what()));
  }
}

// What was asked, spelled canonically (unknown words dropped): the challenge of a refused token request names it, so
// nothing the client wrote is echoed back.
std::string canonical_scope(const std::vector<auth::ScopeRequest>& scopes) {
  std::string out;
  for (const auth::ScopeRequest& scope : scopes) {
    if (!out.empty()) out.push_back(' ');
    out += scope.type == auth::ScopeRequest::Type::Catalog ? std::string(auth::kCatalogScope)
                                                           : auth::repository_scope(scope.name, scope.actions);
  }
  return out;
}

std::string join_scopes(const std::vector<std::string>& values) {
  std::string out;
  for (const std::string& value : values) {
    if (!out.empty()) out.push_back(' ');
    out += value;
  }
  return out;
}

bool is_form(std::string_view content_type) {
  constexpr std::string_view kForm = "application/x-www-form-urlencoded";
  if (content_type.size() < kForm.size() || !ascii_iequals(content_type.substr(0, kForm.size()), kForm))
    return false;
  const std::string_view rest = content_type.substr(kForm.size());
  return rest.empty() || rest.front() == ';' || rest.front() == ' ';
}

// A field that must appear at most once: two different answers to one question make the request ambiguous.
std::optional<std::string> single(const FormFields& form, std::string_view name) {
  if (form.count(name) > 1) throw bad_request("form field '" + std::string(name) + "' is repeated");
  return form.get(name);
}

std::optional<std::string> single_query(const http::Request& request, std::string_view name) {
  auto values = request.query_params(name);
  if (values.size() > 1) throw bad_request("query parameter '" + std::string(name) + "' is repeated");
  if (values.empty()) return std::nullopt;
  return std::move(values.front());
}

http::Response json_answer(const nlohmann::json& body) {
  http::Response response;
  response.status = 200;
  response.headers.set("Content-Type", "application/json");
  // RFC 6749 5.1: token responses are never cached.
  response.headers.set("Cache-Control", "no-store");
  response.headers.set("Pragma", "no-cache");
  response.body = body.dump();
  return response;
}
}  // namespace

// POST: buffers the form (bounded), answers at finish().
class TokenFormCall final : public http::Call {
 public:
  TokenFormCall(TokenEndpoint& endpoint, http::Request request) : endpoint_(endpoint), request_(std::move(request)) {}
  bool on_body(std::string_view piece) override {
    if (too_large_) return false;
    if (body_.size() + piece.size() > endpoint_.options_.max_form_bytes) {
      too_large_ = true;
      body_.clear();
      return false;
    }
    body_.append(piece);
    return true;
  }
  http::Response finish() override {
    http::Response response;
    try {
      if (too_large_)
        throw bad_request("the form exceeds " + std::to_string(endpoint_.options_.max_form_bytes) + " bytes");
      response = endpoint_.answer_form(request_, body_);
    } catch (...) {
      response = failure_response(std::current_exception());
    }
    response.route = "token";
    return response;
  }

 private:
  TokenEndpoint& endpoint_;
  http::Request request_;
  std::string body_;
  bool too_large_ = false;
};

TokenEndpoint::TokenEndpoint(Authenticator& authenticator, const auth::SigningKey& key, ServiceNaming naming,
                             NodeFacts node, Random& random, TokenEndpointOptions options)
    : TokenEndpoint(
          authenticator, [&key]() -> const auth::SigningKey& { return key; }, std::move(naming), std::move(node),
          random, options) {}

TokenEndpoint::TokenEndpoint(Authenticator& authenticator, KeySource key, ServiceNaming naming, NodeFacts node,
                             Random& random, TokenEndpointOptions options)
    : authenticator_(authenticator),
      key_(std::move(key)),
      naming_(std::move(naming)),
      node_(std::move(node)),
      random_(random),
      options_(options) {}

std::unique_ptr<http::Call> TokenEndpoint::start(http::Request request) {
  http::Response response;
  try {
    // The cloud's data endpoint serves only the gateway (SPEC 1.2): a token request there gets that refusal, the one
    // the decision gives before looking at credentials, whatever its method, form or `service` say.
    if (node_.endpoint == auth::Endpoint::DataEndpoint) {
      response = issue(request, Identity{}, Ask{});  // refused at the decision's first step
    } else {
      if (request.method == http::Method::Post) {
        const auto content_type = request.headers.get("Content-Type");
        if (!content_type || !is_form(*content_type))
          throw bad_request("POST /oauth2/token takes an application/x-www-form-urlencoded body");
        if (request.content_length && *request.content_length > options_.max_form_bytes)
          throw bad_request("the form exceeds " + std::to_string(options_.max_form_bytes) + " bytes");
        return std::make_unique<TokenFormCall>(*this, std::move(request));
      }
      // RFC 9110 15.5.6: a 405 names the methods the resource has.
      if (request.method != http::Method::Get)
        throw unsupported_method(request.method, "token").with_header("Allow", "GET, POST");
      response = answer_get(request);
    }
  } catch (...) {
    response = failure_response(std::current_exception());
  }
  response.route = "token";
  return http::respond_now(std::move(response));
}

std::string TokenEndpoint::service_for(const http::Request& request, const std::optional<std::string>& asked) const {
  std::string service = naming_.service_for(request);
  // Tokens are only ever issued for the service this node is, for this request: a token for another audience would
  // be refused here anyway, and issuing it could only help replay it elsewhere.
  if (asked && !asked->empty() && ascii_lowercase(*asked) != ascii_lowercase(service))
    throw bad_request("this endpoint issues tokens for service '" + service + "' only");
  return service;
}

http::Response TokenEndpoint::answer_get(const http::Request& request) {
  service_for(request, single_query(request, "service"));  // refuses another service
  Ask ask{join_scopes(request.query_params("scope")), false};
  if (const auto offline = single_query(request, "offline_token"))
    ask.offline = ascii_lowercase(*offline) == "true";
  const Authorization authorization = parse_authorization(request.headers);
  Identity identity;  // None: anything but Basic is no login here
  if (authorization.scheme == AuthorizationScheme::Basic)
    identity = authenticator_.authenticate_password(authorization.username(), authorization.password(),
                                                    client_address(request.remote_address));
  else if (authorization.scheme != AuthorizationScheme::None)
    identity.state = auth::CredentialState::UnknownToken;
  return issue(request, identity, ask);
}

http::Response TokenEndpoint::answer_form(const http::Request& request, std::string_view body) {
  const auto form = parse_form(body);
  if (!form) throw bad_request("the body is not a valid application/x-www-form-urlencoded form");
  const std::string service = service_for(request, single(*form, "service"));
  Ask ask{join_scopes(form->get_all("scope")), false};
  const auto grant_type = single(*form, "grant_type");
  Identity identity;
  if (grant_type == "password") {
    const auto username = single(*form, "username");
    const auto password = single(*form, "password");
    if (!username || username->empty() || !password)
      throw bad_request("grant_type=password needs username and password");
    const auto access_type = single(*form, "access_type");
    ask.offline = access_type && *access_type == "offline";
    identity = authenticator_.authenticate_password(*username, *password, client_address(request.remote_address));
  } else if (grant_type == "refresh_token") {
    const auto refresh_token = single(*form, "refresh_token");
    if (!refresh_token || refresh_token->empty()) throw bad_request("grant_type=refresh_token needs refresh_token");
    identity = authenticator_.authenticate_refresh(*refresh_token, service);
  } else {
    throw bad_request("grant_type must be password or refresh_token");
  }
  return issue(request, identity, ask);
}

http::Response TokenEndpoint::issue(const http::Request& request, const Identity& identity, const Ask& ask) {
  const std::string service = naming_.service_for(request);
  const auth::ScopeList asked = auth::parse_scope_list(ask.scope);
  // Left out rather than refused (asking for more is not an error); logged for whoever debugs a client.
  if (!asked.errors.empty())
    log::write(log::Level::Debug, "token request: scopes left out", {{"errors", asked.errors}});

  // Accepted at this node at all? The same check, and so the same answer, as any registry request (SPEC 4.1, 4.2).
  auth::RouteNeeds any;
  any.access = auth::RouteAccess::AnyCredentials;
  auth::NodeView view = node_view(node_);
  // The node's changing facts, as for every registry request: a disabled connected registry answers 503 here too
  // (SPEC 2.6), rather than handing out tokens it would then refuse. No repository: a login names none.
  if (node_.refine) node_.refine(view, "");
  std::optional<auth::Denial> denial = auth::decide(any, identity.credentials(), view);
  if (denial) denial->challenge_scope = canonical_scope(asked.scopes);
  if (node_.observe)
    node_.observe({node_.login_server, node_.endpoint, request, identity.subject, identity.state, identity.presented,
                   any, view, denial});
  if (denial) throw refusal(*denial, request, naming_);

  static const auth::PermissionSet kNothing;
  static const auth::PermissionSet kEverything = auth::PermissionSet::all_repositories();
  const auth::PermissionSet& allowed =
      identity.admin() ? kEverything : identity.permissions ? *identity.permissions : kNothing;
  // SPEC 3.6: the catalog is for the admin user and tokens with a rule on "*" at the cloud, any accepted token at a CR.
  const bool catalog_allowed = identity.admin() || node_.role == auth::NodeRole::ConnectedRegistry ||
                               allowed.includes_all_repositories_wildcard();
  std::vector<auth::AccessEntry> access = auth::grant_access(asked.scopes, allowed, catalog_allowed);

  const WallTime now = authenticator_.clock().now();
  const std::string credential = credential_fingerprint(*identity.snapshot, identity.subject);
  const std::string& issuer = authenticator_.options().issuer;
  // The admin user has one password; a token's JWTs name the one they came from (node_token.h, "pw").
  const std::optional<int> password_slot =
      identity.admin() ? std::nullopt : std::optional<int>(identity.password_slot);
  NodeToken access_token{auth::make_access_claims(issuer, identity.subject, service, std::move(access), now,
                                                  options_.access_token_lifetime, random_),
                         identity.generation, credential, TokenUse::Access, password_slot};
  const std::string jwt = sign_node_token(access_token, key_());
  // A token no request could carry is refused here rather than handed out: every request with it was answered 431
  // (a header block over the server's limit, 64 KiB by default). Half of that leaves room for the other headers.
  if (jwt.size() > kMaxAccessTokenBytes)
    throw bad_request("the token for these " + std::to_string(asked.scopes.size()) + " scopes would be " +
                      std::to_string(jwt.size()) + " bytes, more than the " + std::to_string(kMaxAccessTokenBytes) +
                      " a request's headers may carry here: ask for fewer scopes at a time");

  nlohmann::json body = {
      {"token", jwt},
      {"access_token", jwt},
      {"expires_in", std::chrono::duration_cast<std::chrono::seconds>(options_.access_token_lifetime).count()},
      {"issued_at", format_rfc3339(access_token.claims.issued_at)},
  };
  if (ask.offline) {
    NodeToken refresh{auth::make_access_claims(issuer, identity.subject, service, {}, now,
                                               options_.refresh_token_lifetime, random_),
                      identity.generation, credential, TokenUse::Refresh, password_slot};
    body["refresh_token"] = sign_node_token(refresh, key_());
  }
  return json_answer(body);
}

}  // namespace outpost::registry
