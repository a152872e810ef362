#include "reference/cli/proxy_command.h"

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <system_error>

#include "reference/cli/command_errors.h"
#include "reference/cli/decimal_number.h"
#include "reference/common/http.h"
#include "reference/common/json_error.h"
#include "reference/common/json_text.h"
#include "reference/common/log.h"
#include "reference/live/blocking_client.h"
#include "reference/live/proxy/api_handler.h"
#include "reference/live/server.h"
#include "reference/live/signals.h"

namespace outpost::cli {

using nlohmann::json;

namespace {

constexpr std::chrono::seconds kApiTimeout{30};

// "HOST:PORT" or a URL, as the base of API requests.
std::string api_base(const std::string& api) {
  if (api.empty()) throw UsageError("--api needs HOST:PORT of a running `outpost proxy serve`");
  std::string base = api.find("://") == std::string::npos ? "http://" + api : api;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base;
}

// One request to the control API: the answer's JSON (null for 204), or an ApiFailure carrying its {"error"} text.
json call_api(const std::string& api, http::Method method, const std::string& path, const json& body = nullptr) {
  const live::BlockingClient client;
  const std::string text = body.is_null() ? std::string() : json_text(body);
  const auto answer = client.request(method, api_base(api) + path, {}, text, kApiTimeout);
  json parsed;
  if (!answer.body.empty()) {
    try {
      parsed = json::parse(answer.body);
    } catch (const json::exception&) {
      if (answer.status < 400) throw std::runtime_error("the proxy API answered something that is not JSON");
    }
  }
  if (answer.status >= 400) {
    std::string message = parsed.is_object() && parsed.contains("error") && parsed["error"].is_string()
                              ? parsed["error"].get<std::string>()
                              : answer.body.substr(0, 200);
    throw ApiFailure(answer.status, {{"HTTP_" + std::to_string(answer.status), message}});
  }
  return parsed;
}

void print(const json& answer) {
  if (!answer.is_null()) std::cout << answer.dump(2) << std::endl;
}

std::string proxy_path(const std::string& name) { return "/proxies/" + http::percent_encode(name); }

CLI::Option* add_api_option(CLI::App& verb, std::string& api) {
  // The environment gives the default, set before parsing (envname() would apply it to every verb's option, parsed
  // or not, over the --api given to the verb used: they share `api`).
  if (const char* from_environment = std::getenv("OUTPOST_PROXY_API"); from_environment && *from_environment)
    api = from_environment;
  return verb.add_option("--api", api, "control API of the proxy, HOST:PORT (default: OUTPOST_PROXY_API, else this)")
      ->capture_default_str();
}

}  // namespace

live::proxy::LinkSpec parse_link_flag(const std::string& text) {
  const size_t equals = text.find('=');
  const size_t comma = text.find(',', equals == std::string::npos ? 0 : equals);
  if (equals == std::string::npos || comma == std::string::npos || equals == 0 || comma == equals + 1 ||
      comma + 1 == text.size())
    throw UsageError("--link '" + text + "' is not NAME=LISTEN,UPSTREAM (e.g. parent=127.0.0.1:0,127.0.0.1:5000)");
  live::proxy::LinkSpec spec;
  spec.name = text.substr(0, equals);
  spec.listen = text.substr(equals + 1, comma - equals - 1);
  spec.upstream = text.substr(comma + 1);
  return spec;
}

json read_links_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError(path + ": cannot be read");
  json links;
  try {
    links = json::parse(in);
  } catch (const json::exception& error) {
    throw UsageError(path + ": not JSON: " + json_error_message(error));
  }
  if (!links.is_array()) throw UsageError(path + ": expected a JSON array of links, [{\"name\", \"upstream\", ...}]");
  for (size_t i = 0; i < links.size(); ++i) {
    try {
      live::proxy::link_spec_from_json(links[i]);
    } catch (const live::proxy::ProxyError& error) {
      throw UsageError(path + ": link " + std::to_string(i + 1) + ": " + error.what());
    }
  }
  return links;
}

