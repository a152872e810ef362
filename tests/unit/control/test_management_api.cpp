// The management API over http::Request/Call, in process (SPEC 7.2): routes, status codes, JSON shapes, errors.
#include <boost/test/unit_test.hpp>

#include "reference/control/management_api.h"
#include "tests/unit/control/control_fixture.h"

using namespace outpost;
using namespace outpost::control;
using namespace outpost::control::testing;
using http::Method;

namespace {
struct ApiFixture : ControlFixture {
  ManagementApi api{*control};

  // Sends `body` in small pieces, as a transport would.
  http::Response send(Method method, const std::string& path, const std::string& body = "") {
    http::Request request;
    request.method = method;
    const size_t question = path.find('?');
    request.path = http::percent_decode(path.substr(0, question));  // as the live server and the simulator do
    request.target = path;
    if (question != std::string::npos) request.query = path.substr(question + 1);
    if (!body.empty()) request.content_length = body.size();
    auto call = api.start(request);
    for (size_t at = 0; at < body.size(); at += 7)
      if (!call->on_body(std::string_view(body).substr(at, 7))) break;
    return call->finish();
  }
  http::Response send(Method method, const std::string& path, const json& body) {
    return send(method, path, body.dump());
  }
  static json body_of(const http::Response& response) { return json::parse(response.body); }
  static std::string header(const http::Response& response, std::string_view name) {
    return std::string(response.headers.get(name).value_or("(absent)"));
  }

  // The OCI error shape: {"errors": [{"code", "message", ...}]}.
  static void expect_error(const http::Response& response, int status, const std::string& code) {
    BOOST_TEST(response.status == status);
    BOOST_TEST(header(response, "Content-Type") == "application/json");
    const json body = body_of(response);
    BOOST_REQUIRE(body.at("errors").is_array());
    BOOST_REQUIRE(body.at("errors").size() == 1u);
    BOOST_TEST(body.at("errors")[0].at("code") == code);
    BOOST_TEST(!body.at("errors")[0].at("message").get<std::string>().empty());
  }
};
}  // namespace

BOOST_FIXTURE_TEST_SUITE(management_api, ApiFixture)

BOOST_AUTO_TEST_CASE(scope_map_routes) {
  auto response = send(Method::Get, "/mgmt/v1/scopeMaps");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(header(response, "Content-Type") == "application/json");
  BOOST_TEST(body_of(response).size() == 5u);
  BOOST_TEST(send(Method::Get, "/mgmt/v1/scopeMaps/").status == 200);

  response = send(Method::Put, "/mgmt/v1/scopeMaps/api-map",
                  json{{"description", "via http"}, {"actions", {"repositories/Hello/content/read"}}});
  BOOST_TEST(response.status == 201);
  BOOST_TEST(body_of(response) == json({{"name", "api-map"},
                                        {"description", "via http"},
                                        {"actions", {"repositories/hello/content/read"}},
                                        {"type", "UserDefined"}}));
  BOOST_TEST(send(Method::Put, "/mgmt/v1/scopeMaps/api-map", json{{"actions", json::array()}}).status == 200);

  response = send(Method::Patch, "/mgmt/v1/scopeMaps/api-map",
                  json{{"addActions", {"repositories/x/content/read", "repositories/y/content/read"}},
                       {"removeActions", {"repositories/x/content/read"}}});
  BOOST_TEST(response.status == 200);
  BOOST_TEST(body_of(response).at("actions") == json({"repositories/y/content/read"}));
  BOOST_TEST(body_of(send(Method::Get, "/mgmt/v1/scopeMaps/api-map")).at("actions") ==
             json({"repositories/y/content/read"}));

  response = send(Method::Delete, "/mgmt/v1/scopeMaps/api-map");
  BOOST_TEST(response.status == 204);
  BOOST_TEST(response.body.empty());
  expect_error(send(Method::Get, "/mgmt/v1/scopeMaps/api-map"), 404, "NOT_FOUND");
}

