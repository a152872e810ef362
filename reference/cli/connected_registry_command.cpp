#include "reference/cli/connected_registry_command.h"

#include <iostream>

#include "reference/cli/command_errors.h"
#include "reference/cli/decimal_number.h"
#include "reference/cli/output_format.h"
#include "reference/cli/verb_support.h"

namespace outpost::cli {

using nlohmann::ordered_json;

namespace {
// The columns `az acr connected-registry list -o table` shows.
Table connected_registry_table(const ordered_json& answer) {
  Table table{
      {"NAME", "MODE", "CONNECTION STATE", "PARENT", "LOGIN SERVER", "LAST SYNC (UTC)", "SYNC SCHEDULE", "SYNC WINDOW"},
      {}};
  for (const auto& cr : resources_of(answer)) {
    if (!cr.is_object()) continue;
    const ordered_json sync = cr.contains("sync") ? cr["sync"] : ordered_json::object();
    table.rows.push_back({cell_text(cr, "name"), cell_text(cr, "mode"), cell_text(cr, "connectionState"),
                          cell_text(cr, "parent"), cell_text(cr, "loginServer"), cell_text(cr, "lastSyncTime"),
                          cell_text(sync, "schedule"), cell_text(sync, "window")});
  }
  return table;
}

// What to print for a connected-registry answer: the API's JSON, or the table plus (after a create or get-settings)
// the sync token's new passwords and the connection string, the only times they can be seen.
std::string format_connected_registry(const ordered_json& answer, OutputFormat format) {
  if (answer.is_null()) return "";
  if (format == OutputFormat::Json) return answer.dump(2) + "\n";
  std::string out;
  if (answer.is_array() || answer.contains("name")) out += render_table(connected_registry_table(answer));
  if (answer.is_object() && answer.contains("syncToken")) {
    const ordered_json& token = answer["syncToken"];
    const Table passwords =
        password_table(token.contains("passwords") ? token["passwords"] : ordered_json(), cell_text(token, "name"));
    if (!passwords.rows.empty()) out += (out.empty() ? "" : "\n") + render_table(passwords);
  }
  if (answer.is_object() && answer.contains("connectionString"))
    out += (out.empty() ? "" : "\n") + render_table({{"CONNECTION STRING"}, {{cell_text(answer, "connectionString")}}});
  return out;
}

ordered_json names(const std::vector<std::string>& values) { return ordered_json(values); }
}  // namespace

std::string connected_registry_path(std::string_view name) {
  return std::string(kConnectedRegistriesPath) + "/" + encode_segment(name);  // as the other management paths
}

ConnectedRegistryCommand::ConnectedRegistryCommand(CLI::App& app) {
  group_ = app.add_subcommand("connected-registry",
                              "Manage connected registries (on-premises nodes that sync with the cloud node)");
  group_->require_subcommand(1);

  create_ = group_->add_subcommand("create", "Create a connected registry with its sync token and scope map");
  update_ = group_->add_subcommand("update", "Change a connected registry's settings");
  show_ = group_->add_subcommand("show", "Show a connected registry and its reported status");
  list_ = group_->add_subcommand("list", "List the connected registries");
  delete_ = group_->add_subcommand("delete", "Delete a connected registry (refused while it has children)");
  deactivate_ = group_->add_subcommand("deactivate", "Let another instance activate this connected registry");
  resync_ = group_->add_subcommand("resync",
                                   "Make the connected registry compare and repair everything at its "
                                   "next sync window");
  permissions_ = group_->add_subcommand("permissions", "Manage the repositories a connected registry syncs");
  permissions_->require_subcommand(1);
  permissions_update_ = permissions_->add_subcommand(
      "update", "Add repositories (to it and its ancestors) or remove them (from it and its descendants)");
  permissions_show_ = permissions_->add_subcommand("show", "Show the connected registry's sync scope map");
  get_settings_ = group_->add_subcommand(
      "get-settings",
      "Print the connection string for `outpost serve --connection-string`, optionally with a new "
      "password");

  for (CLI::App* verb :
       {create_, update_, show_, delete_, deactivate_, resync_, permissions_update_, permissions_show_, get_settings_})
    add_name_option(*verb, flags_.name, "connected registry name");

  create_->add_option("--mode,-m", flags_.mode, "ReadWrite (default) or ReadOnly (legacy: Registry, Mirror)");
  create_->add_option("--parent,-p", flags_.parent, "parent connected registry (default: the cloud)");
  create_->add_option("--repository", flags_.repositories, "repositories to sync (names or prefix/*), repeatable")
      ->expected(1, CLI::detail::expected_max_vector_size)->check(values_not_options());
  for (CLI::App* verb : {create_, update_}) {
    verb->add_option("--client-tokens", flags_.client_tokens,
                     create_ == verb ? "tokens the connected registry accepts from its clients"
                                     : "replace the client tokens with these")
        ->expected(1, CLI::detail::expected_max_vector_size)->check(values_not_options());
    verb->add_option("--sync-schedule", flags_.sync_schedule, "5-field cron schedule (UTC); * * * * * = continuous");
    verb->add_option("--sync-window", flags_.sync_window,
                     "ISO-8601 duration of each sync window, PT1H to P7D; none: no window (sync whenever scheduled)");
    verb->add_option("--sync-message-ttl", flags_.sync_message_ttl, "ISO-8601 message lifetime, P1D to P90D");
    verb->add_option("--notifications", flags_.notifications,
                     create_ == verb ? "notification patterns repo[:tag][@digest]:push|delete|*"
                                     : "replace the notification patterns with these")
        ->expected(1, CLI::detail::expected_max_vector_size)->check(values_not_options());
    verb->add_option("--log-level", flags_.log_level, "Debug, Information, Warning, Error or None");
    verb->add_option("--gc-enabled", flags_.gc_enabled, "garbage collection on the node: true or false")
        ->check(CLI::IsMember({"true", "false"}));
    verb->add_option("--gc-schedule", flags_.gc_schedule, "5-field cron schedule (UTC) of garbage collection");
  }
  update_->add_option("--add-client-tokens", flags_.add_client_tokens, "client tokens to add")
      ->expected(1, CLI::detail::expected_max_vector_size)->check(values_not_options());
  update_->add_option("--remove-client-tokens", flags_.remove_client_tokens, "client tokens to remove")
      ->expected(1, CLI::detail::expected_max_vector_size)->check(values_not_options());
  update_->add_option("--add-notifications", flags_.add_notifications, "notification patterns to add")
      ->expected(1, CLI::detail::expected_max_vector_size)->check(values_not_options());
  update_->add_option("--remove-notifications", flags_.remove_notifications, "notification patterns to remove")
      ->expected(1, CLI::detail::expected_max_vector_size)->check(values_not_options());

  list_->add_option("--parent,-p", flags_.parent,
                    "only the direct children of this connected registry (`cloud`: those directly under the cloud)");
  list_->add_option("--mode,-m", flags_.mode, "only this mode: ReadWrite or ReadOnly");
  list_->add_option("--connection-state", flags_.connection_state,
                    "only this state: Online, Offline, Syncing or "
                    "Unhealthy");
  delete_->add_flag("--cleanup", flags_.cleanup,
                    "also delete its sync token and scope map, and remove its gateway "
                    "actions from its ancestors");
  permissions_update_->add_option("--add", flags_.add, "repositories to add")
      ->expected(1, CLI::detail::expected_max_vector_size)->check(values_not_options());
  permissions_update_->add_option("--remove", flags_.remove, "repositories to remove")
      ->expected(1, CLI::detail::expected_max_vector_size)->check(values_not_options());
  get_settings_
      ->add_option("--generate-password", flags_.generate_password,
                   "regenerate password 1 or 2 of the sync token and put it in the string (the other one "
                   "keeps working)")
      ->transform(decimal_whole_number())
      ->check(CLI::IsMember({1, 2}));
  get_settings_->add_option("--parent-protocol", flags_.parent_protocol, "http or https (default: the node's)")
      ->check(CLI::IsMember({"http", "https"}));

  for (CLI::App* verb : {create_, update_, show_, list_, delete_, deactivate_, resync_, permissions_update_,
                         permissions_show_, get_settings_})
    add_connection_options(*verb, connection_);
}

int ConnectedRegistryCommand::run() const {
  return run_verb(connection_, [this](ManagementClient& client) { execute(client, std::cout, std::cerr); });
}

ordered_json ConnectedRegistryCommand::settings_body(bool update) const {
  ordered_json body = ordered_json::object();
  if (!update) {
    if (!flags_.mode.empty()) body["mode"] = flags_.mode;
    if (!flags_.parent.empty()) body["parent"] = flags_.parent;
    if (!flags_.repositories.empty()) body["repositories"] = names(flags_.repositories);
  }
  if (!flags_.client_tokens.empty()) body["clientTokens"] = names(flags_.client_tokens);
  ordered_json sync = ordered_json::object();
  if (!flags_.sync_schedule.empty()) sync["schedule"] = flags_.sync_schedule;
  // "none" removes a window (SPEC 2.1: absent), which the API takes as null.
  if (!flags_.sync_window.empty())
    sync["window"] = flags_.sync_window == "none" ? ordered_json(nullptr) : ordered_json(flags_.sync_window);
  if (!flags_.sync_message_ttl.empty()) sync["messageTtl"] = flags_.sync_message_ttl;
  if (!sync.empty()) body["sync"] = std::move(sync);
  if (!flags_.notifications.empty()) body["notifications"] = names(flags_.notifications);
  if (!flags_.log_level.empty()) body["logging"] = {{"level", flags_.log_level}};
  ordered_json gc = ordered_json::object();
  if (!flags_.gc_enabled.empty()) gc["enabled"] = flags_.gc_enabled == "true";
  if (!flags_.gc_schedule.empty()) gc["schedule"] = flags_.gc_schedule;
  if (!gc.empty()) body["gc"] = std::move(gc);
  if (update) {
    if (!flags_.add_client_tokens.empty()) body["addClientTokens"] = names(flags_.add_client_tokens);
    if (!flags_.remove_client_tokens.empty()) body["removeClientTokens"] = names(flags_.remove_client_tokens);
    if (!flags_.add_notifications.empty()) body["addNotifications"] = names(flags_.add_notifications);
    if (!flags_.remove_notifications.empty()) body["removeNotifications"] = names(flags_.remove_notifications);
  }
  return body;
}

void ConnectedRegistryCommand::execute(ManagementClient& client, std::ostream& out, std::ostream& notes) const {
  const OutputFormat format = parse_output_format(connection_.output);
  const std::string path = connected_registry_path(flags_.name);
  ordered_json answer;
  if (create_->parsed()) {
    // The API's PUT replaces a connected registry of that name (SPEC 7.2), with its repositories, client tokens and
    // its children's repositories in cascade: `create` of a name in use is refused instead, as `az acr` refuses it.
    if (client.find(path))
      throw ApiFailure(409, {{"CONFLICT", "connected registry '" + flags_.name +
                                              "' already exists; change it with `outpost connected-registry update`, "
                                              "or delete it first"}});
    answer = client.call(http::Method::Put, path, settings_body(false));
    if (answer.contains("syncToken"))
      notes << "Created sync token '" << cell_text(answer["syncToken"], "name") << "' and its scope map; its passwords "
            << "are shown only now.\n";
  } else if (update_->parsed()) {
    const ordered_json body = settings_body(true);
    if (body.empty())
      throw UsageError(
          "nothing to update: give --client-tokens, --add-client-tokens, --remove-client-tokens, "
          "--sync-schedule, --sync-window, --sync-message-ttl, --notifications, --add-notifications, "
          "--remove-notifications, --log-level, --gc-enabled or --gc-schedule");
    answer = client.call(http::Method::Patch, path, body);
  } else if (show_->parsed()) {
    answer = client.call(http::Method::Get, path);
  } else if (list_->parsed()) {
    std::string query;
    const auto add = [&](std::string_view key, const std::string& value) {
      if (value.empty()) return;
      query += (query.empty() ? "?" : "&") + std::string(key) + "=" + http::percent_encode(value);
    };
    add("parent", flags_.parent);
    add("mode", flags_.mode);
    add("connectionState", flags_.connection_state);
    answer = client.call(http::Method::Get, std::string(kConnectedRegistriesPath) + query);
  } else if (delete_->parsed()) {
    answer = client.call(http::Method::Delete, path + (flags_.cleanup ? "?cleanup=true" : ""));
    if (!flags_.cleanup)
      notes << "Kept (disabled) sync token '" << flags_.name << "-sync-token' and scope map '" << flags_.name
            << "-sync-scope-map'; delete them with --cleanup next time, or with `outpost token delete` and "
               "`outpost scope-map delete`.\n";
  } else if (deactivate_->parsed()) {
    answer = client.call(http::Method::Post, path + "/deactivate");
  } else if (resync_->parsed()) {
    answer = client.call(http::Method::Post, path + "/resync");
  } else if (permissions_update_->parsed()) {
    if (flags_.add.empty() && flags_.remove.empty()) throw UsageError("nothing to update: give --add or --remove");
    ordered_json body = ordered_json::object();
    if (!flags_.add.empty()) body["add"] = names(flags_.add);
    if (!flags_.remove.empty()) body["remove"] = names(flags_.remove);
    answer = client.call(http::Method::Post, path + "/permissions", body);
  } else if (permissions_show_->parsed()) {
    // The sync scope map, found through the CR's sync token (as `az acr connected-registry permissions show`).
    const ordered_json cr = client.call(http::Method::Get, path);
    const std::string token_name = cr.contains("sync") ? cell_text(cr["sync"], "token") : "";
    const ordered_json token = client.call(http::Method::Get, token_path(token_name));
    answer = client.call(http::Method::Get, scope_map_path(cell_text(token, "scopeMap")));
    out << format_answer(answer, format, ResourceKind::ScopeMap);
    return;
  } else if (get_settings_->parsed()) {
    ordered_json body = ordered_json::object();
    if (flags_.generate_password) body["password"] = "password" + std::to_string(flags_.generate_password);
    if (!flags_.parent_protocol.empty()) body["protocol"] = flags_.parent_protocol;
    answer = client.call(http::Method::Post, path + "/connectionString", body);
    if (!flags_.generate_password)
      notes << "The string carries no password: give --generate-password 1 or 2 to put a new one in it.\n";
  }
  out << format_connected_registry(answer, format);
}

}  // namespace outpost::cli