std::pair<std::string, json> parse_attribute_flag(const std::string& text) {
  const size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0 || equals + 1 == text.size())
    throw UsageError("--attribute '" + text + "' is not KEY=VALUE (e.g. latency=100)");
  json value;
  try {
    value = json::parse(text.substr(equals + 1));
  } catch (const json::exception&) {  // not JSON, or a number no double holds (1e400)
    throw UsageError("--attribute '" + text + "': the value must be a number");
  }
  if (!value.is_number())
    throw UsageError("--attribute '" + text + "': the value must be a number");
  return {text.substr(0, equals), value};
}

int run_proxy_serve(const ProxyServeOptions& options, std::function<void(const std::string&)> on_listening) {
  live::StopSignalsBlocked stop_signals_blocked;  // before the proxy's first thread starts
  // As `outpost serve`: info until the proxy listens; then its level, and the "listening" line announced whatever
  // it is.
  const log::Level level = log::parse_level(options.log_level);
  log::set_level(log::Level::Info);
  std::vector<live::proxy::LinkSpec> specs;
  if (!options.config.empty())
    for (const json& link : read_links_file(options.config)) specs.push_back(live::proxy::link_spec_from_json(link));
  for (const auto& flag : options.links) specs.push_back(parse_link_flag(flag));
  // Before anything listens: a second link of a name was refused only once the first was up and announced.
  for (size_t j = 1; j < specs.size(); ++j)
    for (size_t i = 0; i < j; ++i)
      if (specs[i].name == specs[j].name) throw UsageError("link " + specs[j].name + " is given twice");

  live::proxy::FaultProxy::Options proxy_options;
  proxy_options.seed = options.seed;
  proxy_options.threads = options.threads;
  live::proxy::FaultProxy proxy(proxy_options);
  json links = json::object();
  for (const auto& spec : specs) {
    const auto status = proxy.create_link(spec);
    links[status.name] = status.listen;
    std::cout << json{{"name", status.name}, {"listen", status.listen}, {"upstream", status.upstream},
                      {"enabled", status.enabled}}.dump()
              << std::endl;
  }

  live::proxy::ApiHandler api(proxy);
  live::Server::Options server_options;
  server_options.listen = options.api;
  server_options.threads = 1;
  live::Server server(server_options, api);
  live::StopOnSignals signals(server);
  server.start();
  log::set_level(level);
  log::announce("listening", {{"address", server.bound_address()}, {"seed", options.seed}, {"links", links}});
  if (on_listening) on_listening(server.bound_address());
  server.wait();
  proxy.stop();
  log::info("stopped", {{"address", server.bound_address()}});
  return 0;
}

