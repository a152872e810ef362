// HTTPS: the same server with a certificate, made here with OpenSSL so the test needs no files of its own.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <boost/asio/ssl.hpp>
#include <boost/test/unit_test.hpp>
#include <filesystem>

#include "tests/unit/live/test_server_support.h"

using namespace outpost;
using namespace outpost::live::test;
namespace utf = boost::unit_test;

namespace {

// A self-signed P-256 certificate for "localhost", written as PEM files in a fresh temporary directory.
struct SelfSignedFiles {
  SelfSignedFiles() {
    dir = std::filesystem::temp_directory_path() / ("outpost-live-tls-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    EVP_PKEY* key = EVP_EC_gen("P-256");
    X509* cert = X509_new();
    X509_set_version(cert, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
    X509_gmtime_adj(X509_getm_notBefore(cert), 0);
    X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
    X509_set_pubkey(cert, key);
    X509_NAME* name = X509_get_subject_name(cert);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
    X509_set_issuer_name(cert, name);
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
  ~SelfSignedFiles() { std::filesystem::remove_all(dir); }
  std::string cert_file() const { return (dir / "cert.pem").string(); }
  std::string key_file() const { return (dir / "key.pem").string(); }
  std::filesystem::path dir;
};

}  // namespace

BOOST_AUTO_TEST_CASE(https_serves_requests_with_keep_alive, *utf::timeout(30)) {
  SelfSignedFiles files;
  StubHandler handler;
  auto options = test_options();
  options.tls_cert_file = files.cert_file();
  options.tls_key_file = files.key_file();
  live::Server server(options, handler);
  server.start();

  asio::io_context context;
  asio::ssl::context tls(asio::ssl::context::tls_client);
  tls.set_verify_mode(asio::ssl::verify_none);  // self-signed: this test is about the transport, not trust
  asio::ssl::stream<tcp::socket> stream(context, tls);
  stream.next_layer().connect(endpoint_of(server.bound_address()));
  stream.handshake(asio::ssl::stream_base::client);
  beast::flat_buffer buffer;
  for (const char* target : {"/one", "/stream?size=3000000"}) {
    bhttp::request<bhttp::empty_body> request(bhttp::verb::get, target, 11);
    request.set(bhttp::field::host, "localhost");
    bhttp::write(stream, request);
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(boost::none);
    bhttp::read(stream, buffer, parser);
    BOOST_TEST(parser.get().result_int() == 200);
    if (std::string_view(target) == "/one") BOOST_TEST(parser.get().body() == "hello /one");
    else BOOST_TEST(fnv(parser.get().body()) == fnv(pattern(3000000)));
  }
  const auto requests = handler.requests();
  BOOST_REQUIRE(requests.size() == 2u);
  BOOST_TEST(requests[0].remote_address == requests[1].remote_address);
}

BOOST_AUTO_TEST_CASE(missing_tls_files_fail_at_construction) {
  StubHandler handler;
  auto options = test_options();
  options.tls_cert_file = "does-not-exist.pem";
  options.tls_key_file = "does-not-exist.key";
  BOOST_CHECK_THROW(live::Server(options, handler), std::exception);
}

BOOST_AUTO_TEST_CASE(unusable_listen_addresses_fail_at_construction) {
  StubHandler handler;
  auto options = test_options();
  options.listen = "no-port-here";
  BOOST_CHECK_THROW(live::Server(options, handler), std::exception);
  live::Server first(test_options(), handler);
  options.listen = first.bound_address();  // already taken
  BOOST_CHECK_THROW(live::Server(options, handler), std::exception);
}
