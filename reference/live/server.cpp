#include "reference/live/server.h"

// Why C++20 coroutines (asio::awaitable) rather than chains of Beast callbacks: one request is a sequence of steps
// (wait for the first byte, read the header, feed body pieces to the Call, pull and write response pieces, close with a
// linger) whose state would otherwise be spread over a dozen handlers; as a coroutine it reads top to bottom and its
// state lives in one frame. Asio recycles awaitable frames per thread, so the steady-state cost per request is a few
// frame reuses, not heap allocations. Each connection's coroutine runs on its own strand, so a connection's state is
// only ever touched by one thread at a time while N threads share the io_context. Measured on 2 cores with wrk -t2 -c32:
// ~52-57k small GET/s with request logging off, ~39k with a JSON log line per request to a file; a 1 GiB download and a
// 1 GiB upload each ran with the process's peak RSS under 8 MB.
#include <algorithm>
#include <array>
#include <atomic>
#include <charconv>
#include <cmath>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "reference/common/error.h"
#include "reference/common/header_list.h"
#include "reference/common/log.h"
#include "reference/live/use_tuple.h"

namespace outpost::live {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using asio::awaitable;

namespace {

constexpr size_t kFirstRead = 8 * 1024;             // what we ask for while waiting for the next request
constexpr size_t kBodyPiece = 256 * 1024;           // request body handed to Call::on_body
// The read buffer holds a header (header_limit) and what arrived after it: a read is at most 64 KiB. Bounded, so a
// chunk-size line or trailer without end (which Beast's header_limit does not count) is a 400 once it fills the
// buffer (http::error::buffer_overflow), not a buffer grown until the process is out of memory.
constexpr size_t kBufferSlack = 1024 * 1024;
constexpr size_t kResponsePiece = 1024 * 1024;      // response body pulled from a BodySource
constexpr auto kLinger = std::chrono::seconds(2);   // reading what a client still sends after we answered early
constexpr auto kTlsShutdown = std::chrono::seconds(1);

// "HOST:PORT", "[v6]:PORT" or ":PORT" (all interfaces).
std::pair<std::string, std::string> split_host_port(const std::string& address) {
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos || colon + 1 == address.size())
    throw std::runtime_error("listen address '" + address + "' is not HOST:PORT");
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty()) host = "0.0.0.0";
  // The resolver takes a numeric service modulo 65536 (99999 listened on 34463): a port is checked here instead.
  const std::string port = address.substr(colon + 1);
  if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos || std::stoul(port) > 65535)
    throw std::runtime_error("listen address '" + address + "': the port must be a number from 0 to 65535");
  return {host, port};
}

std::string format_endpoint(const tcp::endpoint& endpoint) {
  const std::string ip = endpoint.address().to_string();
  const std::string port = std::to_string(endpoint.port());
  return endpoint.address().is_v6() ? "[" + ip + "]:" + port : ip + ":" + port;
}

bool iequals(std::string_view a, std::string_view b) { return beast::iequals(a, b); }

