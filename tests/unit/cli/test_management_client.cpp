// The client side of the management API: paths, credentials, error answers and how failures are reported.
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "reference/cli/command_errors.h"
#include "reference/cli/management_client.h"
#include "tests/unit/cli/fake_transport.h"

using namespace outpost;
using namespace outpost::cli;
using outpost::cli::test::FakeTransport;

namespace {
struct TempFile {
  explicit TempFile(const std::string& contents) {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("outpost-cli-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::ofstream(path, std::ios::binary) << contents;
  }
  ~TempFile() { std::filesystem::remove(path); }
  std::filesystem::path path;
};
}  // namespace

BOOST_AUTO_TEST_SUITE(management_client)

BOOST_AUTO_TEST_CASE(resource_paths_escape_names_so_they_stay_one_segment) {
  BOOST_TEST(scope_map_path("ci-push") == "/mgmt/v1/scopeMaps/ci-push");
  BOOST_TEST(token_path("a/b c") == "/mgmt/v1/tokens/a%2Fb%20c");
}

BOOST_AUTO_TEST_CASE(password_comes_from_the_flag_then_the_file_then_the_environment) {
  TempFile file("from-file\n");
  ConnectionOptions options;
  BOOST_TEST(!resolve_password(options, nullptr).has_value());
  BOOST_TEST(!resolve_password(options, "").has_value());
  BOOST_TEST(*resolve_password(options, "from-env") == "from-env");
  options.password_file = file.path.string();
  BOOST_TEST(*resolve_password(options, "from-env") == "from-file");
  options.password = "from-flag";
  BOOST_TEST(*resolve_password(options, "from-env") == "from-flag");
}

BOOST_AUTO_TEST_CASE(a_password_file_loses_one_trailing_newline_only) {
  TempFile crlf("secret\r\n");
  TempFile two("secret\n\n");
  TempFile none("sec ret");
  ConnectionOptions options;
  options.password_file = crlf.path.string();
  BOOST_TEST(*resolve_password(options, nullptr) == "secret");
  options.password_file = two.path.string();
  BOOST_TEST(*resolve_password(options, nullptr) == "secret\n");
  options.password_file = none.path.string();
  BOOST_TEST(*resolve_password(options, nullptr) == "sec ret");
}

BOOST_AUTO_TEST_CASE(an_unreadable_password_file_is_a_usage_error) {
  ConnectionOptions options;
  options.password_file = "/nonexistent/outpost/password";
  BOOST_CHECK_THROW(resolve_password(options, nullptr), UsageError);
}

BOOST_AUTO_TEST_CASE(the_registry_must_be_an_http_or_https_url) {
  ConnectionOptions options;
  BOOST_CHECK_THROW(http_transport(options, std::nullopt), UsageError);
  options.registry = "127.0.0.1:5000";
  BOOST_CHECK_THROW(http_transport(options, std::nullopt), UsageError);
  options.registry = "https://registry.example";
  BOOST_TEST(http_transport(options, std::string("pw")) != nullptr);
}

BOOST_AUTO_TEST_CASE(a_success_answer_is_json_in_the_nodes_key_order_and_204_is_null) {
  FakeTransport transport;
  transport.answer(200, R"({"zeta":1,"alpha":2})").answer(204);
  ManagementClient client(transport);
  const auto json = client.call(http::Method::Get, "/mgmt/v1/tokens/x");
  BOOST_TEST(json.dump() == R"({"zeta":1,"alpha":2})");
  BOOST_TEST(client.call(http::Method::Delete, "/mgmt/v1/tokens/x").is_null());
  BOOST_TEST(transport.sent.at(0).body.empty());  // no body for a request without one
}

BOOST_AUTO_TEST_CASE(a_success_answer_that_is_not_json_is_an_error) {
  FakeTransport transport;
  transport.answer(200, "<html>proxy</html>");
  ManagementClient client(transport);
  BOOST_CHECK_THROW(client.call(http::Method::Get, "/mgmt/v1/tokens"), std::runtime_error);
}

BOOST_AUTO_TEST_CASE(an_error_answer_carries_every_code_and_message) {
  FakeTransport transport;
  transport.answer(400, R"({"errors":[{"code":"INVALID_REQUEST","message":"bad action 'x'"},
                                      {"code":"INVALID_REQUEST","message":"bad name"}]})");
  ManagementClient client(transport);
  try {
    client.call(http::Method::Put, "/mgmt/v1/scopeMaps/m", nlohmann::ordered_json{{"actions", {"x"}}});
    BOOST_FAIL("no ApiFailure");
  } catch (const ApiFailure& failure) {
    BOOST_TEST(failure.status() == 400);
    BOOST_REQUIRE(failure.entries().size() == 2u);
    BOOST_TEST(failure.entries()[0].code == "INVALID_REQUEST");
    BOOST_TEST(failure.entries()[0].message == "bad action 'x'");
    BOOST_TEST(failure.entries()[1].message == "bad name");
  }
  BOOST_TEST(transport.sent.at(0).body == R"({"actions":["x"]})");
}