// A name is one path segment, decoded on its own: an encoded slash stays in the name (and is refused with it), and a
// trailing slash after a name names no endpoint. Both used to reach another resource: "victim%2F" was split into
// "victim" and an empty segment, and the trailing slash was dropped.
BOOST_AUTO_TEST_CASE(a_name_with_a_slash_names_no_other_resource) {
  BOOST_REQUIRE(send(Method::Put, "/mgmt/v1/tokens/victim-tok", json{{"scopeMap", "_repositories_pull"}}).status == 201);
  expect_error(send(Method::Delete, "/mgmt/v1/tokens/victim-tok%2F"), 404, "NOT_FOUND");  // no token has that name
  expect_error(send(Method::Delete, "/mgmt/v1/tokens/victim-tok/"), 404, "NOT_FOUND");
  BOOST_TEST(send(Method::Get, "/mgmt/v1/tokens/victim-tok").status == 200);  // still there
  expect_error(send(Method::Put, "/mgmt/v1/tokens/new-tok%2F", json{{"scopeMap", "_repositories_pull"}}), 400,
               "INVALID_REQUEST");
  expect_error(send(Method::Get, "/mgmt/v1/tokens/new-tok"), 404, "NOT_FOUND");
  expect_error(send(Method::Put, "/mgmt/v1/scopeMaps/a%2Fmap", json{{"actions", {"repositories/x/content/read"}}}),
               400, "INVALID_REQUEST");
  // Collections still take their trailing slash, and an encoded letter is the letter.
  BOOST_TEST(send(Method::Get, "/mgmt/v1/tokens/").status == 200);
  BOOST_TEST(send(Method::Get, "/mgmt/v1/tokens/victim%2Dtok").status == 200);
}

// A message quoting the client's bytes keeps them all: it ended at the first NUL (std::exception::what() is a C
// string), mid-quote, while the detail had the whole text.
BOOST_AUTO_TEST_CASE(an_error_message_keeps_what_follows_a_nul) {
  const auto response = send(Method::Put, "/mgmt/v1/scopeMaps/nul-test",
                             json{{"actions", {std::string("repositories/a/content/read\0tail", 32)}}});
  expect_error(response, 400, "INVALID_REQUEST");
  const std::string message = body_of(response).at("errors")[0].at("message").get<std::string>();
  BOOST_TEST(message.find(std::string("read\0tail", 9)) != std::string::npos, message);
}

BOOST_AUTO_TEST_CASE(token_routes) {
  auto response = send(Method::Put, "/mgmt/v1/tokens/api-token", json{{"scopeMap", "_repositories_pull"}});
  BOOST_TEST(response.status == 201);
  json created = body_of(response);
  BOOST_TEST(created.at("passwords").size() == 2u);
  const std::string password1 = created.at("passwords")[0].at("value");

  response = send(Method::Get, "/mgmt/v1/tokens/api-token");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.body.find(password1) == std::string::npos);
  BOOST_TEST(!body_of(response).at("passwords")[0].contains("value"));
  response = send(Method::Get, "/mgmt/v1/tokens");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(body_of(response).size() == 1u);
  BOOST_TEST(response.body.find(password1) == std::string::npos);

  response = send(Method::Patch, "/mgmt/v1/tokens/api-token", json{{"status", "disabled"}});
  BOOST_TEST(response.status == 200);
  BOOST_TEST(body_of(response).at("status") == "disabled");
  response = send(Method::Put, "/mgmt/v1/tokens/api-token", json{{"scopeMap", "_repositories_push"}});
  BOOST_TEST(response.status == 200);
  BOOST_TEST(body_of(response).at("scopeMap") == "_repositories_push");

  response = send(Method::Post, "/mgmt/v1/tokens/api-token/generateCredentials", json{{"name", "password2"}});
  BOOST_TEST(response.status == 200);
  json credentials = body_of(response);
  BOOST_TEST(credentials.at("username") == "api-token");
  BOOST_TEST(credentials.at("passwords").size() == 1u);
  BOOST_TEST(credentials.at("passwords")[0].at("name") == "password2");
  BOOST_TEST(credentials.at("passwords")[0].at("value").is_string());
  // No body at all: both passwords.
  response = send(Method::Post, "/mgmt/v1/tokens/api-token/generateCredentials");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(body_of(response).at("passwords").size() == 2u);

  response = send(Method::Delete, "/mgmt/v1/tokens/api-token");
  BOOST_TEST(response.status == 204);
  expect_error(send(Method::Get, "/mgmt/v1/tokens/api-token"), 404, "NOT_FOUND");
  expect_error(send(Method::Post, "/mgmt/v1/tokens/api-token/generateCredentials"), 404, "NOT_FOUND");
}

