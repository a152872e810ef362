#include "reference/live/live_http_client.h"

#include "reference/live/beast_verb.h"
#include "reference/live/tls_client.h"
#include "reference/live/use_tuple.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <span>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>

namespace outpost::live {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;

namespace {
constexpr size_t kPiece = 256 * 1024;
// A body kept in memory (no sink, or an error's) larger than this is a transport error, not an allocation without
// bound: the largest the parent sends there is a resync's inventory or a manifest, far below it. A sink takes any size.
constexpr uint64_t kMaxBodyInMemory = 64ull << 20;
// The read buffer holds the header and what came with it; bounded, so a chunk-size line without end is an error
// (http::error::buffer_overflow) rather than a buffer grown until the process is out of memory.
constexpr size_t kMaxReadBuffer = 1024 * 1024;
// Threads running exchanges. A sink does its work on them (hashing and writing what arrives, storing a small blob), so
// two let two transfers (the layers of one image, fetched at once) use two cores; more would only compete with the
// node's own threads on a small machine.
constexpr int kThreads = 2;

// Splits "host:port" ("[v6]:port" too); the port defaults to the scheme's.
std::pair<std::string, std::string> split_authority(const std::string& authority, const std::string& scheme) {
  std::string host = authority, port = scheme == "https" ? "443" : "80";
  if (!authority.empty() && authority.front() == '[') {
    const size_t close = authority.find(']');
    host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else if (const size_t colon = authority.rfind(':'); colon != std::string::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
  }
  return {host, port};
}

struct Failure {
  std::string what;
};

Failure failure(std::string_view step, const std::string& peer, const boost::system::error_code& error) {
  return Failure{std::string(step) + " " + peer + ": " + error.message()};
}

// One request and its response over a connected stream: beast::tcp_stream for http, TlsStream for https. Written once
// for both so the two cannot drift apart; for tcp_stream, get_lowest_layer is the stream itself, so the plain path
// compiles to what it was before TLS existed.
template <class Stream>
awaitable<http::ClientResponse> exchange_over(Stream& stream, http::ClientRequest& request,
                                              const std::shared_ptr<http::BodySink>& sink, const std::string& peer) {
  beast::tcp_stream& socket = beast::get_lowest_layer(stream);
  bhttp::request<bhttp::empty_body> header{to_verb(request.method), request.target, 11};
  header.set(bhttp::field::host, request.authority);
  header.set(bhttp::field::user_agent, "outpost-sync/0.1.0");
  for (const auto& [name, value] : request.headers.entries()) header.set(name, value);
  const uint64_t body_size = request.body ? request.body->size() : 0;
  if (request.body || request.method == http::Method::Put || request.method == http::Method::Post ||
      request.method == http::Method::Patch)
    header.content_length(body_size);
  bhttp::request_serializer<bhttp::empty_body> serializer(header);
  socket.expires_after(request.idle_timeout);
  auto [header_error, header_bytes] = co_await bhttp::async_write_header(stream, serializer, use_tuple);
  if (header_error) throw failure("sending to", peer, header_error);

  const auto piece_memory = std::make_unique_for_overwrite<char[]>(kPiece);  // not zero-filled: most bodies are small
  const std::span<char> piece(piece_memory.get(), kPiece);
  // The peer may answer before the whole body is sent: a refusal (a 413, a 507, a 401), after which it reads a
  // little more and closes. Its answer is then read rather than lost to a reset on a later write (RFC 9112 9.5: a
  // client "SHOULD monitor the network connection for an error response while it is transmitting"): sending stops
  // once an answer has begun to arrive, and a failed write still reads what arrived before it.
  uint64_t sent = 0;
  std::optional<Failure> send_failure;
  while (request.body && sent < body_size) {
    // (Plain TCP only: over TLS, bytes waiting may be the server's session tickets, not an answer.)
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      beast::error_code ignored;
      if (sent > 0 && socket.socket().available(ignored) > 0) break;
    }
    const size_t got = request.body->read(std::span<char>(piece.data(), piece.size()));
    if (got == 0) throw Failure{"request body ended early for " + peer};
    socket.expires_after(request.idle_timeout);
    auto [write_error, written] = co_await asio::async_write(stream, asio::buffer(piece.data(), got), use_tuple);
    if (write_error) {
      send_failure = failure("sending to", peer, write_error);
      break;
    }
    sent += got;
  }

  beast::flat_buffer buffer(kMaxReadBuffer);
  bhttp::response_parser<bhttp::buffer_body> parser;
  parser.body_limit(boost::none);
  if (request.method == http::Method::Head) parser.skip(true);
  socket.expires_after(request.idle_timeout);
  auto [read_error, read_bytes] = co_await bhttp::async_read_header(stream, buffer, parser, use_tuple);
  if (read_error) throw send_failure ? *send_failure : failure("reading from", peer, read_error);
  http::ClientResponse response;
  response.status = static_cast<int>(parser.get().result_int());
  // An answer before the whole body was sent is heard when it refuses; one that says it succeeded cannot be about
  // the request this client meant (a body it never finished), so that is the transport failure it is.
  if (request.body && sent < body_size && http::body_goes_to_sink(response.status))
    throw Failure{peer + " answered " + std::to_string(response.status) + " before the request body was sent whole"};
  for (const auto& field : parser.get()) response.headers.add(field.name_string(), std::string(field.value()));
  const bool to_sink = sink && http::body_goes_to_sink(response.status);
  const auto too_large = [&] {
    return Failure{"the response from " + peer + " is larger than " + std::to_string(kMaxBodyInMemory >> 20) +
                   " MiB, the most kept in memory"};
  };
  // (A HEAD's answer states the length of what a GET would send and carries none: a parent answering a HEAD for a
  // large blob it holds is no body to keep.)
  if (!to_sink && !parser.is_done() && request.method != http::Method::Head && parser.content_length() &&
      *parser.content_length() > kMaxBodyInMemory)
    throw too_large();
  const auto deliver = [&](const char* data, size_t size) {
    if (to_sink) {
      sink->write(std::string_view(data, size));
    } else {
      if (response.body.size() + size > kMaxBodyInMemory) throw too_large();
      response.body.append(data, size);
    }
  };
  if (!parser.is_done() && parser.content_length() && !parser.chunked()) {
    // A body of known length (every blob and manifest the parent serves) is read straight from the socket into
    // `piece`, 256 KiB at a time. Beast's parser would read at most the flat_buffer's spare capacity per read_some
    // (about 1 KiB after a header), so a 1 GiB blob took about a million recvmsg calls, each with its own timer
    // update and executor hops: a profile of a 1 GiB sync put 85% of the child's CPU there and 13% in SHA-256.
    uint64_t remaining = *parser.content_length();
    const size_t early = static_cast<size_t>(std::min<uint64_t>(buffer.size(), remaining));  // came with the header
    if (early > 0) {
      deliver(static_cast<const char*>(buffer.data().data()), early);
      buffer.consume(early);
      remaining -= early;
    }
    while (remaining > 0) {
      const size_t want = static_cast<size_t>(std::min<uint64_t>(piece.size(), remaining));
      socket.expires_after(request.idle_timeout);
      auto [body_error, got] = co_await asio::async_read(stream, asio::buffer(piece.data(), want), use_tuple);
      if (body_error) throw failure("reading the body from", peer, body_error);
      deliver(piece.data(), got);
      remaining -= got;
    }
  } else {
    while (!parser.is_done()) {  // chunked, or delimited by the end of the connection
      parser.get().body().data = piece.data();
      parser.get().body().size = piece.size();
      socket.expires_after(request.idle_timeout);
      auto [body_error, n] = co_await bhttp::async_read(stream, buffer, parser, use_tuple);
      if (body_error && body_error != bhttp::error::need_buffer)
        throw failure("reading the body from", peer, body_error);
      const size_t got = piece.size() - parser.get().body().size;
      if (got > 0) deliver(piece.data(), got);
    }
  }
  // The response is complete. A TLS connection closes without the close_notify exchange: waiting for the parent's
  // close_notify would hold every exchange for one more round trip and gain nothing (the body's length is known).
  beast::error_code ignored;
  socket.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return response;
}

awaitable<http::ClientResult> run_exchange(http::ClientRequest request, std::shared_ptr<http::BodySink> sink,
                                           TlsTrust& trust) {
  http::ClientResult result;
  auto executor = co_await asio::this_coro::executor;
  const std::string peer = request.scheme + "://" + request.authority;
  try {
    const bool tls = request.scheme == "https";
    if (!tls && request.scheme != "http") throw Failure{"only http:// and https:// parents are supported, not " + peer};
    const auto [host, port] = split_authority(request.authority, request.scheme);
    tcp::resolver resolver(executor);
    auto [resolve_error, endpoints] = co_await resolver.async_resolve(host, port, use_tuple);
    if (resolve_error) throw failure("resolving", peer, resolve_error);

    beast::tcp_stream stream(executor);
    stream.expires_after(request.idle_timeout);
    auto [connect_error, endpoint] = co_await stream.async_connect(endpoints, use_tuple);
    if (connect_error) throw failure("connecting to", peer, connect_error);

    if (!tls) {
      result.response = co_await exchange_over(stream, request, sink, peer);
    } else {
      TlsStream secured(std::move(stream), trust.context());
      const std::string refused = co_await tls_client_handshake(secured, host, trust, request.idle_timeout);
      if (!refused.empty()) throw Failure{"TLS handshake with " + peer + " failed: " + refused};
      result.response = co_await exchange_over(secured, request, sink, peer);
    }
  } catch (const Failure& failed) {
    result.transport_error = failed.what;
  } catch (const std::exception& error) {
    result.transport_error = std::string(error.what()) + " (" + peer + ")";
  }
  co_return result;
}
}  // namespace

struct LiveHttpClient::State {
  State(Executor& deliver, std::string ca_file) : deliver_on(deliver), trust(std::move(ca_file)) {}
  Executor& deliver_on;
  TlsTrust trust;  // read-only once built: shared by every https exchange
  asio::io_context context;
  asio::executor_work_guard<asio::io_context::executor_type> guard{context.get_executor()};
  std::vector<std::thread> threads;
};

LiveHttpClient::LiveHttpClient(Executor& deliver_on, std::string trusted_ca_file)
    : state_(std::make_unique<State>(deliver_on, std::move(trusted_ca_file))) {
  for (int i = 0; i < kThreads; ++i) state_->threads.emplace_back([state = state_.get()] { state->context.run(); });
}

LiveHttpClient::~LiveHttpClient() {
  state_->guard.reset();
  state_->context.stop();
  for (auto& thread : state_->threads)
    if (thread.joinable()) thread.join();
}

void LiveHttpClient::send(http::ClientRequest request, std::shared_ptr<http::BodySink> sink,
                          std::function<void(http::ClientResult)> done) {
  Executor& deliver = state_->deliver_on;
  // A strand per exchange: its stream's operations (Beast's timer included) never run on both threads at once, while
  // two exchanges do.
  asio::co_spawn(asio::make_strand(state_->context),
                 run_exchange(std::move(request), std::move(sink), state_->trust),
                 [&deliver, done = std::move(done)](std::exception_ptr error, http::ClientResult result) mutable {
                   if (error) result.transport_error = "exchange failed";
                   deliver.post([done = std::move(done), result = std::move(result)]() mutable {
                     done(std::move(result));
                   });
                 });
}

}  // namespace outpost::live
