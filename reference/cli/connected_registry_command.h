#pragma once
// `outpost connected-registry create|update|show|list|delete|deactivate|resync|get-settings` and
// `outpost connected-registry permissions update|show`: connected registries through the management API of the cloud
// node (SPEC 2, 7.2, 7.3), modelled on `az acr connected-registry`.
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "reference/cli/management_client.h"

namespace outpost::cli {

inline constexpr std::string_view kConnectedRegistriesPath = "/mgmt/v1/connectedRegistries";
std::string connected_registry_path(std::string_view name);  // /mgmt/v1/connectedRegistries/<name, percent-encoded>

class ConnectedRegistryCommand {
 public:
  // Adds `connected-registry` and its verbs to `app`; the object holds what the parser fills, so it must outlive
  // parsing.
  explicit ConnectedRegistryCommand(CLI::App& app);
  ConnectedRegistryCommand(const ConnectedRegistryCommand&) = delete;
  ConnectedRegistryCommand& operator=(const ConnectedRegistryCommand&) = delete;

  bool selected() const { return group_->parsed(); }

  // Runs the parsed verb against --registry; answer on stdout, failures on stderr; the exit status.
  int run() const;

  // The parsed verb against `client`: the answer goes to `out`, remarks (what a create made) to `notes`. Throws
  // UsageError, ApiFailure or transport errors.
  void execute(ManagementClient& client, std::ostream& out, std::ostream& notes) const;

 private:
  struct Flags {
    std::string name;
    std::string mode;
    std::string parent;
    std::vector<std::string> repositories;
    std::vector<std::string> client_tokens, add_client_tokens, remove_client_tokens;
    std::string sync_schedule, sync_window, sync_message_ttl;
    std::vector<std::string> notifications, add_notifications, remove_notifications;
    std::string log_level;
    std::string gc_enabled;
    std::string gc_schedule;
    std::string connection_state;
    bool cleanup = false;
    std::vector<std::string> add, remove;
    int generate_password = 0;
    std::string parent_protocol;
  };

  // The JSON body of create (PUT) or update (PATCH) from the flags given; `update` adds the --add/--remove lists.
  nlohmann::ordered_json settings_body(bool update) const;

  CLI::App* group_;
  CLI::App* create_;
  CLI::App* update_;
  CLI::App* show_;
  CLI::App* list_;
  CLI::App* delete_;
  CLI::App* deactivate_;
  CLI::App* resync_;
  CLI::App* permissions_;
  CLI::App* permissions_update_;
  CLI::App* permissions_show_;
  CLI::App* get_settings_;
  Flags flags_;
  ConnectionOptions connection_;
};

}  // namespace outpost::cli
