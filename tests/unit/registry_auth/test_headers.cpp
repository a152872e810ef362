// The pure parsers and renderers: Authorization, WWW-Authenticate, form bodies, Host handling, client addresses.
#include <boost/test/unit_test.hpp>

#include "reference/auth/base64.h"
#include "reference/registry/auth/authorization_header.h"
#include "reference/registry/auth/form_body.h"
#include "reference/registry/auth/login_limiter.h"
#include "reference/registry/auth/service_naming.h"
#include "reference/registry/auth/www_authenticate.h"

using namespace outpost;
using namespace outpost::registry;

namespace {
std::string b64(const std::string& text) { return auth::base64_encode(text); }
}  // namespace

BOOST_AUTO_TEST_SUITE(authorization_header)

BOOST_AUTO_TEST_CASE(basic_splits_at_the_first_colon) {
  const auto parsed = parse_authorization("Basic " + b64("pull-token:pa:ss"));
  BOOST_TEST(static_cast<int>(parsed.scheme) == static_cast<int>(AuthorizationScheme::Basic));
  BOOST_TEST(parsed.username() == "pull-token");
  BOOST_TEST(parsed.password() == "pa:ss");
}

BOOST_AUTO_TEST_CASE(scheme_is_case_insensitive_and_whitespace_tolerated) {
  for (const std::string prefix : {"basic ", "BASIC ", "bAsIc   ", " Basic\t"}) {
    const auto parsed = parse_authorization(prefix + b64("name:pw") + "  ");
    BOOST_TEST_INFO(prefix);
    BOOST_TEST(static_cast<int>(parsed.scheme) == static_cast<int>(AuthorizationScheme::Basic));
    BOOST_TEST(parsed.username() == "name");
  }
  const auto bearer = parse_authorization("bearer abc.def.ghi");
  BOOST_TEST(static_cast<int>(bearer.scheme) == static_cast<int>(AuthorizationScheme::Bearer));
  BOOST_TEST(bearer.token() == "abc.def.ghi");
}

BOOST_AUTO_TEST_CASE(empty_password_is_allowed) {
  const auto parsed = parse_authorization("Basic " + b64("name:"));
  BOOST_TEST(static_cast<int>(parsed.scheme) == static_cast<int>(AuthorizationScheme::Basic));
  BOOST_TEST(parsed.password().empty());
}

BOOST_AUTO_TEST_CASE(malformed_values) {
  const std::vector<std::string> cases = {
      "",                                 // empty
      "Basic",                            // no credentials
      "Bearer",                           // no token
      "Basic " + b64("no-colon"),         // no ':'
      "Basic " + b64(":password"),        // empty name
      "Basic Zh==",                       // non-canonical base64 (unused bits set)
      "Basic Zm9v YmFy",                  // space inside the credentials
      "Basic " + b64("name:pw").substr(1),  // broken padding
      "Basic !!!!",                       // outside token68
      "Basic YW-j",                       // token68, but outside base64: '-', '.', '_', '~'
      "Basic YW.j",
      "Basic YW_j",
      "Basic YW~j",
      "Basic YQ==YWJj",                   // '=' before the end
      "Basic ====",                       // nothing but padding
      "Basic YWJj===",                    // a third '='
      "Basic " + b64("na\x01me:pw"),      // control byte in the name
      "Basic " + b64("name:p\nw"),        // control byte in the password
      "Basic " + b64("name:" + std::string(2000, 'x')),  // oversized password
      "Bearer a b",                       // two tokens
      "Bearer a\"b",                      // outside token68
      "Bearer " + std::string(kMaxBearerTokenBytes + 1, 'a'),
      "Ba(sic abc",                       // not a token scheme
      "Digest \x01",                      // control byte after another scheme
  };
  for (const std::string& value : cases) {
    BOOST_TEST_INFO(value.substr(0, 60));
    BOOST_TEST(static_cast<int>(parse_authorization(value).scheme) == static_cast<int>(AuthorizationScheme::Malformed));
  }
}

