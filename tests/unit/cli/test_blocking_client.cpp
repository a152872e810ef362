// The blocking client the verbs use, against the live server on 127.0.0.1 (plain and TLS), and the management
// transport end to end over it.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>
#include <filesystem>
#include <sstream>

#include "reference/cli/management_client.h"
#include "reference/cli/scope_map_command.h"
#include "reference/live/blocking_client.h"
#include "tests/unit/live/test_server_support.h"

using namespace outpost;
using namespace outpost::live::test;
namespace utf = boost::unit_test;
using std::chrono::milliseconds;

namespace {

constexpr milliseconds kPatience{20'000};  // far beyond what a passing exchange on loopback takes

std::string url(const live::Server& server, const std::string& path, const char* scheme = "http") {
  return std::string(scheme) + "://" + server.bound_address() + path;
}

// A self-signed P-256 certificate whose subjectAltName is IP:<ip>, as PEM files in a fresh temporary directory.
struct SelfSigned {
  explicit SelfSigned(const std::string& ip) {
    static int counter = 0;
    dir = std::filesystem::temp_directory_path() /
          ("outpost-cli-tls-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
    std::filesystem::create_directories(dir);
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("outpost test"), -1, -1,
                               0);
    X509_set_issuer_name(cert, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, ("IP:" + ip).c_str());
    X509_add_ext(cert, san, -1);
    X509_EXTENSION_free(san);
    X509_sign(cert, key, EVP_sha256());
    BIO* cert_out = BIO_new_file(cert_file().c_str(), "w");
    PEM_write_bio_X509(cert_out, cert);
    BIO_free(cert_out);
    BIO* key_out = BIO_new_file(key_file().c_str(), "w");
    PEM_write_bio_PrivateKey(key_out, key, nullptr, nullptr, 0, nullptr, nullptr);
    BIO_free(key_out);
    X509_free(cert);
    EVP_PKEY_free(key);
  }
  ~SelfSigned() { std::filesystem::remove_all(dir); }
  std::string cert_file() const { return (dir / "cert.pem").string(); }
  std::string key_file() const { return (dir / "key.pem").string(); }
  std::filesystem::path dir;
};

// The message of the exception of type E that `call` throws, or "" when it throws none.
template <class E, class F>
std::string failure_of(F call) {
  try {
    call();
  } catch (const E& error) {
    return error.what();
  }
  return "";
}

// Answers every management request with its own method, path and Authorization header as JSON.
class EchoManagementHandler final : public http::Handler {
 public:
  std::unique_ptr<http::Call> start(http::Request request) override {
    http::Response response;
    response.headers.set("Content-Type", "application/json");
    nlohmann::ordered_json echo;
    echo["name"] = "echo";
    echo["method"] = std::string(http::method_name(request.method));
    echo["path"] = request.path;
    echo["authorization"] = std::string(request.headers.get("Authorization").value_or(""));
    response.body = echo.dump();
    return http::respond_now(std::move(response));
  }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(blocking_client)

BOOST_AUTO_TEST_CASE(basic_authorization_is_base64_of_user_colon_password) {
  BOOST_TEST(live::basic_authorization("admin", "s3cret:x") == "Basic YWRtaW46czNjcmV0Ong=");
  BOOST_TEST(live::basic_authorization("ci-token", "") == "Basic Y2ktdG9rZW46");
}

BOOST_AUTO_TEST_CASE(get_sends_host_and_headers_and_returns_status_headers_and_body, *utf::timeout(60)) {
  StubHandler handler;
  live::Server server(test_options(), handler);
  server.start();
  http::Headers headers;
  headers.set("Authorization", live::basic_authorization("admin", "pw"));
  const auto response =
      live::BlockingClient().request(http::Method::Get, url(server, "/hello?x=1"), headers, "", kPatience);
  BOOST_TEST(response.status == 200);
  BOOST_TEST(response.body == "hello /hello");
  BOOST_TEST(response.headers.get("Content-Type").value_or("") == "text/plain");
  const auto seen = handler.requests();
  BOOST_REQUIRE(seen.size() == 1u);
  BOOST_TEST(seen[0].query == "x=1");
  BOOST_TEST(seen[0].headers.get("Host").value_or("") == server.bound_address());
  BOOST_TEST(seen[0].headers.get("Authorization").value_or("") == "Basic YWRtaW46cHc=");
}

BOOST_AUTO_TEST_CASE(caller_headers_replace_the_defaults_and_keep_repeated_values, *utf::timeout(60)) {
  StubHandler handler;
  live::Server server(test_options(), handler);
  server.start();
  http::Headers headers;
  headers.set("Host", "registry.example:443");  // as a client behind a port forward would name the node
  headers.add("X-Repeat", "one");
  headers.add("X-Repeat", "two");
  live::BlockingClient().request(http::Method::Get, url(server, "/h"), headers, "", kPatience);
  const auto seen = handler.requests().at(0).headers;
  BOOST_TEST(seen.get_all("Host").size() == 1u);
  BOOST_TEST(seen.get("Host").value_or("") == "registry.example:443");
  const auto repeated = seen.get_all("X-Repeat");
  BOOST_REQUIRE(repeated.size() == 2u);
  BOOST_TEST(repeated[0] == "one");
  BOOST_TEST(repeated[1] == "two");
  BOOST_TEST(seen.get("User-Agent").value_or("") == "outpost/0.1.0");
}

BOOST_AUTO_TEST_CASE(a_body_is_sent_whole_with_its_length_and_json_by_default, *utf::timeout(60)) {
  StubHandler handler;
  live::Server server(test_options(), handler);
  server.start();
  const std::string body(300'000, 'j');
  const auto response = live::BlockingClient().request(http::Method::Put, url(server, "/upload"), {}, body, kPatience);
  BOOST_TEST(response.status == 201);
  BOOST_TEST(response.body.find("total=300000 hash=" + std::to_string(fnv(body))) != std::string::npos);
  BOOST_TEST(handler.requests().at(0).headers.get("Content-Type").value_or("") == "application/json");
}

BOOST_AUTO_TEST_CASE(an_error_status_is_an_answer_not_an_exception, *utf::timeout(60)) {
  StubHandler handler;
  live::Server server(test_options(), handler);
  server.start();
  const auto response = live::BlockingClient().request(http::Method::Get, url(server, "/api-error"), {}, "", kPatience);
  BOOST_TEST(response.status == 404);
  BOOST_TEST(response.body.find("NAME_UNKNOWN") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(an_answer_over_the_body_limit_is_refused, *utf::timeout(60)) {
  StubHandler handler;
  live::Server server(test_options(), handler);
  server.start();
  live::BlockingClient small(live::BlockingClientOptions{.max_body = 1000});
  const std::string message = failure_of<std::runtime_error>(
      [&] { small.request(http::Method::Get, url(server, "/stream?size=5000"), {}, "", kPatience); });
  BOOST_TEST(message.find("larger than 1000 bytes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(unusable_urls_are_invalid_arguments) {
  const live::BlockingClient client;
  for (const char* bad : {"ftp://example.com/", "http://user:pw@127.0.0.1:1/", "not a url", "http:///path"})
    BOOST_CHECK_THROW(client.request(http::Method::Get, bad, {}, "", kPatience), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(a_refused_connection_names_the_peer, *utf::timeout(60)) {
  std::string address;
  {
    asio::io_context context;
    tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    address = "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  }  // closed: nothing listens there now
  const std::string message = failure_of<std::runtime_error>(
      [&] { live::BlockingClient().request(http::Method::Get, "http://" + address + "/", {}, "", kPatience); });
  BOOST_TEST(message.find("cannot connect to " + address) != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_peer_that_never_answers_ends_in_a_timeout, *utf::timeout(60)) {
  // The kernel completes the TCP handshake for a listening socket even though nothing ever accepts or reads.
  asio::io_context context;
  tcp::acceptor acceptor(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  acceptor.listen();
  const std::string address = "127.0.0.1:" + std::to_string(acceptor.local_endpoint().port());
  const std::string message = failure_of<std::runtime_error>(
      [&] { live::BlockingClient().request(http::Method::Get, "http://" + address + "/", {}, "", milliseconds(300)); });
  BOOST_TEST(message.find("no answer from " + address + " within 300 ms") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(https_checks_the_certificate_against_the_trusted_set_and_the_host, *utf::timeout(60)) {
  SelfSigned right("127.0.0.1");
  SelfSigned wrong_host("10.9.9.9");
  StubHandler handler;
  auto options = test_options();
  options.tls_cert_file = right.cert_file();
  options.tls_key_file = right.key_file();
  live::Server server(options, handler);
  server.start();
  const std::string target = url(server, "/secure", "https");

  // The system store does not trust a self-signed test certificate.
  const std::string untrusted = failure_of<std::runtime_error>(
      [&] { live::BlockingClient().request(http::Method::Get, target, {}, "", kPatience); });
  BOOST_TEST(untrusted.find("TLS handshake failed with " + server.bound_address()) != std::string::npos);

  const auto trusted = live::BlockingClient(live::BlockingClientOptions{.ca_file = right.cert_file()})
                           .request(http::Method::Get, target, {}, "", kPatience);
  BOOST_TEST(trusted.status == 200);
  BOOST_TEST(trusted.body == "hello /secure");

  const auto insecure = live::BlockingClient(live::BlockingClientOptions{.insecure = true})
                            .request(http::Method::Get, target, {}, "", kPatience);
  BOOST_TEST(insecure.status == 200);

  // Trusted but issued for another address: the host check refuses it.
  auto other_options = test_options();
  other_options.tls_cert_file = wrong_host.cert_file();
  other_options.tls_key_file = wrong_host.key_file();
  live::Server other(other_options, handler);
  other.start();
  const std::string mismatch = failure_of<std::runtime_error>([&] {
    live::BlockingClient(live::BlockingClientOptions{.ca_file = wrong_host.cert_file()})
        .request(http::Method::Get, url(other, "/", "https"), {}, "", kPatience);
  });
  BOOST_TEST(mismatch.find("TLS handshake failed") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(the_http_transport_joins_the_registry_url_and_sends_admin_basic_credentials, *utf::timeout(60)) {
  EchoManagementHandler handler;
  live::Server server(test_options(), handler);
  server.start();
  CLI::App app{"outpost"};
  cli::ScopeMapCommand scope_map(app);
  app.parse("scope-map show --name ci-push --registry http://" + server.bound_address() + "/ --password pw",
            /*program_name_included=*/false);
  const auto transport = cli::http_transport(scope_map.connection(), std::string("pw"));
  cli::ManagementClient client(*transport);
  std::ostringstream out;
  scope_map.execute(client, out);
  const auto echo = nlohmann::json::parse(out.str());
  BOOST_TEST(echo["method"] == "GET");
  BOOST_TEST(echo["path"] == "/mgmt/v1/scopeMaps/ci-push");
  BOOST_TEST(echo["authorization"] == "Basic YWRtaW46cHc=");  // admin:pw, the default user
}

BOOST_AUTO_TEST_SUITE_END()