BOOST_AUTO_TEST_CASE(errors_have_the_oci_shape_and_status) {
  expect_error(send(Method::Put, "/mgmt/v1/scopeMaps/_repositories_pull", json{{"actions", json::array()}}), 403,
               "DENIED");
  expect_error(send(Method::Put, "/mgmt/v1/scopeMaps/bad", json{{"actions", json::array()}}), 400, "INVALID_REQUEST");
  expect_error(send(Method::Put, "/mgmt/v1/scopeMaps/bad-actions", json{{"actions", {"repositories/a*/content/read"}}}),
               400, "INVALID_REQUEST");
  send(Method::Put, "/mgmt/v1/scopeMaps/used-map", json{{"actions", json::array()}});
  send(Method::Put, "/mgmt/v1/tokens/map-user", json{{"scopeMap", "used-map"}, {"noPasswords", true}});
  const auto conflict = send(Method::Delete, "/mgmt/v1/scopeMaps/used-map");
  expect_error(conflict, 409, "CONFLICT");
  BOOST_TEST(body_of(conflict).at("errors")[0].at("detail").at("tokens") == json({"map-user"}));
  std::vector<std::string> actions;
  for (int i = 0; i < 501; ++i) actions.push_back("repositories/r" + std::to_string(i) + "/content/read");
  expect_error(send(Method::Put, "/mgmt/v1/scopeMaps/too-many", json{{"actions", actions}}), 409, "LIMIT_EXCEEDED");
}

BOOST_AUTO_TEST_CASE(malformed_bodies_are_400) {
  for (const std::string body : {"{", "not json", "[1, 2]", "\"text\"", "{\"actions\": [1]}", "{\"actions\": []} x"}) {
    const auto response = send(Method::Put, "/mgmt/v1/scopeMaps/body-test", body);
    expect_error(response, 400, "INVALID_REQUEST");
  }
  const auto invalid_json = send(Method::Put, "/mgmt/v1/scopeMaps/body-test", std::string("{\"actions\": ["));
  BOOST_TEST(body_of(invalid_json)
                 .at("errors")[0]
                 .at("message")
                 .get<std::string>()
                 .starts_with("request body is not valid JSON"));
  expect_error(send(Method::Put, "/mgmt/v1/tokens/body-test", std::string()), 400, "INVALID_REQUEST");  // no scopeMap
  const std::string deep = std::string(100, '[') + std::string(100, ']');
  expect_error(send(Method::Patch, "/mgmt/v1/scopeMaps/body-test", deep), 400, "INVALID_REQUEST");
  // A number beyond any C++ type is nlohmann's out_of_range, not its parse_error: it was a 500 naming nlohmann.
  for (const std::string body : {"{\"actions\": [1e400]}", "{\"description\": -1e999}"}) {
    const auto response = send(Method::Put, "/mgmt/v1/scopeMaps/body-test", body);
    expect_error(response, 400, "INVALID_REQUEST");
    const std::string message = body_of(response).at("errors")[0].at("message").get<std::string>();
    BOOST_TEST(message.starts_with("request body is not valid JSON"), message);
    BOOST_TEST(message.find("json.exception") == std::string::npos, message);
  }
  // The parser ends input at a NUL byte: this body was taken as {"actions": []} (201) with the rest ignored.
  const std::string nul_body = std::string("{\"actions\": []}") + '\0' + "garbage";
  const auto nul = send(Method::Put, "/mgmt/v1/scopeMaps/body-test", nul_body);
  expect_error(nul, 400, "INVALID_REQUEST");
  BOOST_TEST(body_of(nul).at("errors")[0].at("message").get<std::string>().find("NUL byte") != std::string::npos);
  BOOST_TEST(control->list_scope_maps().body.size() == 5u);
}

