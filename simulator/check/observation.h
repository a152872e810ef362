#pragma once
// An access decision a node made, as the checks keep it: a plain copy of what the node's decision observer saw
// (decision_observation.h makes one from the seam's record). The checks judge it from the HTTP request and the
// credentials alone, with their own classification and the World; the node's own view is kept for the report only.
#include <string>

#include "reference/common/clock.h"
#include "reference/common/http.h"
#include "simulator/check/oracle.h"

namespace outpost::check {

struct ObservedDecision {
  WallTime time{};
  std::string node;  // the deciding node's advertised login server
  std::string host;  // the Host the request named: which endpoint it reached ("" = unknown: `node`)
  std::string from;  // the peer's address, as the node saw it
  http::Method method = http::Method::Get;
  std::string path;           // decoded
  std::string query;          // raw
  std::string authorization;  // the Authorization header as sent (resolved with a CredentialBook)
  Outcome outcome;
  std::string node_said;  // the node's own reading (credential state, route, view), for reports
};

std::string describe(const ObservedDecision& decision);

}  // namespace outpost::check
