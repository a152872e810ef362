#pragma once
// The world's operator: the admin user at the cloud's management API (SPEC 7.2), doing what `outpost cluster up`
// does for a live cluster (scope maps and tokens for each node's clients, then the connected registries, parents
// first) and, during a run, the workload's token and scope-map changes. It keeps every password it was given, so
// the world's clients can use the tokens.
#include <functional>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "reference/cli/cluster_topology.h"
#include "reference/common/http_client.h"
#include "reference/common/task.h"
#include "simulator/world/http_calls.h"
#include "simulator/world/scenario.h"

namespace outpost::sim::world {

// A management call that was refused or never answered.
class OperatorError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Operator {
 public:
  Operator(http::HttpClient& client, StopSignal& stop, std::string cloud_authority, Credentials admin);

  const Credentials& admin() const { return admin_; }
  // The credentials of a token the operator created (password1, or the latest regenerated one).
  const Credentials& credentials(const std::string& token) const;
  bool knows(const std::string& token) const { return passwords_.contains(token); }

  // One management request; the answer's JSON (null for an empty body). Throws OperatorError for a status >= 300.
  Task<nlohmann::json> call(http::Method method, std::string path, nlohmann::json body);

  // A scope map (when the spec makes one) and the token, keeping its password.
  Task<void> create_client_token(cli::ClientTokenSpec token, std::string description);
  // The token the world reads a connected registry's content with: read actions on every repository.
  Task<void> create_reader_token(std::string name);
  // The connected registry; its connection string, with "<parent-endpoint>" filled in (SPEC 7.3) as an operator
  // who knows where the parent listens would.
  Task<std::string> create_connected_registry(cli::NodeSpec node, std::vector<std::string> client_tokens,
                                              std::string parent_login_server);

  Task<void> change_token(TokenChange change);
  Task<void> change_scope_map(ScopeMapChange change);

  // Told of every call that ended (answered or not), before call() returns or throws: the invariant checks mirror
  // the cloud's control plane from what was asked and answered (simulator/world/control_mirror.h).
  // `answer` is the response body parsed (null when there is none, or it is not JSON), read once for both.
  std::function<void(http::Method method, const std::string& path, const nlohmann::json& request,
                     const http::ClientResult& result, const nlohmann::json& answer)>
      on_call;

 private:
  http::HttpClient& client_;
  StopSignal& stop_;
  std::string cloud_;
  Credentials admin_;
  std::map<std::string, Credentials> passwords_;
};

}  // namespace outpost::sim::world