BOOST_AUTO_TEST_CASE(bodies_over_one_mebibyte_are_refused) {
  // Announced by Content-Length...
  http::Request request;
  request.method = Method::Put;
  request.path = "/mgmt/v1/scopeMaps/huge-map";
  request.content_length = ManagementApi::kMaxBodyBytes + 1;
  auto call = api.start(request);
  BOOST_TEST(!call->on_body("{"));
  expect_error(call->finish(), 413, "INVALID_REQUEST");
  // ...or found while streaming.
  request.content_length.reset();
  call = api.start(request);
  const std::string piece(64 * 1024, ' ');
  bool accepted = true;
  for (size_t sent = 0; accepted && sent <= ManagementApi::kMaxBodyBytes; sent += piece.size())
    accepted = call->on_body(piece);
  BOOST_TEST(!accepted);
  expect_error(call->finish(), 413, "INVALID_REQUEST");
}

// Unknown paths and methods answer in the same error shape.
BOOST_AUTO_TEST_CASE(unknown_routes_and_methods) {
  for (const std::string path :
       {"/mgmt/v1/connectedRegistries/edge1", "/mgmt/v1/connectedRegistries/edge1/other", "/mgmt/v1/",
        "/mgmt/v1/tokens/a/b/c", "/mgmt/v1/tokens//x", "/mgmt/v2/tokens", "/mgmt/v1/tokens/some-token/regenerate"})
    expect_error(send(Method::Get, path), 404, "NOT_FOUND");

  auto response = send(Method::Post, "/mgmt/v1/tokens");
  expect_error(response, 405, "UNSUPPORTED");
  BOOST_TEST(header(response, "Allow") == "GET");
  response = send(Method::Post, "/mgmt/v1/scopeMaps/some-map");
  expect_error(response, 405, "UNSUPPORTED");
  BOOST_TEST(header(response, "Allow") == "GET, PUT, PATCH, DELETE");
  response = send(Method::Get, "/mgmt/v1/tokens/some-token/generateCredentials");
  expect_error(response, 405, "UNSUPPORTED");
  BOOST_TEST(header(response, "Allow") == "POST");
  response = send(Method::Get, "/mgmt/v1/connectedRegistries/edge1/resync");
  expect_error(response, 405, "UNSUPPORTED");
  BOOST_TEST(header(response, "Allow") == "POST");
  response = send(Method::Post, "/mgmt/v1/connectedRegistries/edge1/notifications");
  expect_error(response, 405, "UNSUPPORTED");
  BOOST_TEST(header(response, "Allow") == "GET");
  expect_error(send(Method::Delete, "/mgmt/v1/connectedRegistries"), 405, "UNSUPPORTED");
}