BOOST_AUTO_TEST_CASE(every_control_byte_anywhere_is_malformed_and_nothing_else) {
  // The control test reads eight bytes at a time: each byte value at each place (in a whole word and in the tail, in
  // the name and in the password) must be judged as on its own.
  const std::string name = "token-name", password = "0123456789abcdefghijklmnopqrstu";
  for (int value = 0; value < 256; ++value) {
    const char byte = static_cast<char>(value);
    const bool control = value < 0x20 || value == 0x7f;
    for (size_t at = 0; at < password.size(); ++at) {
      std::string changed = password;
      changed[at] = byte;
      const Authorization parsed = parse_authorization("Basic " + auth::base64_encode(name + ":" + changed));
      BOOST_TEST((parsed.scheme == AuthorizationScheme::Malformed) == control, "byte " << value << " at " << at);
      if (!control) BOOST_TEST(parsed.password() == changed);
    }
    if (byte == ':') continue;  // in the name, it would split it earlier instead
    for (size_t at = 0; at < name.size(); ++at) {
      std::string changed = name;
      changed[at] = byte;
      const Authorization parsed = parse_authorization("Basic " + auth::base64_encode(changed + ":" + password));
      BOOST_TEST((parsed.scheme == AuthorizationScheme::Malformed) == control, "byte " << value << " at " << at);
      if (!control) BOOST_TEST(parsed.username() == changed);
    }
  }
}

BOOST_AUTO_TEST_CASE(other_schemes_carry_no_credentials) {
  const auto parsed = parse_authorization("Digest username=\"x\", realm=\"y\"");
  BOOST_TEST(static_cast<int>(parsed.scheme) == static_cast<int>(AuthorizationScheme::Other));
  BOOST_TEST(parsed.username().empty());
}

BOOST_AUTO_TEST_CASE(headers_none_one_or_several) {
  http::Headers headers;
  BOOST_TEST(static_cast<int>(parse_authorization(headers).scheme) == static_cast<int>(AuthorizationScheme::None));
  headers.add("authorization", "Bearer x");
  BOOST_TEST(static_cast<int>(parse_authorization(headers).scheme) == static_cast<int>(AuthorizationScheme::Bearer));
  headers.add("Authorization", "Basic " + b64("a:b"));
  BOOST_TEST(static_cast<int>(parse_authorization(headers).scheme) ==
             static_cast<int>(AuthorizationScheme::Malformed));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(www_authenticate)

BOOST_AUTO_TEST_CASE(renders_the_spec_shape) {
  const std::string header = render_challenge(
      {"http://registry.test:5000/oauth2/token", "registry.test:5000", "repository:a/b:pull,push", false});
  BOOST_TEST(header ==
             R"(Bearer realm="http://registry.test:5000/oauth2/token",service="registry.test:5000",)"
             R"(scope="repository:a/b:pull,push")");
  const std::string insufficient = render_challenge({"https://h/oauth2/token", "h", "registry:catalog:*", true});
  BOOST_TEST(insufficient ==
             R"(Bearer realm="https://h/oauth2/token",service="h",scope="registry:catalog:*",)"
             R"(error="insufficient_scope")");
  BOOST_TEST(render_challenge({"http://h/oauth2/token", "h", "", false}) ==
             R"(Bearer realm="http://h/oauth2/token",service="h")");
}

BOOST_AUTO_TEST_CASE(escapes_quotes_and_drops_control_bytes) {
  const BearerChallenge hostile{"http://h/oauth2/token", "h", "repository:a\"b\\c\r\nX-Injected: 1:pull", false};
  const std::string header = render_challenge(hostile);
  BOOST_TEST(header.find('\r') == std::string::npos);
  BOOST_TEST(header.find('\n') == std::string::npos);
  const auto parsed = parse_bearer_challenge(header);
  BOOST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->scope == "repository:a\"b\\cX-Injected: 1:pull");
}

BOOST_AUTO_TEST_CASE(round_trips) {
  const BearerChallenge challenge{"http://[::1]:5000/oauth2/token", "[::1]:5000",
                                  "repository:a:pull,push repository:b:pull", true};
  const auto parsed = parse_bearer_challenge(render_challenge(challenge));
  BOOST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->realm == challenge.realm);
  BOOST_TEST(parsed->service == challenge.service);
  BOOST_TEST(parsed->scope == challenge.scope);
  BOOST_TEST(parsed->insufficient_scope);
}

BOOST_AUTO_TEST_CASE(parses_tokens_whitespace_and_case) {
  const auto parsed = parse_challenge(R"(bearer  Realm = "r" , service=svc,scope="a b")");
  BOOST_REQUIRE(parsed.has_value());
  BOOST_TEST(parsed->scheme == "bearer");
  BOOST_TEST(parsed->params.at("realm") == "r");
  BOOST_TEST(parsed->params.at("service") == "svc");
  BOOST_TEST(parsed->params.at("scope") == "a b");
  BOOST_TEST(parse_bearer_challenge(R"(BEARER realm="r")").has_value());
}