// A request whose framing cannot be trusted, refused before any handler sees it (and the connection closed):
// - RFC 9112 6.3: a Transfer-Encoding that does not end with chunked leaves the body's end unknown. Read as if there
//   were no body, its bytes were taken for the next request on the connection: a request hidden in a body ran.
// - 6.1: a coding other than chunked (gzip, ...) is not one this server decodes: 501, rather than the coded bytes
//   stored as they are.
// - 3.2: an HTTP/1.1 request carries exactly one Host; with two, the login-server guard and a proxy in front could
//   each read another.
std::optional<ApiError> framing_refusal(const bhttp::request_header<>& header) {
  // A method no route serves (OPTIONS, TRACE, PROPFIND, ...) is answered here, by its name (RFC 9110 15.6.2: 501 for
  // a method the server does not support for any resource); the routes' 405s called it "OTHER". (Not framing, but
  // refused before routing as framing is, and closed after: a body may follow that nothing will read.)
  if (http::parse_method(header.method_string()) == http::Method::Other)
    return ApiError(501, "UNSUPPORTED",
                    "method " + std::string(header.method_string()).substr(0, 32) +
                        " is not implemented by this server; it serves GET, HEAD, POST, PUT, PATCH and DELETE");
  std::vector<std::string> codings;
  size_t hosts = 0;
  for (const auto& field : header) {
    if (iequals(field.name_string(), "Host")) ++hosts;
    if (!iequals(field.name_string(), "Transfer-Encoding")) continue;
    http::for_each_list_element(field.value(), [&](std::string_view coding) { codings.emplace_back(coding); });
  }
  if (!codings.empty()) {
    std::string listed;
    for (const std::string& coding : codings) listed += (listed.empty() ? "" : ", ") + coding;
    const bool chunked_last = iequals(codings.back(), "chunked");
    const bool chunked_before =
        std::any_of(codings.begin(), codings.end() - 1, [](const std::string& c) { return iequals(c, "chunked"); });
    if (!chunked_last || chunked_before)
      return ApiError(400, "INVALID_REQUEST",
                      "Transfer-Encoding '" + listed +
                          "' does not end with one chunked: the body's end cannot be found (RFC 9112 6.3)");
    if (codings.size() > 1)
      return ApiError(501, "UNSUPPORTED", "Transfer-Encoding '" + listed + "': only chunked is supported");
  }
  if (header.version() >= 11 && hosts != 1)
    return ApiError(400, "INVALID_REQUEST",
                    hosts == 0 ? std::string("an HTTP/1.1 request needs a Host header (RFC 9112 3.2)")
                               : "a request carries one Host header, this one " + std::to_string(hosts) +
                                     " (RFC 9112 3.2)");
  return std::nullopt;
}

// An exception out of registry code becomes an OCI-shaped JSON error: an ApiError keeps its status and body, anything
// else is a 500 that does not leak the exception text (the log has it).
http::Response error_response(std::exception_ptr error) {
  http::Response response;
  try {
    std::rethrow_exception(error);
  } catch (const ApiError& api) {
    response.status = api.status();
    response.body = api.body();
  } catch (...) {
    response.status = 500;
    response.body = ApiError(500, "UNKNOWN", "internal server error").body();
  }
  response.headers.set("Content-Type", "application/json");
  return response;
}

std::string describe(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown exception";
  }
}

// The outpost_http_* families, looked up once per server.
struct Instruments {
  explicit Instruments(metrics::Registry& registry)
      : requests(registry.counter("outpost_http_requests_total", "HTTP requests answered.", {"route", "method", "status"})),
        bytes_in(registry.counter("outpost_http_request_bytes_total", "Request body bytes received.", {"route"})),
        bytes_out(registry.counter("outpost_http_response_bytes_total", "Response body bytes sent.", {"route"})),
        duration(registry.histogram("outpost_http_request_duration_seconds",
                                    "Time from a request's first byte to the end of its response.", {"route"},
                                    metrics::default_latency_buckets())),
        connections(registry.gauge("outpost_http_open_connections", "Client connections currently open.")) {}
  metrics::CounterFamily& requests;
  metrics::CounterFamily& bytes_in;
  metrics::CounterFamily& bytes_out;
  metrics::HistogramFamily& duration;
  metrics::GaugeFamily& connections;
};

// What the server tracks of a connection, whatever its stream type. Members are touched only on the connection's strand.
class Connection {
 public:
  explicit Connection(asio::any_io_executor executor) : executor_(std::move(executor)) {}
  virtual ~Connection() = default;
  const asio::any_io_executor& executor() const { return executor_; }
  // Closes the socket: a pending operation ends with an error and the connection's coroutine winds down.
  virtual void close_socket() = 0;
  bool idle = true;  // waiting for a request (or for a TLS handshake), not serving one

 private:
  asio::any_io_executor executor_;
};

