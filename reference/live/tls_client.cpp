#include "reference/live/tls_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include <fstream>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace outpost::live {

namespace asio = boost::asio;
namespace beast = boost::beast;

TlsTrust::TlsTrust(std::string ca_file) : context_(asio::ssl::context::tls_client) {
  context_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  context_.set_verify_mode(asio::ssl::verify_peer);
  // A machine without a system store (a minimal container) can still trust its parent through ca_file alone.
  boost::system::error_code ignored;
  context_.set_default_verify_paths(ignored);
  described_ = "the system store";
  if (ca_file.empty()) return;
  // Checked here, not left to OpenSSL: its errors for a missing file or one without a certificate name neither.
  if (!std::ifstream(ca_file)) throw std::runtime_error("cannot read the CA bundle " + ca_file);
  boost::system::error_code error;
  context_.load_verify_file(ca_file, error);
  if (error)
    throw std::runtime_error("the CA bundle " + ca_file + " holds no usable PEM certificate (" + error.message() + ")");
  described_ += " and " + ca_file;
}

bool is_ip_literal(const std::string& host) {
  boost::system::error_code error;
  asio::ip::make_address(host, error);
  return !error;
}

namespace {
// Names the expected peer in the connection's verification parameters, so OpenSSL checks it during the handshake and
// says which check failed (a verify callback that refuses would leave the verdict at "ok").
bool expect_peer(SSL* ssl, const std::string& host) {
  if (is_ip_literal(host)) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) == 1;
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 && SSL_set1_host(ssl, host.c_str()) == 1;
}

std::string describe_failure(SSL* ssl, const boost::system::error_code& error, const TlsTrust& trust) {
  if (const long verdict = SSL_get_verify_result(ssl); verdict != X509_V_OK)
    return std::string("certificate verify failed: ") + X509_verify_cert_error_string(verdict) + " (trusted: " +
           trust.described() + ")";
  if (error.category() == asio::error::get_ssl_category() &&
      ERR_GET_REASON(static_cast<unsigned long>(error.value())) == SSL_R_WRONG_VERSION_NUMBER)
    return error.message() + " (the peer does not speak TLS here: is it a plain http endpoint?)";
  return error.message();
}
}  // namespace

asio::awaitable<std::string> tls_client_handshake(TlsStream& stream, const std::string& host, const TlsTrust& trust,
                                                  Nanoseconds timeout) {
  SSL* ssl = stream.native_handle();
  if (!expect_peer(ssl, host)) co_return "cannot check a certificate against the host name '" + host + "'";
  beast::get_lowest_layer(stream).expires_after(timeout);
  auto [error] = co_await stream.async_handshake(asio::ssl::stream_base::client, asio::as_tuple(asio::use_awaitable));
  if (!error) co_return std::string();
  co_return describe_failure(ssl, error, trust);
}

}  // namespace outpost::live
