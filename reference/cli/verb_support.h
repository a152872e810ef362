#pragma once
// What every management verb shares: how a repeatable `--flag TARGET ACTION...` option is declared, and how a parsed
// verb is run against the node (credentials, transport, errors to stderr, exit status).
#include <functional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "reference/cli/action_flags.h"
#include "reference/cli/management_client.h"

namespace outpost::cli {

// For a list option (`expected(1, ...)`): refuses a value that starts with "--". CLI11 takes the word after such a
// flag as its first value whatever it is, so `--client-tokens --registry URL` took "--registry" and the URL as token
// names, and the command went on to OUTPOST_REGISTRY. No name, pattern or action starts with "--" (a token name may
// start with one '-', SPEC 3.3).
CLI::Validator values_not_options();

// `--name,-n`, required and not empty: an empty name made the path of the collection (`token show --name ''`
// listed every token, `token delete --name ''` was a 405).
CLI::Option* add_name_option(CLI::App& verb, std::string& name, const std::string& help);

// `--<flag> TARGET ACTION...`, repeatable; each occurrence becomes one FlagGroup (checked by action_flags).
CLI::Option* add_action_flag(CLI::App& verb, const std::string& flag, std::vector<FlagGroup>& groups,
                             const std::string& target, const std::string& help);

// Resolves the password (flags, then OUTPOST_PASSWORD), connects to --registry and runs `verb` with a client; failures
// are printed as "outpost: <code>: <message>". Returns the exit status.
int run_verb(const ConnectionOptions& connection, const std::function<void(ManagementClient&)>& verb);

}  // namespace outpost::cli
