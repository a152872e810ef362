#include "reference/live/blocking_client.h"

#include "reference/live/beast_verb.h"
#include "reference/live/tls_client.h"

// Why a coroutine run by a private io_context rather than Beast's blocking calls: blocking reads have no deadline, and a
// command must not hang on a peer that accepts the connection and then says nothing. Running the exchange with
// io_context::run_for() puts one deadline over every step (resolve included); when it passes, destroying the context
// destroys the coroutine frame, which closes the socket.
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <boost/url/parse.hpp>
#include <algorithm>
#include <optional>
#include <stdexcept>
#include <variant>
#include <vector>

namespace outpost::live {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;

namespace {

struct Peer {
  bool tls = false;
  std::string host;         // for DNS, SNI and certificate checks: no brackets, no percent-escapes
  std::string port;         // "443" when the URL names none
  std::string host_header;  // as the URL spells it, with the port only when the URL has one
  std::string target;       // path and query, percent-encoded
  std::string name() const { return host_header.empty() ? host : host_header; }
};

Peer parse_url(std::string_view url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed) throw std::invalid_argument("'" + std::string(url) + "' is not a URL");
  const boost::urls::url_view& view = *parsed;
  Peer peer;
  if (view.scheme_id() == boost::urls::scheme::https) peer.tls = true;
  else if (view.scheme_id() != boost::urls::scheme::http)
    throw std::invalid_argument("'" + std::string(url) + "' is neither an http:// nor an https:// URL");
  if (view.host_type() == boost::urls::host_type::none || view.encoded_host().empty())
    throw std::invalid_argument("'" + std::string(url) + "' names no host");
  if (view.has_userinfo())  // credentials in a URL end up in shell history and logs; headers carry them instead
    throw std::invalid_argument("'" + std::string(url) + "' carries credentials; pass them separately");
  peer.host = view.host_address();
  peer.port = view.has_port() && !view.port().empty() ? std::string(view.port()) : (peer.tls ? "443" : "80");
  peer.host_header = std::string(view.encoded_host_and_port());
  peer.target = std::string(view.encoded_target());
  if (peer.target.empty() || peer.target.front() != '/') peer.target.insert(0, "/");
  return peer;
}

// Where the exchange is, so a failure says "cannot connect to ..." rather than a bare errno text, and a timeout says
// what it was waiting for.
struct Step {
  const char* failure = "cannot talk to";  // "<failure> <peer>: <cause>"
  const char* waiting = "starting";        // "no answer from <peer> within 30 s (<waiting>)"
  void enter(const char* failure_text, const char* waiting_text) {
    failure = failure_text;
    waiting = waiting_text;
  }
};

std::string tls_failure_detail(SSL* ssl) {
  const long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK) return "";
  return std::string(" (") + X509_verify_cert_error_string(result) + ")";
}

awaitable<http::ClientResponse> exchange(const Peer& peer, const BlockingClientOptions& options,
                                         bhttp::request<bhttp::string_body> request, Step& step) {
  auto executor = co_await asio::this_coro::executor;
  step.enter("cannot resolve", "resolving its name");
  tcp::resolver resolver(executor);
  const auto endpoints = co_await resolver.async_resolve(peer.host, peer.port, use_awaitable);

  tcp::socket socket(executor);
  step.enter("cannot connect to", "connecting");
  co_await asio::async_connect(socket, endpoints, use_awaitable);

  const bool head = request.method() == bhttp::verb::head;
  auto read_answer = [&](auto& stream) -> awaitable<http::ClientResponse> {
    step.enter("cannot send the request to", "sending the request");
    co_await bhttp::async_write(stream, request, use_awaitable);
    step.enter("no complete answer from", "waiting for the answer");
    beast::flat_buffer buffer;
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(options.max_body);
    parser.skip(head);
    co_await bhttp::async_read(stream, buffer, parser, use_awaitable);
    http::ClientResponse response;
    response.status = static_cast<int>(parser.get().result_int());
    for (const auto& field : parser.get()) response.headers.add(field.name_string(), std::string(field.value()));
    response.body = std::move(parser.get().body());
    co_return response;
  };

  if (!peer.tls) co_return co_await read_answer(socket);

  step.enter("cannot load trusted certificates for", "loading trusted certificates");
  asio::ssl::context tls(asio::ssl::context::tls_client);
  if (options.insecure) {
    tls.set_verify_mode(asio::ssl::verify_none);
  } else {
    tls.set_verify_mode(asio::ssl::verify_peer);
    if (options.ca_file.empty()) tls.set_default_verify_paths();
    else tls.load_verify_file(options.ca_file);
  }
  asio::ssl::stream<tcp::socket> stream(std::move(socket), tls);
  if (!options.insecure) stream.set_verify_callback(asio::ssl::host_name_verification(peer.host));
  // SNI names hosts only; RFC 6066 forbids IP literals in it.
  if (!is_ip_literal(peer.host)) SSL_set_tlsext_host_name(stream.native_handle(), peer.host.c_str());
  step.enter("TLS handshake failed with", "in the TLS handshake");
  try {
    co_await stream.async_handshake(asio::ssl::stream_base::client, use_awaitable);
  } catch (const boost::system::system_error& error) {
    throw std::runtime_error(std::string("TLS handshake failed with ") + peer.name() + ": " + error.code().message() +
                             tls_failure_detail(stream.native_handle()));
  }
  // No TLS close_notify exchange afterwards: the answer is complete, and waiting for the peer's close_notify would
  // only let a slow peer hold the command.
  co_return co_await read_answer(stream);
}