BOOST_AUTO_TEST_CASE(an_error_answer_in_another_shape_is_quoted_under_its_status) {
  const ApiFailure failure = failure_from_answer({.status = 502, .headers = {}, .body = "Bad gateway\nupstream down"});
  BOOST_REQUIRE(failure.entries().size() == 1u);
  BOOST_TEST(failure.entries()[0].code == "HTTP_502");
  BOOST_TEST(failure.entries()[0].message == "the node answered 502: Bad gateway upstream down");
}

BOOST_AUTO_TEST_CASE(a_401_without_a_password_says_how_to_give_one) {
  FakeTransport transport;
  const std::string unauthorized = R"({"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]})";
  transport.answer(401, unauthorized).answer(401, unauthorized);
  ManagementClient anonymous(transport, /*credentials_given=*/false);
  try {
    anonymous.call(http::Method::Get, "/mgmt/v1/tokens");
    BOOST_FAIL("no ApiFailure");
  } catch (const ApiFailure& failure) {
    BOOST_TEST(failure.entries()[0].message.find("--password-file") != std::string::npos);
  }
  ManagementClient with_password(transport, /*credentials_given=*/true);
  try {
    with_password.call(http::Method::Get, "/mgmt/v1/tokens");
    BOOST_FAIL("no ApiFailure");
  } catch (const ApiFailure& failure) {
    BOOST_TEST(failure.entries()[0].message == "authentication required");
  }
}

BOOST_AUTO_TEST_CASE(find_answers_nothing_for_404_and_throws_for_other_errors) {
  FakeTransport transport;
  transport.answer(404, R"({"errors":[{"code":"NOT_FOUND","message":"no scope map 'm'"}]})")
      .answer(200, R"({"name":"m"})")
      .answer(403, R"({"errors":[{"code":"DENIED","message":"no"}]})");
  ManagementClient client(transport);
  BOOST_TEST(!client.find("/mgmt/v1/scopeMaps/m").has_value());
  BOOST_TEST((*client.find("/mgmt/v1/scopeMaps/m"))["name"] == "m");
  BOOST_CHECK_THROW(client.find("/mgmt/v1/scopeMaps/m"), ApiFailure);
}

BOOST_AUTO_TEST_CASE(failures_are_reported_one_line_each_with_their_exit_status) {
  std::ostringstream err;
  BOOST_TEST(run_reporting_errors([]() -> int { throw ApiFailure(404, {{"NOT_FOUND", "token 'x' not found"}}); }, err) ==
             kExitFailure);
  BOOST_TEST(err.str() == "outpost: NOT_FOUND: token 'x' not found\n");

  err.str("");
  BOOST_TEST(run_reporting_errors([]() -> int { throw UsageError("give --name"); }, err) == kExitUsage);
  BOOST_TEST(err.str() == "outpost: usage: give --name\nRun with --help for more information.\n");

  err.str("");
  BOOST_TEST(run_reporting_errors([]() -> int { throw std::runtime_error("cannot connect to x: refused"); }, err) ==
             kExitFailure);
  BOOST_TEST(err.str() == "outpost: error: cannot connect to x: refused\n");

  err.str("");
  BOOST_TEST(run_reporting_errors([] { return 0; }, err) == 0);
  BOOST_TEST(err.str().empty());
}

BOOST_AUTO_TEST_SUITE_END()
