#include "reference/cli/management_client.h"

#include <cstdlib>

#include <fstream>
#include <sstream>

#include "reference/cli/command_errors.h"
#include "reference/common/json_text.h"
#include "reference/live/blocking_client.h"

namespace outpost::cli {

using nlohmann::ordered_json;

namespace {

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

class HttpTransport final : public ManagementTransport {
 public:
  HttpTransport(const ConnectionOptions& options, const std::optional<std::string>& password)
      : client_(live::BlockingClientOptions{.insecure = options.insecure, .ca_file = options.ca_file}),
        base_(options.registry) {
    while (!base_.empty() && base_.back() == '/') base_.pop_back();  // "http://host:5000/" + "/mgmt/v1/..."
    headers_.set("Accept", "application/json");
    if (password) headers_.set("Authorization", live::basic_authorization(options.username, *password));
  }

  http::ClientResponse send(http::Method method, const std::string& path, const std::string& body) override {
    return client_.request(method, base_ + path, headers_, body, kRequestTimeout);
  }

 private:
  live::BlockingClient client_;
  std::string base_;
  http::Headers headers_;
};

}  // namespace

std::string encode_segment(std::string_view name) {
  std::string out;
  for (char c : http::percent_encode(name)) {
    if (c == '/') out += "%2F";
    else out.push_back(c);
  }
  return out;
}

std::string scope_map_path(std::string_view name) { return std::string(kScopeMapsPath) + "/" + encode_segment(name); }
std::string token_path(std::string_view name) { return std::string(kTokensPath) + "/" + encode_segment(name); }

void add_connection_options(CLI::App& verb, ConnectionOptions& options) {
  const std::string group = "Connection and output";
  // The environment gives the defaults, set before parsing; a flag on the command line replaces them. (CLI11's
  // envname() applies the variable to every verb's option, parsed or not, and the verbs share `options`: a verb not
  // used wrote OUTPOST_REGISTRY over the --registry given to the one used, and sent the admin password there.)
  if (const char* registry = std::getenv("OUTPOST_REGISTRY"); registry && *registry) options.registry = registry;
  if (const char* username = std::getenv("OUTPOST_USERNAME"); username && *username) options.username = username;
  verb.add_option("--registry", options.registry,
                  "URL of the node's login server, e.g. http://127.0.0.1:5000 (default: OUTPOST_REGISTRY)")
      ->group(group);
  verb.add_option("--username", options.username, "admin user name (default: OUTPOST_USERNAME, else admin)")
      ->capture_default_str()
      ->group(group);
  CLI::Option* password =
      verb.add_option("--password", options.password, "admin password (or OUTPOST_PASSWORD; visible to other users "
                                                      "in the process list, prefer --password-file)")
          ->group(group);
  verb.add_option("--password-file", options.password_file, "file holding the admin password")
      ->excludes(password)
      ->group(group);
  verb.add_option("--ca-file", options.ca_file, "PEM certificates to trust for https:// instead of the system's")
      ->group(group);
  verb.add_flag("--insecure", options.insecure, "https:// without checking the node's certificate")->group(group);
  verb.add_option("--output,-o", options.output, "json (the API's answer) or table")
      ->check(CLI::IsMember({"json", "table"}))
      ->capture_default_str()
      ->group(group);
}

std::optional<std::string> resolve_password(const ConnectionOptions& options, const char* environment) {
  if (!options.password.empty()) return options.password;
  if (!options.password_file.empty()) {
    std::ifstream file(options.password_file, std::ios::binary);
    if (!file) throw UsageError("cannot read --password-file " + options.password_file);
    std::ostringstream contents;
    contents << file.rdbuf();
    std::string password = contents.str();
    if (!password.empty() && password.back() == '\n') password.pop_back();
    if (!password.empty() && password.back() == '\r') password.pop_back();
    return password;
  }
  if (environment && *environment) return std::string(environment);
  return std::nullopt;
}

std::unique_ptr<ManagementTransport> http_transport(const ConnectionOptions& options,
                                                    const std::optional<std::string>& password) {
  if (options.registry.empty()) throw UsageError("no registry: give --registry URL or set OUTPOST_REGISTRY");
  if (!starts_with(options.registry, "http://") && !starts_with(options.registry, "https://"))
    throw UsageError("--registry '" + options.registry + "' must start with http:// or https://");
  return std::make_unique<HttpTransport>(options, password);
}

ApiFailure failure_from_answer(const http::ClientResponse& answer) {
  std::vector<ApiFailure::Entry> entries;
  const ordered_json body = ordered_json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_object() && body.contains("errors") && body["errors"].is_array()) {
    for (const auto& error : body["errors"]) {
      if (!error.is_object()) continue;
      ApiFailure::Entry entry;
      entry.code = error.contains("code") && error["code"].is_string() ? error["code"].get<std::string>() : "ERROR";
      entry.message = error.contains("message") && error["message"].is_string() ? error["message"].get<std::string>()
                                                                                 : error.dump();
      entries.push_back(std::move(entry));
    }
  }
  if (entries.empty()) {
    std::string quoted = answer.body.substr(0, 200);
    for (char& c : quoted)
      if (c == '\n' || c == '\r') c = ' ';
    entries.push_back({"HTTP_" + std::to_string(answer.status),
                       "the node answered " + std::to_string(answer.status) +
                           (quoted.empty() ? std::string(" with no error body") : ": " + quoted)});
  }
  return ApiFailure(answer.status, std::move(entries));
}

ManagementClient::ManagementClient(ManagementTransport& transport, bool credentials_given)
    : transport_(transport), credentials_given_(credentials_given) {}

ordered_json ManagementClient::call(http::Method method, const std::string& path, const ordered_json& body) {
  // Replace, not throw, on bytes that are not UTF-8 (a name typed in another encoding): the node then names the value.
  const std::string text = body.is_null() ? std::string() : ordered_json_text(body);
  const http::ClientResponse answer = transport_.send(method, path, text);
  if (answer.status >= 400) {
    ApiFailure failure = failure_from_answer(answer);
    if (answer.status == 401 && !credentials_given_) {
      std::vector<ApiFailure::Entry> entries = failure.entries();
      entries.back().message += " (no password given: use --password-file, --password or OUTPOST_PASSWORD)";
      throw ApiFailure(answer.status, std::move(entries));
    }
    throw failure;
  }
  if (answer.body.empty()) return nullptr;
  ordered_json json = ordered_json::parse(answer.body, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded())
    throw std::runtime_error("the node answered " + std::to_string(answer.status) + " with a body that is not JSON");
  return json;
}

std::optional<ordered_json> ManagementClient::find(const std::string& path) {
  try {
    return call(http::Method::Get, path);
  } catch (const ApiFailure& failure) {
    if (failure.status() == 404) return std::nullopt;
    throw;
  }
}

}  // namespace outpost::cli