// Everything a server shares between its threads and connections.
struct ServerState {
  ServerState(Server::Options opts, http::Handler& h)
      : options(std::move(opts)), handler(h), control(asio::make_strand(ioc)), acceptor(control), drain_timer(control) {
    if (options.metrics) instruments.emplace(*options.metrics);
    if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
      tls.emplace(asio::ssl::context::tls_server);
      tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                       asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
      tls->use_certificate_chain_file(options.tls_cert_file);
      tls->use_private_key_file(options.tls_key_file, asio::ssl::context::pem);
    }
    const auto [host, port] = split_host_port(options.listen);
    tcp::resolver resolver(ioc);
    const auto results = resolver.resolve(host, port, tcp::resolver::passive | tcp::resolver::numeric_service);
    const tcp::endpoint endpoint = results.begin()->endpoint();
    // Asio's own exception names its source file; a user needs the address and the reason.
    boost::system::error_code ec;
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("cannot listen on " + options.listen + ": " + ec.message());
    bound = format_endpoint(acceptor.local_endpoint());
  }

  awaitable<void> accept_loop();
  template <class Stream>
  void start_session(Stream stream, std::string remote);
  void add(const std::shared_ptr<Connection>& connection);
  void remove(Connection* connection);
  void begin_stop();

  Server::Options options;
  http::Handler& handler;
  asio::io_context ioc;
  asio::strand<asio::io_context::executor_type> control;  // acceptor, drain timer
  tcp::acceptor acceptor;
  asio::steady_timer drain_timer;
  std::optional<asio::ssl::context> tls;
  std::optional<Instruments> instruments;
  std::string bound;
  std::atomic<bool> stopping{false};

  std::mutex connections_mutex;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;

  std::mutex threads_mutex;
  std::vector<std::thread> threads;
  bool started = false;
};

template <class Stream>
constexpr bool kIsTls = !std::is_same_v<Stream, beast::tcp_stream>;