// SPEC 7.2: every connected-registry route, with its status codes and JSON.
BOOST_AUTO_TEST_CASE(connected_registry_routes) {
  auto response = send(Method::Put, "/mgmt/v1/connectedRegistries/EdgeOne",
                       json{{"mode", "ReadWrite"}, {"repositories", {"hello"}}});
  BOOST_TEST(response.status == 201);
  json body = body_of(response);
  BOOST_TEST(body.at("name") == "edgeone");
  BOOST_TEST(body.at("syncToken").at("passwords").size() == 2u);
  BOOST_TEST(contains(body.at("connectionString").get<std::string>(), "ConnectedRegistryName=edgeone;"));
  BOOST_TEST(
      send(Method::Put, "/mgmt/v1/connectedRegistries/edgetwo", json{{"mode", "ReadOnly"}, {"parent", "edgeone"}})
          .status == 201);
  BOOST_TEST(send(Method::Put, "/mgmt/v1/connectedRegistries/edgeone", json{{"mode", "ReadWrite"}}).status == 200);

  response = send(Method::Get, "/mgmt/v1/connectedRegistries");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(body_of(response).size() == 2u);
  response = send(Method::Get, "/mgmt/v1/connectedRegistries?parent=edgeone&mode=ReadOnly&connectionState=Offline");
  BOOST_TEST(body_of(response).size() == 1u);
  BOOST_TEST(body_of(response)[0].at("name") == "edgetwo");
  expect_error(send(Method::Get, "/mgmt/v1/connectedRegistries?mode=Fast"), 400, "INVALID_REQUEST");
  BOOST_TEST(body_of(send(Method::Get, "/mgmt/v1/connectedRegistries/EDGETWO")).at("parent") == "edgeone");

  response = send(Method::Patch, "/mgmt/v1/connectedRegistries/edgetwo", json{{"logging", {{"level", "Error"}}}});
  BOOST_TEST(response.status == 200);
  BOOST_TEST(body_of(response).at("logging").at("level") == "Error");
  expect_error(send(Method::Patch, "/mgmt/v1/connectedRegistries/edgetwo", json{{"mode", "ReadWrite"}}), 400,
               "INVALID_REQUEST");

  response = send(Method::Post, "/mgmt/v1/connectedRegistries/edgetwo/permissions", json{{"add", {"world"}}});
  BOOST_TEST(response.status == 200);
  BOOST_TEST(body_of(response).at("repositories") == json({"world"}));
  BOOST_TEST(body_of(send(Method::Get, "/mgmt/v1/connectedRegistries/edgeone")).at("repositories") ==
             json({"hello", "world"}));

  response =
      send(Method::Post, "/mgmt/v1/connectedRegistries/edgetwo/connectionString", json{{"password", "password1"}});
  BOOST_TEST(response.status == 200);
  BOOST_TEST(
      contains(body_of(response).at("connectionString").get<std::string>(), "SyncTokenName=edgetwo-sync-token;"));
  BOOST_TEST(send(Method::Post, "/mgmt/v1/connectedRegistries/edgetwo/resync").status == 200);
  control->activate("edgetwo", "instance-1");
  response = send(Method::Post, "/mgmt/v1/connectedRegistries/edgetwo/deactivate");
  BOOST_TEST(response.status == 200);
  BOOST_TEST(body_of(response).at("activation") == "Inactive");
  control->add_notifications("edgetwo", {json{{"action", "push"}}});
  response = send(Method::Get, "/mgmt/v1/connectedRegistries/edgetwo/notifications");
  BOOST_TEST(body_of(response) == json::array({json{{"action", "push"}}}));

  // SPEC 2.6, 2.10: the sync token stays while its CR exists; the parent waits for its children.
  expect_error(send(Method::Delete, "/mgmt/v1/tokens/edgetwo-sync-token"), 409, "CONFLICT");
  expect_error(send(Method::Delete, "/mgmt/v1/connectedRegistries/edgeone"), 409, "CONFLICT");
  expect_error(send(Method::Delete, "/mgmt/v1/connectedRegistries/edgetwo?cleanup=yes"), 400, "INVALID_REQUEST");
  response = send(Method::Delete, "/mgmt/v1/connectedRegistries/edgetwo?cleanup=true");
  BOOST_TEST(response.status == 204);
  BOOST_TEST(response.body.empty());
  expect_error(send(Method::Get, "/mgmt/v1/tokens/edgetwo-sync-token"), 404, "NOT_FOUND");
  BOOST_TEST(send(Method::Delete, "/mgmt/v1/connectedRegistries/edgeone").status == 204);
  BOOST_TEST(body_of(send(Method::Get, "/mgmt/v1/tokens/edgeone-sync-token")).at("status") == "disabled");
  expect_error(send(Method::Get, "/mgmt/v1/connectedRegistries/edgeone/notifications"), 404, "NOT_FOUND");
}

// Names that are not even UTF-8 still get a well-formed JSON error.
BOOST_AUTO_TEST_CASE(binary_names_get_json_errors) {
  const auto response = send(Method::Get, std::string("/mgmt/v1/tokens/bad\xff\xfename"));
  expect_error(response, 404, "NOT_FOUND");
  expect_error(send(Method::Put, std::string("/mgmt/v1/scopeMaps/bad\xffname"), json{{"actions", json::array()}}), 400,
               "INVALID_REQUEST");
}

BOOST_AUTO_TEST_SUITE_END()
