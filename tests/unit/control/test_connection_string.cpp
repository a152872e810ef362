// Connection strings (SPEC 7.3): the format, and parsing with values split at their first '='.
#include <boost/test/unit_test.hpp>

#include "reference/control/connection_string.h"

using namespace outpost::control;

BOOST_AUTO_TEST_SUITE(connection_strings)

BOOST_AUTO_TEST_CASE(format_puts_the_keys_in_order) {
  const ConnectionString value{"edgeone", "edgeone-sync-token", "abc+/def==", "10.0.0.1:8080", "https"};
  BOOST_TEST(format_connection_string(value) ==
             "ConnectedRegistryName=edgeone;SyncTokenName=edgeone-sync-token;SyncTokenPassword=abc+/def==;"
             "ParentGatewayEndpoint=10.0.0.1:8080;ParentEndpointProtocol=https");
  const auto parsed = parse_connection_string(format_connection_string(value));
  BOOST_REQUIRE(parsed);
  BOOST_TEST((*parsed.value == value));
}

BOOST_AUTO_TEST_CASE(values_split_at_the_first_equals_sign) {
  // A password may start or end with '=' (ACR's runtime once failed on a leading one).
  const auto parsed = parse_connection_string(
      "  ParentEndpointProtocol=http;ConnectedRegistryName=edgeone;SyncTokenName=t-sync-token;"
      "SyncTokenPassword==a=b=;ParentGatewayEndpoint=<parent-endpoint>;\n");
  BOOST_REQUIRE(parsed);
  BOOST_TEST(parsed.value->sync_token_password == "=a=b=");
  BOOST_TEST(parsed.value->parent_endpoint == "<parent-endpoint>");
  BOOST_TEST(parsed.value->parent_protocol == "http");
}

BOOST_AUTO_TEST_CASE(malformed_strings_are_refused_with_the_reason) {
  const std::string good_tail = ";ParentGatewayEndpoint=h:1;ParentEndpointProtocol=http";
  const auto refusal = [](const std::string& text) {
    const auto parsed = parse_connection_string(text);
    BOOST_TEST(!parsed);
    return parsed.error;
  };
  BOOST_TEST(refusal("ConnectedRegistryName=a;SyncTokenName=b" + good_tail).find("'SyncTokenPassword' is missing") !=
             std::string::npos);
  BOOST_TEST(refusal("ConnectedRegistryName=a;SyncTokenName=b;SyncTokenPassword=c;Extra=d" + good_tail)
                 .find("unknown key 'Extra'") != std::string::npos);
  BOOST_TEST(refusal("ConnectedRegistryName=a;ConnectedRegistryName=a;SyncTokenName=b;SyncTokenPassword=c" + good_tail)
                 .find("appears twice") != std::string::npos);
  BOOST_TEST(refusal("ConnectedRegistryName=;SyncTokenName=b;SyncTokenPassword=c" + good_tail).find("empty value") !=
             std::string::npos);
  BOOST_TEST(refusal("ConnectedRegistryName=a;SyncTokenName;SyncTokenPassword=c" + good_tail).find("not key=value") !=
             std::string::npos);
  BOOST_TEST(refusal("ConnectedRegistryName=a;SyncTokenName=b;SyncTokenPassword=c;ParentGatewayEndpoint=h:1;"
                     "ParentEndpointProtocol=ftp")
                 .find("http or https") != std::string::npos);
  BOOST_TEST(!parse_connection_string(""));
}

BOOST_AUTO_TEST_SUITE_END()
