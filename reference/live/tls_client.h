#pragma once
// The client side of TLS for a node talking to its parent (live_http_client.cpp): which certificates it trusts, and a
// handshake that checks the parent's certificate chains to one of them and names the host that was dialled. Inside
// reference/live only: Asio stays out of every other layer.
#include <string>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include "reference/common/clock.h"

namespace outpost::live {

using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

// What a client trusts: the system's store (OpenSSL's default paths, so SSL_CERT_FILE and SSL_CERT_DIR apply), plus
// the PEM bundle `ca_file` when one is given (a private CA that signed the parent). Built once; every connection shares
// it read-only. Throws std::runtime_error, naming the file, when the bundle cannot be read or holds no certificate:
// a node must not start with a trust setting it cannot honour.
class TlsTrust {
 public:
  explicit TlsTrust(std::string ca_file);
  boost::asio::ssl::context& context() { return context_; }
  // "the system store" or "the system store and <file>", for error messages.
  const std::string& described() const { return described_; }

 private:
  boost::asio::ssl::context context_;
  std::string described_;
};

// Runs the client handshake on `stream` (already connected to `host`) with peer verification: the chain must reach a
// certificate `trust` holds, and the leaf must name `host` (a DNS name, or an IP address in an IP SAN). SNI carries
// `host` when it is a name (RFC 6066 forbids IP literals there). Returns "" on success, else why it failed, with
// OpenSSL's verdict on the certificate when that was the cause.
boost::asio::awaitable<std::string> tls_client_handshake(TlsStream& stream, const std::string& host,
                                                         const TlsTrust& trust, Nanoseconds timeout);

// Whether `host` is an IP address rather than a name: such a host is checked against IP SANs and never sent as SNI.
bool is_ip_literal(const std::string& host);

}  // namespace outpost::live
