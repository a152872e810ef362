#include "reference/auth/names.h"
#include "reference/cli/token_command.h"

#include <algorithm>
#include <iostream>

#include "reference/cli/command_errors.h"
#include "reference/cli/decimal_number.h"
#include "reference/cli/expiration.h"
#include "reference/cli/output_format.h"
#include "reference/cli/verb_support.h"

namespace outpost::cli {

using nlohmann::ordered_json;

namespace {
constexpr const char* kTokenRepositoryHelp = "repository (name, prefix/* or *) and its actions for the token's own "
                                             "scope map: content/read, content/write, content/delete, metadata/read, "
                                             "metadata/write";
constexpr const char* kTokenGatewayHelp = "connected registry and its gateway actions for the token's own scope map: "
                                          "config/read, config/write, message/read, message/write";

std::vector<std::string> actions_of(const ordered_json& scope_map) {
  std::vector<std::string> actions;
  if (scope_map.is_object() && scope_map.contains("actions") && scope_map["actions"].is_array())
    for (const auto& action : scope_map["actions"])
      if (action.is_string()) actions.push_back(action.get<std::string>());
  return actions;
}
}  // namespace

std::string default_scope_map_name(std::string_view token) { return std::string(token) + "-scope-map"; }

TokenCommand::TokenCommand(CLI::App& app) {
  group_ = app.add_subcommand("token", "Manage tokens (name + password credentials with a scope map) on a running node");
  group_->require_subcommand(1);

  create_ = group_->add_subcommand("create", "Create a token (with two passwords unless --no-passwords)");
  update_ = group_->add_subcommand("update", "Change a token's scope map or status");
  show_ = group_->add_subcommand("show", "Show a token (password values are never shown again)");
  list_ = group_->add_subcommand("list", "List the tokens");
  delete_ = group_->add_subcommand("delete", "Delete a token: its credentials stop working at once");
  credential_ = group_->add_subcommand("credential", "Manage a token's passwords");
  credential_->require_subcommand(1);
  generate_ = credential_->add_subcommand("generate", "Generate a new value for password1, password2 or both");

  for (CLI::App* verb : {create_, update_, show_, delete_, generate_})
    add_name_option(*verb, flags_.name, "token name (the user name for docker login)");

  CLI::Option* scope_map = create_->add_option("--scope-map", flags_.scope_map, "existing scope map to use");
  CLI::Option* repository = add_action_flag(*create_, "repository", flags_.repositories, "REPO", kTokenRepositoryHelp);
  CLI::Option* gateway = add_action_flag(*create_, "gateway", flags_.gateways, "CR", kTokenGatewayHelp);
  scope_map->excludes(repository)->excludes(gateway);
  CLI::Option* no_passwords = create_->add_flag("--no-passwords", flags_.no_passwords, "create no password now");
  update_->add_option("--scope-map", flags_.scope_map, "scope map to use from now on");
  for (CLI::App* verb : {create_, update_})
    verb->add_option("--status", flags_.status, "enabled or disabled")->check(CLI::IsMember({"enabled", "disabled"}));

  for (CLI::App* verb : {create_, generate_}) {
    CLI::Option* days = verb->add_option("--expiration-in-days", flags_.expiration_in_days,
                                         "passwords expire this many days from now (default: never)")
                            ->transform(decimal_whole_number(/*negative_allowed=*/true));
    CLI::Option* at = verb->add_option("--expiration", flags_.expiration,
                                       "passwords expire at this RFC 3339 time, e.g. 2030-01-31T12:00:00Z");
    days->excludes(at);
    if (verb == create_) no_passwords->excludes(days)->excludes(at);
    days_options_.push_back(days);
  }
  generate_->add_flag("--password1", flags_.password1, "regenerate password1");
  generate_->add_flag("--password2", flags_.password2, "regenerate password2");

  for (CLI::App* verb : {create_, update_, show_, list_, delete_, generate_}) add_connection_options(*verb, connection_);
}

int TokenCommand::run() const {
  const SystemClock clock;
  return run_verb(connection_, [&](ManagementClient& client) { execute(client, clock, std::cout, std::cerr); });
}

std::optional<std::string> TokenCommand::expiry(const Clock& clock) const {
  ExpirationFlags flags;
  if (std::any_of(days_options_.begin(), days_options_.end(), [](CLI::Option* o) { return o->count() > 0; }))
    flags.in_days = flags_.expiration_in_days;
  if (!flags_.expiration.empty()) flags.at = flags_.expiration;
  return expiry_from_flags(flags, clock.now());
}

TokenCommand::OwnScopeMap TokenCommand::ensure_own_scope_map(ManagementClient& client) const {
  const auto actions = concat_unique(repository_actions(flags_.repositories, "repository"),
                                     gateway_actions(flags_.gateways, "gateway"));
  const std::string name = default_scope_map_name(flags_.name);
  if (const auto existing = client.find(scope_map_path(name))) {
    // A map of that name left from before (its token deleted, or made by hand) is reused when it holds exactly these
    // actions; a different set would silently change what another token using it may do, so that is refused.
    if (same_actions(actions_of(*existing), actions)) return {name, false};
    throw ApiFailure(409, {{"CONFLICT", "scope map '" + name + "' already exists with other actions; change it with "
                                        "`outpost scope-map update --name " + name +
                                        "`, or give an existing scope map with --scope-map"}});
  }
  ordered_json body = ordered_json::object();
  body["description"] = "Created by token: " + flags_.name;
  body["actions"] = actions;
  client.call(http::Method::Put, scope_map_path(name), body);
  return {name, true};
}

ordered_json TokenCommand::put_token(ManagementClient& client, const ordered_json& body,
                                     const std::optional<OwnScopeMap>& own, std::ostream& notes) const {
  const bool made_map = own && own->created;
  ordered_json answer;
  try {
    answer = client.call(http::Method::Put, token_path(flags_.name), body);
  } catch (const std::exception&) {
    // The node checks the token's own rules (its name, above all) only now; the map made for it must not outlive
    // the refusal. If taking it back fails too, the user is told which map is left, and the token's error stands.
    if (made_map) {
      try {
        client.call(http::Method::Delete, scope_map_path(own->name));
      } catch (const std::exception&) {
        notes << "The scope map '" << own->name << "' made for the refused token is left behind; remove it with "
              << "`outpost scope-map delete --name " << own->name << "`.\n";
      }
    }
    throw;
  }
  if (made_map) notes << "Created scope map '" << own->name << "' for token '" << flags_.name << "'.\n";
  return answer;
}

void TokenCommand::execute(ManagementClient& client, const Clock& clock, std::ostream& out, std::ostream& notes) const {
  const OutputFormat format = parse_output_format(connection_.output);
  ordered_json answer;
  ResourceKind kind = ResourceKind::Token;
  if (create_->parsed()) {
    const bool own_map = !flags_.repositories.empty() || !flags_.gateways.empty();
    if (own_map == !flags_.scope_map.empty())
      throw UsageError("give --scope-map NAME, or --repository/--gateway to create the token's own scope map");
    const auto expires = expiry(clock);
    // Checked before anything is created, so a bad flag never leaves a scope map behind.
    if (own_map) {
      repository_actions(flags_.repositories, "repository");
      gateway_actions(flags_.gateways, "gateway");
      // A token name may have 50 characters; its own scope map's, which adds "-scope-map", may too. Said here, in
      // the words of the flags given, rather than as the API's refusal of a scope map name never typed.
      const std::string map_name = default_scope_map_name(flags_.name);
      if (map_name.size() > auth::kMaxScopeMapOrTokenNameLength)
        throw UsageError("--repository/--gateway name the token's own scope map '" + map_name + "', longer than " +
                         std::to_string(auth::kMaxScopeMapOrTokenNameLength) + " characters: with them a token name may have " +
                         std::to_string(auth::kMaxScopeMapOrTokenNameLength - (map_name.size() - flags_.name.size())) +
                         " at most; or create a scope map (`outpost scope-map create`) and give it with --scope-map");
    }
    // The API's PUT replaces a token of that name: its scope map, its status (a disabled token enabled again) and its
    // passwords' presence. `create` of a name in use is refused instead, before any scope map is made for it. (A
    // look-up, then a PUT: two creates of one name at the same instant can still both go through, as for
    // `connected-registry create`.)
    if (client.find(token_path(flags_.name)))
      throw ApiFailure(409, {{"CONFLICT", "token '" + flags_.name +
                                              "' already exists; change it with `outpost token update`, or delete it "
                                              "first"}});
    std::optional<OwnScopeMap> own;
    if (own_map) own = ensure_own_scope_map(client);
    ordered_json body = ordered_json::object();
    body["scopeMap"] = own ? own->name : flags_.scope_map;
    if (!flags_.status.empty()) body["status"] = flags_.status;
    if (flags_.no_passwords) body["noPasswords"] = true;
    if (expires) body["expiry"] = *expires;
    answer = put_token(client, body, own, notes);
  } else if (update_->parsed()) {
    ordered_json body = ordered_json::object();
    if (!flags_.scope_map.empty()) body["scopeMap"] = flags_.scope_map;
    if (!flags_.status.empty()) body["status"] = flags_.status;
    if (body.empty()) throw UsageError("nothing to update: give --scope-map or --status");
    answer = client.call(http::Method::Patch, token_path(flags_.name), body);
  } else if (show_->parsed()) {
    answer = client.call(http::Method::Get, token_path(flags_.name));
  } else if (list_->parsed()) {
    answer = client.call(http::Method::Get, std::string(kTokensPath));
  } else if (delete_->parsed()) {
    answer = client.call(http::Method::Delete, token_path(flags_.name));
  } else if (generate_->parsed()) {
    // Regenerating both passwords locks out every user of the token, so that takes both flags, never none.
    if (!flags_.password1 && !flags_.password2)
      throw UsageError("give --password1, --password2, or both to regenerate both");
    const auto expires = expiry(clock);
    ordered_json body = ordered_json::object();
    if (flags_.password1 != flags_.password2) body["name"] = flags_.password1 ? "password1" : "password2";
    if (expires) body["expiry"] = *expires;
    answer = client.call(http::Method::Post, token_path(flags_.name) + "/generateCredentials", body);
    kind = ResourceKind::Credentials;
  }
  out << format_answer(answer, format, kind);
}

}  // namespace outpost::cli
