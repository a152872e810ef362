#include "reference/cli/verb_support.h"

#include <cstdlib>
#include <iostream>

#include "reference/cli/command_errors.h"

namespace outpost::cli {

namespace {
// Connects on the first request, so a verb checks its own flags (and reports their usage errors) before a missing or
// malformed --registry is noticed.
class ConnectOnFirstUse final : public ManagementTransport {
 public:
  ConnectOnFirstUse(const ConnectionOptions& connection, std::optional<std::string> password)
      : connection_(connection), password_(std::move(password)) {}

  http::ClientResponse send(http::Method method, const std::string& path, const std::string& body) override {
    if (!transport_) transport_ = http_transport(connection_, password_);
    return transport_->send(method, path, body);
  }

 private:
  const ConnectionOptions& connection_;
  std::optional<std::string> password_;
  std::unique_ptr<ManagementTransport> transport_;
};
}  // namespace

CLI::Validator values_not_options() {
  return CLI::Validator(
      [](std::string& value) -> std::string {
        if (!value.starts_with("--")) return {};  // a token name may start with '-' (SPEC 3.3); no value with "--"
        return "'" + value + "' is an option, not a value: give at least one value before it";
      },
      "", "not an option");
}

CLI::Option* add_name_option(CLI::App& verb, std::string& name, const std::string& help) {
  return verb.add_option("--name,-n", name, help)
      ->required()
      ->check(CLI::Validator(
          [](std::string& value) -> std::string { return value.empty() ? "a name cannot be empty" : ""; }, "",
          "not empty"));
}

CLI::Option* add_action_flag(CLI::App& verb, const std::string& flag, std::vector<FlagGroup>& groups,
                             const std::string& target, const std::string& help) {
  // Every occurrence takes the values up to the next option, so `--repository a content/read metadata/read
  // --repository b content/write` is two groups; too few values are reported by action_flags with the allowed actions.
  return verb.add_option("--" + flag, groups, help)
      ->expected(1, CLI::detail::expected_max_vector_size)
      ->check(values_not_options())
      ->type_name(target + " ACTION");
}

int run_verb(const ConnectionOptions& connection, const std::function<void(ManagementClient&)>& verb) {
  return run_reporting_errors(
      [&] {
        auto password = resolve_password(connection, std::getenv("OUTPOST_PASSWORD"));
        const bool credentials_given = password.has_value();
        ConnectOnFirstUse transport(connection, std::move(password));
        ManagementClient client(transport, credentials_given);
        verb(client);
        return 0;
      },
      std::cerr);
}

}  // namespace outpost::cli