BOOST_AUTO_TEST_CASE(refuses_malformed_challenges) {
  for (const std::string value : {
           R"(Bearer realm="unterminated)",
           R"(Bearer realm="r",)",
           R"(Bearer realm="r" service="s")",
           R"(Bearer realm="r",realm="again")",
           R"(Bearer realm=)",
           R"(Bearer token68==)",
           R"(Bearer realm="r", Basic realm="x")",
           "Bearer realm=\"a\x01\"",
           R"(Bearer realm="ends with backslash\)",
           "",
       }) {
    BOOST_TEST_INFO(value);
    BOOST_TEST(!parse_challenge(value).has_value());
  }
  BOOST_TEST(!parse_bearer_challenge(R"(Basic realm="r")").has_value());
  BOOST_TEST(!parse_bearer_challenge(R"(Bearer service="s")").has_value());  // no realm
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(form_body)

BOOST_AUTO_TEST_CASE(decodes_fields) {
  const auto form = parse_form(
      "grant_type=password&username=pull-token&password=a%2Bb%3D%3D&scope=repository%3Asamples%2Fapp%3Apull+"
      "repository%3Ab%3Apush&&flag");
  BOOST_REQUIRE(form.has_value());
  BOOST_TEST(*form->get("grant_type") == "password");
  BOOST_TEST(*form->get("password") == "a+b==");
  BOOST_TEST(*form->get("scope") == "repository:samples/app:pull repository:b:push");
  BOOST_TEST(*form->get("flag") == "");
  BOOST_TEST(!form->get("missing").has_value());
}

BOOST_AUTO_TEST_CASE(repeated_fields_are_kept_in_order) {
  const auto form = parse_form("scope=a&scope=b&x=1");
  BOOST_REQUIRE(form.has_value());
  BOOST_TEST(form->count("scope") == 2u);
  BOOST_TEST((form->get_all("scope") == std::vector<std::string>{"a", "b"}));
}

BOOST_AUTO_TEST_CASE(refuses_broken_escapes) {
  for (const std::string body : {"a=%", "a=%4", "a=%zz", "%g1=b", "a=b%"}) {
    BOOST_TEST_INFO(body);
    BOOST_TEST(!parse_form(body).has_value());
  }
  BOOST_TEST(parse_form("").has_value());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(service_naming)

BOOST_AUTO_TEST_CASE(usable_hosts) {
  for (const std::string host : {"registry.test", "registry.test:5000", "127.0.0.1:80", "[::1]:5000", "[fe80::1]",
                                 "my_host", "UPPER.case"})
    BOOST_TEST(usable_host(host), host);
  const std::string too_long(300, 'a');
  for (const std::string host : {"", "a b", "h\"x", "h:port", "h:123456", "[::1", "[]", "[zz]:1", "h/x", "h\r\nX: y",
                                 ":80", too_long.c_str()})
    BOOST_TEST(!usable_host(host), host);
}

BOOST_AUTO_TEST_CASE(realm_and_service_follow_the_host) {
  ServiceNaming naming;
  naming.fallback_host = "fallback:1";
  http::Request request;
  request.headers.set("Host", "Registry.Test:5000");
  BOOST_TEST(naming.realm_for(request) == "http://Registry.Test:5000/oauth2/token");
  BOOST_TEST(naming.service_for(request) == "registry.test:5000");
  request.headers.set("X-Forwarded-Proto", "HTTPS");
  BOOST_TEST(naming.realm_for(request) == "https://Registry.Test:5000/oauth2/token");
  request.headers.set("X-Forwarded-Proto", "gopher");
  BOOST_TEST(naming.scheme_for(request) == "http");
  request.headers.set("Host", "evil\"host");
  BOOST_TEST(naming.realm_for(request) == "http://fallback:1/oauth2/token");
  request.headers.remove("Host");
  BOOST_TEST(naming.service_for(request) == "fallback:1");
}

BOOST_AUTO_TEST_CASE(a_fixed_service_wins) {
  ServiceNaming naming;
  naming.fixed_service = "login.example:443";
  naming.scheme = "https";
  naming.honor_forwarded_proto = false;
  http::Request request;
  request.headers.set("Host", "other:1");
  request.headers.set("X-Forwarded-Proto", "http");
  BOOST_TEST(naming.service_for(request) == "login.example:443");
  BOOST_TEST(naming.realm_for(request) == "https://other:1/oauth2/token");
  request.headers.remove("Host");
  BOOST_TEST(naming.realm_for(request) == "https://login.example:443/oauth2/token");
}

BOOST_AUTO_TEST_CASE(client_address_drops_the_port) {
  BOOST_TEST(client_address("10.0.0.1:5555") == "10.0.0.1");
  BOOST_TEST(client_address("[::1]:5555") == "::1");
  BOOST_TEST(client_address("::1") == "::1");
  BOOST_TEST(client_address("10.0.0.1") == "10.0.0.1");
  BOOST_TEST(client_address("") == "");
}

BOOST_AUTO_TEST_SUITE_END()