std::string seconds_text(std::chrono::milliseconds timeout) {
  const auto ms = timeout.count();
  return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

}  // namespace

BlockingClient::BlockingClient(BlockingClientOptions options) : options_(std::move(options)) {}

http::ClientResponse BlockingClient::request(http::Method method, std::string_view url, const http::Headers& headers,
                                             std::string_view body, std::chrono::milliseconds timeout) const {
  const Peer peer = parse_url(url);
  bhttp::request<bhttp::string_body> request(to_verb(method), peer.target, 11);
  request.set(bhttp::field::host, peer.host_header);
  request.set(bhttp::field::user_agent, options_.user_agent);
  // The caller's headers replace these defaults, and keep every value of a repeated header.
  std::vector<std::string_view> replaced;
  for (const auto& [name, value] : headers.entries()) {
    const bool first = std::none_of(replaced.begin(), replaced.end(),
                                     [&](std::string_view seen) { return beast::iequals(seen, name); });
    if (first) {
      request.erase(name);
      replaced.push_back(name);
    }
    request.insert(name, value);
  }
  if (!body.empty() && !headers.has("Content-Type")) request.set(bhttp::field::content_type, "application/json");
  request.body() = std::string(body);
  request.keep_alive(false);  // one request per connection
  if (!body.empty() || method == http::Method::Post || method == http::Method::Put || method == http::Method::Patch)
    request.prepare_payload();

  asio::io_context context;
  Step step;
  std::optional<std::variant<http::ClientResponse, std::exception_ptr>> outcome;
  asio::co_spawn(context, exchange(peer, options_, std::move(request), step),
                 [&](std::exception_ptr error, http::ClientResponse response) {
                   if (error) outcome.emplace(error);
                   else outcome.emplace(std::move(response));
                 });
  context.run_for(timeout);
  if (!outcome)
    throw std::runtime_error("no answer from " + peer.name() + " within " + seconds_text(timeout) + " (" + step.waiting +
                             ")");
  if (auto* response = std::get_if<http::ClientResponse>(&*outcome)) return std::move(*response);
  try {
    std::rethrow_exception(std::get<std::exception_ptr>(*outcome));
  } catch (const boost::system::system_error& error) {
    std::string detail = error.code().message();
    if (error.code() == bhttp::error::body_limit)
      detail = "the answer is larger than " + std::to_string(options_.max_body) + " bytes";
    throw std::runtime_error(std::string(step.failure) + " " + peer.name() + ": " + detail);
  }
}

std::string basic_authorization(std::string_view user, std::string_view password) {
  const std::string plain = std::string(user) + ":" + std::string(password);
  std::string encoded(4 * ((plain.size() + 2) / 3), '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(encoded.data()),
                                      reinterpret_cast<const unsigned char*>(plain.data()), static_cast<int>(plain.size()));
  encoded.resize(static_cast<size_t>(written));
  return "Basic " + encoded;
}

}  // namespace outpost::live