ProxyCommand::ProxyCommand(CLI::App& app) {
  group_ = app.add_subcommand("proxy", "Fault proxy for the links between nodes (toxiproxy's proxies and toxics)");
  group_->require_subcommand(1);

  serve_ = group_->add_subcommand("serve", "Run the fault proxy and its control API until SIGTERM or SIGINT");
  serve_->add_option("--api", serve_options_.api, "control API listen address, HOST:PORT (port 0 picks one)")
      ->capture_default_str();
  // A seed is a whole number from 0 to 2^64 - 1: "-1" would otherwise wrap around to 2^64 - 1 and run that seed.
  const CLI::Validator whole_seed(
      [](std::string& value) {
        uint64_t parsed = 0;
        const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), parsed);
        return error == std::errc() && end == value.data() + value.size() && !value.empty()
                   ? std::string()
                   : "'" + value + "' is not a seed (a whole number from 0 to 18446744073709551615)";
      },
      "", "seed");
  serve_->add_option("--seed", serve_options_.seed, "seed of the toxicity decisions (same seed, same decisions)")
      ->capture_default_str()
      ->transform(decimal_whole_number(/*negative_allowed=*/true))  // for whole_seed to name
      ->check(whole_seed);
  serve_->add_option("--config", serve_options_.config,
                     "JSON file of links to create at start, as POST /populate takes them: "
                     "[{\"name\", \"upstream\", \"listen\"?, \"enabled\"?, \"bandwidth\"?}, ...]");
  serve_->add_option("--link", serve_options_.links, "a link to create at start, NAME=LISTEN,UPSTREAM (repeatable)")
      ->allow_extra_args(false);
  serve_->add_option("--threads", serve_options_.threads, "threads forwarding the links' traffic")
      ->capture_default_str()
      ->transform(decimal_whole_number())
      ->check(CLI::Range(1u, 1024u));  // 0 used to mean 1 without a word
  serve_->add_option("--log-level", serve_options_.log_level, "debug, info, warn, error or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"debug", "info", "warn", "error", "off"}));  // a usage error (exit 2), as for every flag

  list_ = group_->add_subcommand("list", "List the links, their toxics and counters");
  show_ = group_->add_subcommand("show", "Show one link, its toxics and counters");
  create_ = group_->add_subcommand("create", "Create a link");
  delete_ = group_->add_subcommand("delete", "Delete a link (closes its listener and connections)");
  up_ = group_->add_subcommand("up", "Enable a link: accept connections again");
  down_ = group_->add_subcommand("down", "Take a link down: close its connections, reset new ones");
  reset_ = group_->add_subcommand("reset", "Enable every link and remove every toxic");
  populate_ = group_->add_subcommand(
      "populate", "Make the links of a JSON file exist: each created, kept if unchanged, or replaced (POST /populate)");
  populate_->add_option("file", flags_.file, "JSON file: [{\"name\", \"upstream\", \"listen\"?, \"enabled\"?, \"bandwidth\"?}, ...]")
      ->required();
  bandwidth_ = group_->add_subcommand(
      "bandwidth", "Set a link's own bandwidth, shared by all its connections (a bandwidth toxic limits each one)");
  // Checked as text: an unsigned option would otherwise take "-1" as 2^64 - 1.
  const CLI::Validator not_negative(
      [](std::string& text) {
        return text.starts_with('-') ? std::string("must not be negative (bytes per second, 0: unlimited)")
                                     : std::string();
      },
      "BYTES/S");
  bandwidth_up_ = bandwidth_->add_option("--up", flags_.bandwidth_up,
                                         "bytes per second, client to server, for the whole link (0: unlimited)")
                      ->transform(decimal_whole_number(/*negative_allowed=*/true))
                      ->check(not_negative);
  bandwidth_down_ = bandwidth_->add_option("--down", flags_.bandwidth_down,
                                           "bytes per second, server to client, for the whole link (0: unlimited)")
                        ->transform(decimal_whole_number(/*negative_allowed=*/true))
                        ->check(not_negative);
  for (CLI::App* verb : {show_, create_, delete_, up_, down_, bandwidth_})
    verb->add_option("name", flags_.name, "link name")->required();
  create_->add_option("--upstream", flags_.upstream, "where connections are forwarded, HOST:PORT")->required();
  create_->add_option("--listen", flags_.listen, "listen address, HOST:PORT (port 0 picks one)")->capture_default_str();
  create_->add_flag("--disabled", flags_.disabled, "create the link down");

  CLI::App* toxic = group_->add_subcommand("toxic", "Add, update, remove or list a link's toxics");
  toxic->require_subcommand(1);
  toxic_add_ = toxic->add_subcommand("add", "Add a toxic to a link");
  toxic_update_ = toxic->add_subcommand("update", "Change a toxic's toxicity or attributes");
  toxic_remove_ = toxic->add_subcommand("remove", "Remove a toxic from a link");
  toxic_list_ = toxic->add_subcommand("list", "List a link's toxics");
  for (CLI::App* verb : {toxic_add_, toxic_update_, toxic_remove_, toxic_list_})
    verb->add_option("name", flags_.name, "link name")->required();
  for (CLI::App* verb : {toxic_update_, toxic_remove_})
    verb->add_option("toxic", flags_.toxic, "toxic name")->required();
  toxic_add_->add_option("--type,-t", flags_.type,
                         "latency, bandwidth, timeout, reset_peer, limit_data, slicer or slow_close")
      ->required();
  toxic_add_->add_option("--toxic-name,-n", flags_.toxic_name, "toxic name (default: <type>_<stream>)");
  toxic_add_->add_option("--stream,-s", flags_.stream, "up[stream] (client to server) or down[stream] (the default)");
  toxicity_add_ = toxic_add_->add_option("--toxicity", flags_.toxicity,
                                         "probability that the toxic applies to a connection, 0 to 1 (default 1)");
  toxicity_update_ = toxic_update_->add_option("--toxicity", flags_.toxicity, "new toxicity, 0 to 1");
  for (CLI::App* verb : {toxic_add_, toxic_update_})
    verb->add_option("--attribute,-a", flags_.attributes, "KEY=VALUE, e.g. latency=100 (repeatable)")
        ->allow_extra_args(false);

  for (CLI::App* verb : {list_, show_, create_, delete_, up_, down_, reset_, populate_, bandwidth_, toxic_add_,
                         toxic_update_, toxic_remove_, toxic_list_})
    add_api_option(*verb, flags_.api);
}