// One client connection: a loop of requests over one stream (plain TCP or TLS), run as a coroutine on its strand.
template <class Stream>
class Session final : public Connection, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(ServerState& server, Stream stream, std::string remote)
      : Connection(stream.get_executor()),
        server_(server),
        stream_(std::move(stream)),
        remote_(std::move(remote)),
        buffer_(server.options.header_limit + kBufferSlack) {}

  static awaitable<void> run(std::shared_ptr<Session> self) {
    try {
      co_await self->serve();
    } catch (...) {
      log::error("connection failed", {{"error", describe(std::current_exception())}, {"remote", self->remote_}});
    }
    self->lowest().close();
    self->server_.remove(self.get());
  }

  void close_socket() override { lowest().close(); }

 private:
  struct Outcome {
    bool keep_alive = false;
    bool unread_body = false;  // the client may still be sending: linger before closing
  };
  struct Written {
    bool ok = true;
    bool source_failed_first = false;  // the body source threw before the header went out
    uint64_t body_bytes = 0;
  };

  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  awaitable<void> serve() {
    if constexpr (kIsTls<Stream>) {
      lowest().expires_after(server_.options.read_timeout);
      auto [ec] = co_await stream_.async_handshake(asio::ssl::stream_base::server, use_tuple);
      if (ec) co_return;
    }
    bool first = true;
    bool linger = false;
    for (;;) {
      if (buffer_.size() == 0) {
        idle = true;
        if (server_.stopping) break;
        lowest().expires_after(server_.options.idle_timeout);
        auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(kFirstRead), use_tuple);
        idle = false;
        if (ec) break;
        buffer_.commit(n);
      }
      idle = false;
      if (!kIsTls<Stream> && first && static_cast<const unsigned char*>(buffer_.data().data())[0] == 0x16) {
        co_await refuse_tls();
        co_return;
      }
      first = false;
      const Outcome outcome = co_await serve_one();
      if (!outcome.keep_alive || server_.stopping) {
        linger = outcome.unread_body;
        break;
      }
    }
    co_await close_gracefully(linger);
  }

  // A TLS ClientHello (first byte 0x16, a handshake record) on the plain-HTTP port. Clients that try HTTPS first and
  // fall back to HTTP (skopeo, docker with insecure registries) must fail fast, so answer in plain text and close now:
  // Go's TLS client even recognises the "HTTP/" reply and says the server speaks HTTP.
  awaitable<void> refuse_tls() {
    static constexpr std::string_view kHeader =
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 40\r\nConnection: close\r\n\r\n";
    static constexpr std::string_view kBody = "This port speaks plain HTTP, not HTTPS.\n";
    static_assert(kBody.size() == 40);
    const std::array<asio::const_buffer, 2> reply{asio::buffer(kHeader.data(), kHeader.size()),
                                                  asio::buffer(kBody.data(), kBody.size())};
    lowest().expires_after(server_.options.write_timeout);
    co_await asio::async_write(stream_, reply, use_tuple);
    log::write(log::Level::Debug, "refused TLS on plain HTTP port", {{"remote", remote_}});
  }

  awaitable<void> close_gracefully(bool linger) {
    if constexpr (kIsTls<Stream>) {
      lowest().expires_after(kTlsShutdown);
      co_await stream_.async_shutdown(use_tuple);
    } else {
      beast::error_code ec;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ec);
      // Closing with unread input makes the kernel send a reset, which can destroy the response we just sent before
      // the client reads it. So after answering early (a refused upload) read and drop what still comes, briefly.
      if (linger && !ec) {
        lowest().expires_after(kLinger);
        for (;;) {
          buffer_.consume(buffer_.size());
          auto [read_ec, n] = co_await stream_.async_read_some(buffer_.prepare(64 * 1024), use_tuple);
          if (read_ec) break;
        }
      }
    }
    lowest().close();
  }

  awaitable<Outcome> serve_one() {
    const auto started = std::chrono::steady_clock::now();
    const auto& options = server_.options;
    bhttp::request_parser<bhttp::buffer_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(options.header_limit));
    parser.body_limit(boost::none);  // the Call decides how much body it accepts, not Beast's 1 MiB default

    lowest().expires_after(options.read_timeout);
    auto [read_ec, header_bytes] = co_await bhttp::async_read_header(stream_, buffer_, parser, use_tuple);
    if (read_ec) co_return co_await reject_malformed(read_ec, started, reads_as_head(parser));

    const auto& header = parser.get();
    const bool head = header.method() == bhttp::verb::head;
    if (auto refusal = framing_refusal(header)) co_return co_await reject(std::move(*refusal), started, head);
    const std::string_view method_text = header.method_string();
    const http::Method method = http::parse_method(method_text);
    const std::string_view target = header.target();
    const std::string_view method_label = http::method_name(method);
    uint64_t bytes_in = 0;
    bool stopped_reading = false;
    bool body_unread = !parser.is_done();  // until the body loop says otherwise
    http::Response response;
    try {
      std::unique_ptr<http::Call> call;
      {
        http::Request request;
        request.method = method;
        request.target = target;
        // RFC 9112 3.2.2: a target in absolute form names the host, and the Host field is then ignored; the handlers
        // read the origin form and the Host it names, as for any request.
        const auto absolute = http::absolute_target(target);
        if (absolute) request.target = absolute->origin_form;
        const std::string_view origin_form = request.target;
        const size_t question = origin_form.find('?');
        request.path = http::percent_decode(origin_form.substr(0, question));
        if (question != std::string_view::npos) request.query = origin_form.substr(question + 1);
        for (const auto& field : header) request.headers.add(field.name_string(), std::string(field.value()));
        if (absolute) request.headers.set("Host", std::string(absolute->authority));
        if (const auto length = parser.content_length()) request.content_length = *length;
        request.remote_address = remote_;
        call = server_.handler.start(std::move(request));
      }
      // A client that waits for "100 Continue" before its body gets the decided answer instead (http::Call::decided):
      // it sends nothing more, and the connection closes after the answer.
      const bool awaits_continue = iequals(header[bhttp::field::expect], "100-continue");
      if (!parser.is_done() && awaits_continue && call->decided()) stopped_reading = true;
      if (!parser.is_done() && !stopped_reading) {
        if (awaits_continue) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          lowest().expires_after(options.write_timeout);
          auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(kContinue.data(), kContinue.size()), use_tuple);
          if (ec) co_return Outcome{};
        }
        const auto piece = std::make_unique<char[]>(kBodyPiece);
        const auto length = parser.content_length();
        if (length && !parser.chunked()) {
          // A Content-Length body is read straight from the socket into the piece, up to 256 KiB per read: no copy
          // through the parser's buffer and no 8 KiB reads (which cost a syscall, a timer and a wake-up each).
          uint64_t remaining = *length;
          while (remaining > 0) {
            const size_t want = static_cast<size_t>(std::min<uint64_t>(remaining, kBodyPiece));
            size_t got = 0;
            if (buffer_.size() > 0) {  // what arrived with the header comes first
              got = asio::buffer_copy(asio::buffer(piece.get(), want), buffer_.data());
              buffer_.consume(got);
            } else {
              lowest().expires_after(options.read_timeout);
              auto [ec, n] = co_await stream_.async_read_some(asio::buffer(piece.get(), want), use_tuple);
              if (ec) {
                log::warn("request body read failed", {{"method", method_text}, {"target", target},
                                                       {"error", ec.message()}, {"remote", remote_},
                                                       {"bytes_in", bytes_in}});
                co_return Outcome{};  // the client is gone or broken: no one to answer
              }
              got = n;
            }
            remaining -= got;
            bytes_in += got;
            if (got > 0 && !call->on_body(std::string_view(piece.get(), got))) break;
          }
          body_unread = remaining > 0;
          stopped_reading = body_unread;
        } else {
          while (!parser.is_done()) {
            parser.get().body().data = piece.get();
            parser.get().body().size = kBodyPiece;
            lowest().expires_after(options.read_timeout);
            auto [ec, n] = co_await bhttp::async_read(stream_, buffer_, parser, use_tuple);
            if (ec && ec != bhttp::error::need_buffer) {
              log::warn("request body read failed",
                        {{"method", method_text}, {"target", target}, {"error", ec.message()}, {"remote", remote_},
                         {"bytes_in", bytes_in}});
              call.reset();  // what it started is abandoned before the answer (an upload session is cancelled)
              // A chunked body that is not HTTP (a bad chunk size) is answered 400; a client gone is not.
              co_return co_await reject_malformed(ec, started, head);
            }
            const size_t got = kBodyPiece - parser.get().body().size;
            bytes_in += got;
            if (got > 0 && !call->on_body(std::string_view(piece.get(), got))) {
              stopped_reading = !parser.is_done();
              break;
            }
          }
          body_unread = !parser.is_done();
        }
      }
      if (call->asynchronous()) {
        response = co_await finish_later(std::move(call));
      } else {
        response = call->finish();
      }
    } catch (...) {
      const auto error = std::current_exception();
      response = error_response(error);
      // An ApiError under 500 is an ordinary answer (404, 401...), already visible in the request line.
      if (response.status >= 500)
        log::error("handler failed", {{"method", method_text}, {"target", target}, {"error", describe(error)},
                                      {"remote", remote_}});
      stopped_reading = body_unread;
    }
    const std::string route = response.route.empty() ? "other" : response.route;

    const auto connection_header = response.headers.get("Connection");
    bool keep_alive = header.keep_alive() && !body_unread && !server_.stopping &&
                      !(connection_header && iequals(*connection_header, "close"));
    Written written = co_await write_response(response, head, header.version(), keep_alive);
    if (written.source_failed_first) {
      // The body source failed before anything was sent: the client can still get a proper 500.
      response = error_response(std::make_exception_ptr(std::runtime_error("body source failed")));
      keep_alive = false;  // the source's state is unknown; start afresh on a new connection
      written = co_await write_response(response, head, header.version(), keep_alive);
    }
    record(method_text, method_label, target, response.status, route, bytes_in, written.body_bytes, started);
    co_return Outcome{written.ok && keep_alive, stopped_reading};
  }

  // Waits, without holding a thread, for a call that answers later (http::Call::asynchronous()). The call may respond
  // from any thread. The answer is handed over under a mutex and the wait is a timer on this connection's strand that
  // the responder cancels through the strand: only plain posts cross threads, and the coroutine is resumed by Asio's
  // own timer completion, never by a foreign thread. The call goes as soon as it has its `respond` (which must not
  // need it, http.h): a parent holds a child's long poll for minutes, and the request and body the call kept would
  // be held all that time for nothing.
  awaitable<http::Response> finish_later(std::unique_ptr<http::Call> call) {
    struct Pending {
      explicit Pending(const asio::any_io_executor& executor) : timer(executor) {}
      std::mutex mutex;
      std::optional<http::Response> response;
      asio::steady_timer timer;
    };
    auto pending = std::make_shared<Pending>(executor());
    pending->timer.expires_at(asio::steady_timer::time_point::max());
    call->finish_async([pending](http::Response response) {
      {
        std::lock_guard lock(pending->mutex);
        pending->response = std::move(response);
      }
      asio::post(pending->timer.get_executor(), [pending] { pending->timer.cancel(); });
    });
    call.reset();
    for (;;) {
      {
        std::lock_guard lock(pending->mutex);
        if (pending->response) co_return std::move(*pending->response);
      }
      // The cancel is posted to this strand, which is busy running us now: it cannot run before this wait starts.
      co_await pending->timer.async_wait(use_tuple);
    }
  }

  // Whether a request whose header could not be parsed is a HEAD: Beast names the method once it has the whole start
  // line; one longer than the header limit (or otherwise bad) is read from the buffer's first bytes.
  bool reads_as_head(const bhttp::request_parser<bhttp::buffer_body>& parser) const {
    if (parser.get().method() == bhttp::verb::head) return true;
    const auto bytes = buffer_.data();
    return std::string_view(static_cast<const char*>(bytes.data()), bytes.size()).starts_with("HEAD ");
  }

  // Beast could not parse a request header: answer 431 or 400 when it was a protocol error, and close. The body is in
  // the OCI error format like every other refusal, so a client reports the reason rather than a parse failure.
  awaitable<Outcome> reject_malformed(beast::error_code ec, std::chrono::steady_clock::time_point started, bool head) {
    const bool protocol_error = ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category() &&
                                ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
    if (!protocol_error) co_return Outcome{};  // timeout, reset, half a request: nobody to answer
    const bool too_large = ec == bhttp::error::header_limit;
    co_return co_await reject(ApiError(too_large ? 431 : 400, "INVALID_REQUEST",
                                       std::string(too_large ? "request header fields too large"
                                                             : "malformed HTTP request") +
                                           ": " + ec.message()),
                              started, head);
  }

  // Answers `refusal` and closes the connection: what follows on it cannot be trusted to start a request.
  // A HEAD's answer has no body (RFC 9110 9.3.2), refused or not.
  awaitable<Outcome> reject(ApiError refusal, std::chrono::steady_clock::time_point started, bool head) {
    http::Response response;
    response.status = refusal.status();
    response.headers.set("Content-Type", "application/json");
    response.body = refusal.body();
    const Written written = co_await write_response(response, head, 11, false);
    record("-", "OTHER", "-", response.status, "malformed", 0, written.body_bytes, started);
    co_return Outcome{false, true};
  }

  awaitable<Written> write_response(http::Response& response, bool head, unsigned version, bool keep_alive) {
    Written written;
    bhttp::response<bhttp::buffer_body> message;
    message.version(version);
    message.result(static_cast<unsigned>(response.status));
    for (const auto& [name, value] : response.headers.entries()) message.insert(name, value);
    // RFC 9110 8.6: no Content-Length on a 204 or a 1xx, though a handler states one (an upload's status, as the
    // distribution spec's examples show it). A 304 may state the length of what a 200 would send.
    if (response.status == 204 || response.status < 200) message.erase(bhttp::field::content_length);
    const bool bodiless_status = response.status == 204 || response.status == 304 || response.status < 200;
    if (!bodiless_status) {
      // The handler's Content-Length stands (HEAD answers state the length of a body they do not carry), except when
      // it contradicts the body we are about to send: wrong framing would corrupt every later response on the connection.
      const auto declared = response.headers.get("Content-Length");
      uint64_t declared_size = 0;
      const bool parsed = declared && std::from_chars(declared->data(), declared->data() + declared->size(),
                                                      declared_size).ec == std::errc();
      if (!declared) {
        message.content_length(response.body_size());
      } else if (!head && (!parsed || declared_size != response.body_size())) {
        log::error("handler's Content-Length disagrees with its body",
                   {{"declared", *declared}, {"body", response.body_size()}, {"route", response.route}});
        message.content_length(response.body_size());
      }
    }
    message.keep_alive(keep_alive);
    bhttp::response_serializer<bhttp::buffer_body> serializer(message);
    lowest().expires_after(server_.options.write_timeout);

    if (head || bodiless_status) {
      auto [ec, n] = co_await bhttp::async_write_header(stream_, serializer, use_tuple);
      written.ok = !ec;
      co_return written;
    }
    if (!response.stream) {
      message.body().data = response.body.data();
      message.body().size = response.body.size();
      message.body().more = false;
      auto [ec, n] = co_await bhttp::async_write(stream_, serializer, use_tuple);
      written.ok = !ec;
      written.body_bytes = written.ok ? response.body.size() : 0;
      co_return written;
    }

    // Streamed body: pull a piece, write it (the first write carries the header too), repeat. Exactly size() bytes go
    // out, matching the Content-Length we announced.
    http::BodySource& source = *response.stream;
    uint64_t remaining = source.size();
    const size_t capacity = std::clamp<uint64_t>(remaining, 1, kResponsePiece);
    const auto piece = std::make_unique<char[]>(capacity);
    for (;;) {
      size_t n = 0;
      try {
        if (remaining > 0) {
          n = source.read(std::span<char>(piece.get(), std::min<uint64_t>(capacity, remaining)));
          if (n == 0) throw std::runtime_error("body source ended " + std::to_string(remaining) + " bytes early");
        }
      } catch (const std::exception& e) {
        log::error("response body failed", {{"error", e.what()}, {"remote", remote_}, {"sent", written.body_bytes}});
        written.ok = false;
        written.source_failed_first = !serializer.is_header_done();
        co_return written;
      }
      remaining -= n;
      message.body().data = n ? piece.get() : nullptr;
      message.body().size = n;
      message.body().more = remaining > 0;
      lowest().expires_after(server_.options.write_timeout);
      auto [ec, bytes] = co_await bhttp::async_write(stream_, serializer, use_tuple);
      if (ec && ec != bhttp::error::need_buffer) {
        written.ok = false;
        co_return written;
      }
      written.body_bytes += n;
      if (remaining == 0) co_return written;
    }
  }

  void record(std::string_view method_text, std::string_view method_label, std::string_view target, int status,
              std::string_view route, uint64_t bytes_in, uint64_t bytes_out,
              std::chrono::steady_clock::time_point started) {
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (server_.instruments) {
      char status_text[8];
      const auto end = std::to_chars(status_text, status_text + sizeof status_text, status).ptr;
      auto& m = *server_.instruments;
      m.requests.with({route, method_label, std::string_view(status_text, end - status_text)}).inc();
      if (bytes_in) m.bytes_in.with({route}).inc(static_cast<double>(bytes_in));
      if (bytes_out) m.bytes_out.with({route}).inc(static_cast<double>(bytes_out));
      m.duration.with({route}).observe(seconds);
    }
    if (log::level() <= log::Level::Info)
      log::info("request", {{"method", method_text},
                            {"target", target},
                            {"status", status},
                            {"route", route},
                            {"bytes_in", bytes_in},
                            {"bytes_out", bytes_out},
                            {"duration_ms", std::round(seconds * 1e6) / 1e3},
                            {"remote", remote_}});
  }

  ServerState& server_;
  Stream stream_;
  std::string remote_;
  beast::flat_buffer buffer_;
};

