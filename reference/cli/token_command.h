#pragma once
// `outpost token create|update|show|list|delete` and `outpost token credential generate`: tokens through the management
// API of a running node, modelled on `az acr token`. `create --repository/--gateway` makes the token's own scope map,
// named "<token>-scope-map", first (reusing it when it already holds exactly those actions, as az does).
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "reference/cli/action_flags.h"
#include "reference/cli/management_client.h"
#include "reference/common/clock.h"

namespace outpost::cli {

std::string default_scope_map_name(std::string_view token);  // "<token>-scope-map"

class TokenCommand {
 public:
  // Adds `token` and its verbs to `app`; the object holds what the parser fills, so it must outlive parsing.
  explicit TokenCommand(CLI::App& app);
  TokenCommand(const TokenCommand&) = delete;
  TokenCommand& operator=(const TokenCommand&) = delete;

  bool selected() const { return group_->parsed(); }

  // Runs the parsed verb against --registry with the system clock; answer on stdout, failures on stderr; exit status.
  int run() const;

  // The parsed verb against `client`, expiry dates counted from `clock`: the answer goes to `out`, remarks (a scope map
  // created on the fly) to `notes`. Throws UsageError, ApiFailure or transport errors.
  void execute(ManagementClient& client, const Clock& clock, std::ostream& out, std::ostream& notes) const;

  const ConnectionOptions& connection() const { return connection_; }

 private:
  struct Flags {
    std::string name;
    std::string scope_map;
    std::string status;
    std::vector<FlagGroup> repositories, gateways;
    int expiration_in_days = 0;
    std::string expiration;
    bool no_passwords = false;
    bool password1 = false;
    bool password2 = false;
  };

  // The scope map a new token gets from --repository/--gateway: created, or reused when it holds the same actions.
  struct OwnScopeMap {
    std::string name;
    bool created = false;  // by this command: removed again if the token is refused
  };
  OwnScopeMap ensure_own_scope_map(ManagementClient& client) const;
  // Puts the token; when the node refuses it, takes back the scope map this command created for it, so a refused
  // `token create` leaves nothing behind.
  nlohmann::ordered_json put_token(ManagementClient& client, const nlohmann::ordered_json& body,
                                   const std::optional<OwnScopeMap>& own, std::ostream& notes) const;
  std::optional<std::string> expiry(const Clock& clock) const;

  CLI::App* group_;
  CLI::App* create_;
  CLI::App* update_;
  CLI::App* show_;
  CLI::App* list_;
  CLI::App* delete_;
  CLI::App* credential_;
  CLI::App* generate_;
  std::vector<CLI::Option*> days_options_;  // --expiration-in-days of create and of credential generate
  Flags flags_;
  ConnectionOptions connection_;
};

}  // namespace outpost::cli