int ProxyCommand::run() const {
  if (serve_->parsed()) {
    try {
      return run_proxy_serve(serve_options_);
    } catch (const UsageError& error) {
      print_usage_error(std::cerr, error.what());
      return kExitUsage;
    } catch (const std::exception& error) {
      std::cerr << "outpost: error: " << error.what() << std::endl;
      return kExitFailure;
    }
  }
  return run_reporting_errors(
      [this] {
        execute();
        return 0;
      },
      std::cerr);
}

void ProxyCommand::execute() const {
  const std::string& api = flags_.api;
  if (list_->parsed()) return print(call_api(api, http::Method::Get, "/proxies"));
  if (show_->parsed()) return print(call_api(api, http::Method::Get, proxy_path(flags_.name)));
  if (create_->parsed())
    return print(call_api(api, http::Method::Post, "/proxies",
                          {{"name", flags_.name},
                           {"listen", flags_.listen},
                           {"upstream", flags_.upstream},
                           {"enabled", !flags_.disabled}}));
  if (delete_->parsed()) return print(call_api(api, http::Method::Delete, proxy_path(flags_.name)));
  if (up_->parsed()) return print(call_api(api, http::Method::Post, proxy_path(flags_.name), {{"enabled", true}}));
  if (down_->parsed()) return print(call_api(api, http::Method::Post, proxy_path(flags_.name), {{"enabled", false}}));
  if (reset_->parsed()) return print(call_api(api, http::Method::Post, "/reset"));
  if (populate_->parsed()) return print(call_api(api, http::Method::Post, "/populate", read_links_file(flags_.file)));
  if (bandwidth_->parsed()) {
    json rates = json::object();
    if (bandwidth_up_->count() > 0) rates["upstream"] = flags_.bandwidth_up;
    if (bandwidth_down_->count() > 0) rates["downstream"] = flags_.bandwidth_down;
    if (rates.empty()) throw UsageError("nothing to set: give --up or --down (bytes per second, 0: unlimited)");
    return print(call_api(api, http::Method::Post, proxy_path(flags_.name), {{"bandwidth", rates}}));
  }
  if (toxic_list_->parsed()) return print(call_api(api, http::Method::Get, proxy_path(flags_.name) + "/toxics"));
  if (toxic_remove_->parsed())
    return print(call_api(api, http::Method::Delete,
                          proxy_path(flags_.name) + "/toxics/" + http::percent_encode(flags_.toxic)));

  json attributes = json::object();
  for (const auto& flag : flags_.attributes) {
    auto [key, value] = parse_attribute_flag(flag);
    attributes[key] = value;
  }
  if (toxic_add_->parsed()) {
    json body = {{"type", flags_.type}, {"attributes", attributes}};
    if (!flags_.toxic_name.empty()) body["name"] = flags_.toxic_name;
    if (!flags_.stream.empty()) {
      if (flags_.stream == "up" || flags_.stream == "upstream") body["stream"] = "upstream";
      else if (flags_.stream == "down" || flags_.stream == "downstream") body["stream"] = "downstream";
      else throw UsageError("--stream must be up, upstream, down or downstream");
    }
    if (toxicity_add_->count() > 0) body["toxicity"] = flags_.toxicity;
    return print(call_api(api, http::Method::Post, proxy_path(flags_.name) + "/toxics", body));
  }
  if (toxic_update_->parsed()) {
    json body = json::object();
    if (toxicity_update_->count() > 0) body["toxicity"] = flags_.toxicity;
    if (!attributes.empty()) body["attributes"] = attributes;
    if (body.empty()) throw UsageError("nothing to update: give --toxicity or --attribute");
    return print(call_api(api, http::Method::Post,
                          proxy_path(flags_.name) + "/toxics/" + http::percent_encode(flags_.toxic), body));
  }
}

}  // namespace outpost::cli
