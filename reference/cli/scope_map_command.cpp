#include "reference/cli/scope_map_command.h"

#include <iostream>

#include "reference/cli/command_errors.h"
#include "reference/cli/output_format.h"
#include "reference/cli/verb_support.h"

namespace outpost::cli {

using nlohmann::ordered_json;

namespace {
constexpr const char* kRepositoryHelp = "repository (name, prefix/* or *) and its actions: content/read, content/write, "
                                        "content/delete, metadata/read, metadata/write";
constexpr const char* kGatewayHelp = "connected registry and its gateway actions: config/read, config/write, "
                                     "message/read, message/write";
}  // namespace

ScopeMapCommand::ScopeMapCommand(CLI::App& app) {
  group_ = app.add_subcommand("scope-map", "Manage scope maps (the actions a token may perform) on a running node");
  group_->require_subcommand(1);

  create_ = group_->add_subcommand("create", "Create a scope map, replacing any scope map of that name");
  update_ = group_->add_subcommand("update", "Change a scope map's description or add and remove actions");
  show_ = group_->add_subcommand("show", "Show a scope map");
  list_ = group_->add_subcommand("list", "List the scope maps, the system-defined ones included");
  delete_ = group_->add_subcommand("delete", "Delete a scope map (refused while a token uses it)");

  for (CLI::App* verb : {create_, update_, show_, delete_})
    add_name_option(*verb, flags_.name, "scope map name");
  create_description_ = create_->add_option("--description", flags_.description, "what the scope map is for");
  add_action_flag(*create_, "repository", flags_.repositories, "REPO", kRepositoryHelp);
  add_action_flag(*create_, "gateway", flags_.gateways, "CR", kGatewayHelp);

  update_description_ = update_->add_option("--description", flags_.description, "new description");
  add_action_flag(*update_, "add-repository", flags_.add_repositories, "REPO", kRepositoryHelp);
  add_action_flag(*update_, "remove-repository", flags_.remove_repositories, "REPO", kRepositoryHelp);
  add_action_flag(*update_, "add-gateway", flags_.add_gateways, "CR", kGatewayHelp);
  add_action_flag(*update_, "remove-gateway", flags_.remove_gateways, "CR", kGatewayHelp);

  for (CLI::App* verb : {create_, update_, show_, list_, delete_}) add_connection_options(*verb, connection_);
}

int ScopeMapCommand::run() const {
  return run_verb(connection_, [this](ManagementClient& client) { execute(client, std::cout); });
}

void ScopeMapCommand::execute(ManagementClient& client, std::ostream& out) const {
  const OutputFormat format = parse_output_format(connection_.output);
  ordered_json answer;
  if (create_->parsed()) {
    const auto actions = concat_unique(repository_actions(flags_.repositories, "repository"),
                                       gateway_actions(flags_.gateways, "gateway"));
    if (actions.empty()) throw UsageError("give at least one --repository REPO ACTION... or --gateway CR ACTION...");
    ordered_json body = ordered_json::object();
    if (create_description_->count() > 0) body["description"] = flags_.description;
    body["actions"] = actions;
    answer = client.call(http::Method::Put, scope_map_path(flags_.name), body);
  } else if (update_->parsed()) {
    const auto added = concat_unique(repository_actions(flags_.add_repositories, "add-repository"),
                                     gateway_actions(flags_.add_gateways, "add-gateway"));
    const auto removed = concat_unique(repository_actions(flags_.remove_repositories, "remove-repository"),
                                       gateway_actions(flags_.remove_gateways, "remove-gateway"));
    ordered_json body = ordered_json::object();
    if (update_description_->count() > 0) body["description"] = flags_.description;
    if (!added.empty()) body["addActions"] = added;
    if (!removed.empty()) body["removeActions"] = removed;
    if (body.empty())
      throw UsageError("nothing to update: give --description, --add-repository, --remove-repository, --add-gateway "
                       "or --remove-gateway");
    answer = client.call(http::Method::Patch, scope_map_path(flags_.name), body);
  } else if (show_->parsed()) {
    answer = client.call(http::Method::Get, scope_map_path(flags_.name));
  } else if (list_->parsed()) {
    answer = client.call(http::Method::Get, std::string(kScopeMapsPath));
  } else if (delete_->parsed()) {
    answer = client.call(http::Method::Delete, scope_map_path(flags_.name));
  }
  out << format_answer(answer, format, ResourceKind::ScopeMap);
}

}  // namespace outpost::cli
