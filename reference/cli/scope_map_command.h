#pragma once
// `outpost scope-map create|update|show|list|delete`: scope maps through the management API of a running node,
// modelled on `az acr scope-map` (flags, the action strings they build, creation replacing a map of the same name).
#include <ostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "reference/cli/action_flags.h"
#include "reference/cli/management_client.h"

namespace outpost::cli {

class ScopeMapCommand {
 public:
  // Adds `scope-map` and its verbs to `app`; the object holds what the parser fills, so it must outlive parsing.
  explicit ScopeMapCommand(CLI::App& app);
  ScopeMapCommand(const ScopeMapCommand&) = delete;
  ScopeMapCommand& operator=(const ScopeMapCommand&) = delete;

  bool selected() const { return group_->parsed(); }

  // Runs the parsed verb against --registry, printing the answer on stdout and failures on stderr; the exit status.
  int run() const;

  // The parsed verb against `client`: the answer goes to `out`. Throws UsageError, ApiFailure or transport errors.
  void execute(ManagementClient& client, std::ostream& out) const;

  const ConnectionOptions& connection() const { return connection_; }

 private:
  struct Flags {
    std::string name;
    std::string description;
    std::vector<FlagGroup> repositories, gateways;
    std::vector<FlagGroup> add_repositories, remove_repositories, add_gateways, remove_gateways;
  };

  CLI::App* group_;
  CLI::App* create_;
  CLI::App* update_;
  CLI::App* show_;
  CLI::App* list_;
  CLI::App* delete_;
  CLI::Option* create_description_ = nullptr;
  CLI::Option* update_description_ = nullptr;
  Flags flags_;
  ConnectionOptions connection_;
};

}  // namespace outpost::cli