template <class Stream>
void ServerState::start_session(Stream stream, std::string remote) {
  auto session = std::make_shared<Session<Stream>>(*this, std::move(stream), std::move(remote));
  add(session);
  asio::co_spawn(session->executor(), Session<Stream>::run(session), asio::detached);
}

awaitable<void> ServerState::accept_loop() {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::make_strand(ioc), use_tuple);
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      // Typically EMFILE: pause instead of spinning on an error that persists until connections close.
      log::warn("accept failed", {{"error", ec.message()}});
      asio::steady_timer pause(control, std::chrono::milliseconds(100));
      co_await pause.async_wait(use_tuple);
      continue;
    }
    if (stopping) continue;  // the socket closes as it goes out of scope
    beast::error_code option_ec;
    socket.set_option(tcp::no_delay(true), option_ec);  // small responses must not wait for Nagle
    auto remote_endpoint = socket.remote_endpoint(option_ec);
    std::string remote = option_ec ? std::string("?") : format_endpoint(remote_endpoint);
    beast::tcp_stream stream(std::move(socket));
    if (tls) start_session(beast::ssl_stream<beast::tcp_stream>(std::move(stream), *tls), std::move(remote));
    else start_session(std::move(stream), std::move(remote));
  }
}

void ServerState::add(const std::shared_ptr<Connection>& connection) {
  std::lock_guard lock(connections_mutex);
  connections.emplace(connection.get(), connection);
  if (instruments) instruments->connections.with().inc();
}

