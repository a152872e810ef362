#pragma once
// A seam for watching access decisions (SPEC 4.3) as a node makes them. Whoever builds a node may pass an observer;
// it is told of every decision the node's TokenAccessPolicy and token endpoint make, allowed or refused, right after
// auth::decide answered and before the refusal is rendered. The simulator checks each one against its own model of
// the SPEC; a live server could log or count them. Nothing in the node depends on it: unset (the default), it costs one
// test of an empty std::function per request.
#include <functional>
#include <optional>
#include <string_view>

#include "reference/auth/decision.h"
#include "reference/auth/route_needs.h"
#include "reference/common/http.h"

namespace outpost::registry {

// Views only: everything here is valid for the duration of the observer's call, no longer. Copy what you keep.
struct DecisionRecord {
  std::string_view node;             // the deciding node's advertised login server (NodeFacts::login_server)
  // The endpoint of the facts decided with: the cloud's login server or data endpoint, LoginServer at a CR. The token
  // endpoint decides with the login server's facts wherever it is reached; the request's Host says where that was.
  auth::Endpoint endpoint;
  const http::Request& request;      // as received: method, path, query and headers (so an observer can correlate)
  std::string_view subject;          // the token name or the admin user; "" when none was presented or parsed
  auth::CredentialState credential;  // what checking the credentials came to
  auth::Presentation presented;
  const auth::RouteNeeds& needs;              // what the route needs, as the registry classified the request
  const auth::NodeView& view;                 // the node's facts at that moment (mode, disabled, repository synced)
  const std::optional<auth::Denial>& denial;  // nothing: allowed
};

using DecisionObserver = std::function<void(const DecisionRecord&)>;

}  // namespace outpost::registry
