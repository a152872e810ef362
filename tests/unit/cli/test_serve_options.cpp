// `outpost serve` options (SPEC 7.4) as the command line, the environment and a --config file set them; here for
// --parent-ca-file, which a connected registry uses to trust an https parent's private CA.
#include <stdlib.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <vector>

#include "CLI/CLI.hpp"
#include "reference/cli/serve_command.h"
#include "reference/cli/serve_options.h"

using namespace outpost::cli;

namespace {

// `serve` with `args`, parsed as main() does: flags and environment first, then the --config file for the rest.
ServeOptions parse_serve(std::vector<std::string> args) {
  CLI::App app{"outpost"};
  ServeOptions options;
  CLI::App* serve = app.add_subcommand("serve");
  add_serve_options(*serve, options);
  args.insert(args.begin(), {"outpost", "serve"});
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  app.parse(static_cast<int>(argv.size()), argv.data());
  apply_config_file(*serve, options);
  return options;
}

// Sets an environment variable for one scope.
struct ScopedEnv {
  ScopedEnv(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~ScopedEnv() { ::unsetenv(name_); }
  const char* name_;
};

struct ConfigFile {
  explicit ConfigFile(const std::string& json) {
    path = std::filesystem::temp_directory_path() / ("outpost-serve-options-" + std::to_string(::getpid()) + ".json");
    std::ofstream(path) << json;
  }
  ~ConfigFile() { std::filesystem::remove(path); }
  std::filesystem::path path;
};

}  // namespace

BOOST_AUTO_TEST_SUITE(serve_options)

BOOST_AUTO_TEST_CASE(parent_ca_file_is_empty_unless_set) {
  BOOST_TEST(parse_serve({}).parent_ca_file.empty());
}

BOOST_AUTO_TEST_CASE(parent_ca_file_comes_from_the_flag_the_environment_or_the_config_file_in_that_order) {
  BOOST_TEST(parse_serve({"--parent-ca-file", "flag.pem"}).parent_ca_file == "flag.pem");

  ConfigFile config(R"({"parent-ca-file": "config.pem", "listen": "127.0.0.1:0"})");
  BOOST_TEST(parse_serve({"--config", config.path.string()}).parent_ca_file == "config.pem");
  {
    ScopedEnv env("OUTPOST_PARENT_CA_FILE", "env.pem");
    BOOST_TEST(parse_serve({}).parent_ca_file == "env.pem");
    BOOST_TEST(parse_serve({"--config", config.path.string()}).parent_ca_file == "env.pem");
    BOOST_TEST(parse_serve({"--parent-ca-file", "flag.pem"}).parent_ca_file == "flag.pem");
  }
  BOOST_TEST(parse_serve({"--parent-ca-file", "flag.pem", "--config", config.path.string()}).parent_ca_file ==
             "flag.pem");
}

BOOST_AUTO_TEST_CASE(a_non_string_parent_ca_file_in_the_config_file_is_refused) {
  ConfigFile config(R"({"parent-ca-file": 7})");
  BOOST_CHECK_EXCEPTION(parse_serve({"--config", config.path.string()}), std::runtime_error,
                        [](const std::runtime_error& error) {
                          return std::string(error.what()).find("'parent-ca-file' must be a string") !=
                                 std::string::npos;
                        });
}

// Numbers in the file go through the option, as its flag's text does: checked, never wrapped around.
BOOST_AUTO_TEST_CASE(numbers_in_the_config_file_meet_the_flags_checks) {
  const auto refused = [](const std::string& json, const std::string& says) {
    ConfigFile config(json);
    BOOST_CHECK_EXCEPTION(parse_serve({"--config", config.path.string()}), std::runtime_error,
                          [&](const std::runtime_error& error) {
                            BOOST_TEST_MESSAGE(error.what());
                            return std::string(error.what()).find(says) != std::string::npos;
                          });
  };
  refused(R"({"threads": -1})", "'threads'");
  refused(R"({"threads": 5000})", "'threads'");
  refused(R"({"threads": "4"})", "'threads' must be a whole number");
  refused(R"({"password-hash-iterations": 4294967297})", "'password-hash-iterations'");
  refused(R"({"password-hash-iterations": 0})", "'password-hash-iterations'");
  refused(R"({"password-hash-iterations": 1.5})", "'password-hash-iterations' must be a whole number");

  ConfigFile config(R"({"threads": 3, "password-hash-iterations": 2000})");
  const ServeOptions options = parse_serve({"--config", config.path.string()});
  BOOST_TEST(options.threads == 3u);
  BOOST_TEST(options.password_hash_iterations == 2000u);
  BOOST_TEST(parse_serve({"--threads", "2", "--config", config.path.string()}).threads == 2u);  // the flag first
}

BOOST_AUTO_TEST_CASE(whole_numbers_are_decimal_and_checked_on_the_command_line) {
  BOOST_TEST(parse_serve({"--threads", "010"}).threads == 10u);  // CLI11 alone reads base 0: 8
  BOOST_TEST(parse_serve({"--password-hash-iterations", "0100000"}).password_hash_iterations == 100'000u);
  for (const char* text : {"0x10", "1e3", "-1", "5000", ""})
    BOOST_CHECK_THROW(parse_serve({"--threads", text}), CLI::ValidationError);
  BOOST_CHECK_THROW(parse_serve({"--password-hash-iterations", "0"}), CLI::ValidationError);
  BOOST_CHECK_THROW(parse_serve({"--password-hash-iterations", "10000001"}), CLI::ValidationError);
  ScopedEnv env("OUTPOST_THREADS", "012");
  BOOST_TEST(parse_serve({}).threads == 12u);
}

BOOST_AUTO_TEST_CASE(the_cloud_refuses_parent_ca_file_before_touching_its_data_directory) {
  ServeOptions options;
  options.data = (std::filesystem::temp_directory_path() / ("outpost-no-such-dir-" + std::to_string(::getpid())))
                     .string();
  options.parent_ca_file = "ca.pem";
  BOOST_CHECK_EXCEPTION(run_serve(options), std::runtime_error, [](const std::runtime_error& error) {
    return std::string(error.what()).find("--parent-ca-file is for a connected registry") != std::string::npos;
  });
  BOOST_TEST(!std::filesystem::exists(options.data));
}

// It was read with std::stoi: "abc" stopped the start with "stoi", and "2x" ran protocol 2.
BOOST_AUTO_TEST_CASE(a_gateway_protocol_that_is_not_a_version_is_refused_before_the_data_directory) {
  for (const char* text : {"abc", "2x", "0", "-1"}) {
    ServeOptions options;
    options.data = (std::filesystem::temp_directory_path() / ("outpost-no-such-dir-" + std::to_string(::getpid())))
                       .string();
    options.gateway_protocol = text;
    BOOST_CHECK_EXCEPTION(run_serve(options), std::runtime_error, [&](const std::runtime_error& error) {
      return std::string(error.what()) ==
             "--gateway-protocol: '" + std::string(text) + "' is not a protocol version (a whole number from 1)";
    });
    BOOST_TEST(!std::filesystem::exists(options.data));
  }
}

BOOST_AUTO_TEST_SUITE_END()