void ServerState::remove(Connection* connection) {
  std::lock_guard lock(connections_mutex);
  connections.erase(connection);
  if (instruments) instruments->connections.with().dec();
  if (stopping && connections.empty()) asio::post(control, [this] { drain_timer.cancel(); });
}

// Runs on the control strand.
void ServerState::begin_stop() {
  beast::error_code ec;
  acceptor.close(ec);
  std::vector<std::shared_ptr<Connection>> open;
  {
    std::lock_guard lock(connections_mutex);
    for (const auto& [raw, weak] : connections)
      if (auto connection = weak.lock()) open.push_back(std::move(connection));
  }
  if (open.empty()) return;
  for (const auto& connection : open)
    asio::post(connection->executor(), [connection] {
      if (connection->idle) connection->close_socket();
    });
  drain_timer.expires_after(options.drain_timeout);
  drain_timer.async_wait([this](beast::error_code wait_ec) {
    if (wait_ec) return;  // cancelled: every connection finished in time
    std::lock_guard lock(connections_mutex);
    if (!connections.empty()) log::warn("drain timeout: closing busy connections", {{"open", connections.size()}});
    for (const auto& [raw, weak] : connections)
      if (auto connection = weak.lock()) asio::post(connection->executor(), [connection] { connection->close_socket(); });
  });
}

}  // namespace

struct Server::Impl : ServerState {
  using ServerState::ServerState;
};

Server::Server(Options options, http::Handler& handler) : impl_(std::make_unique<Impl>(std::move(options), handler)) {}

Server::~Server() {
  stop();
  wait();
}

std::string Server::bound_address() const { return impl_->bound; }

void Server::start() {
  std::lock_guard lock(impl_->threads_mutex);
  if (impl_->started) return;
  impl_->started = true;
  asio::co_spawn(impl_->control, impl_->accept_loop(), asio::detached);
  const unsigned count = impl_->options.threads ? impl_->options.threads : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < count; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

void Server::run() {
  start();
  wait();
}

void Server::stop() {
  if (impl_->stopping.exchange(true)) return;
  asio::post(impl_->control, [impl = impl_.get()] { impl->begin_stop(); });
}

void Server::wait() {
  std::lock_guard lock(impl_->threads_mutex);
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

}  // namespace outpost::live
