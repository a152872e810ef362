#include "reference/live/proxy/connection.h"

#include <algorithm>
#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "reference/common/log.h"
#include "reference/live/proxy/address.h"
#include "reference/live/proxy/link.h"
#include "reference/live/proxy/toxicity.h"
#include "reference/live/use_tuple.h"

namespace outpost::live::proxy {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {
constexpr size_t kReadSize = 64 * 1024;
constexpr auto kLinger = std::chrono::seconds(1);

// A timer used as an event: sleeps until someone cancels it.
asio::awaitable<void> wait_for_signal(asio::steady_timer& event) {
  event.expires_at(asio::steady_timer::time_point::max());
  co_await event.async_wait(use_tuple);
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
}  // namespace

Connection::Connection(std::shared_ptr<Link> link, tcp::socket client, uint64_t number)
    : link_(std::move(link)),
      number_(number),
      executor_(client.get_executor()),
      client_(std::move(client)),
      server_(executor_),
      resolver_(executor_),
      connect_timer_(executor_),
      linger_timer_(executor_),
      up_(Stream::Upstream, executor_, link_->pacer(Stream::Upstream)),
      down_(Stream::Downstream, executor_, link_->pacer(Stream::Downstream)),
      random_(connection_seed(link_->settings().seed, link_->name(), number)) {}

Connection::~Connection() {
  link_->counters().subtract(CounterBoard::Active);
  link_->forget(this);
}

void Connection::start() { asio::co_spawn(executor_, run(shared_from_this()), asio::detached); }

void Connection::close() {
  asio::post(executor_, [self = shared_from_this()] { self->abort(false); });
}

void Connection::refresh() {
  asio::post(executor_, [self = shared_from_this()] { self->sync_toxics(); });
}

asio::awaitable<void> Connection::run(std::shared_ptr<Connection> self) {
  try {
    const auto [host, port] = split_host_port(link_->upstream(), "upstream");
    connect_timer_.expires_after(link_->settings().connect_timeout);
    connect_timer_.async_wait([weak = weak_from_this()](const error_code& ec) {
      if (ec) return;
      if (auto connection = weak.lock()) connection->on_connect_timeout();
    });
    auto [resolve_ec, endpoints] = co_await resolver_.async_resolve(host, port, use_tuple);
    if (state_ != State::Connecting) co_return;
    error_code connect_ec = resolve_ec;
    if (!connect_ec) {
      auto [ec, endpoint] = co_await asio::async_connect(server_, endpoints, use_tuple);
      connect_ec = ec;
    }
    connect_timer_.cancel();
    if (state_ != State::Connecting) co_return;
    if (connect_ec) {
      link_->counters().add(CounterBoard::UpstreamFailures);
      log::write(log::Level::Debug, "fault proxy: upstream unreachable",
                 {{"link", link_->name()}, {"upstream", host + ":" + port}, {"error", connect_ec.message()}});
      abort(false);
      co_return;
    }
    error_code option_ec;  // a proxy must not add Nagle delays of its own (slicer pieces must leave as slices)
    client_.set_option(tcp::no_delay(true), option_ec);
    server_.set_option(tcp::no_delay(true), option_ec);
    state_ = State::Open;
    sync_toxics();
    for (Direction* direction : {&up_, &down_}) {
      asio::co_spawn(executor_, read_loop(self, *direction), asio::detached);
      asio::co_spawn(executor_, write_loop(self, *direction), asio::detached);
    }
  } catch (...) {
    log::warn("fault proxy: connection failed",
              {{"link", link_->name()}, {"error", describe(std::current_exception())}});
    abort(false);
  }
}

void Connection::on_connect_timeout() {
  if (state_ != State::Connecting) return;
  error_code ec;
  resolver_.cancel();
  server_.close(ec);  // the pending connect ends with an error, counted as an upstream failure
}

asio::awaitable<void> Connection::read_loop([[maybe_unused]] std::shared_ptr<Connection> self, Direction& direction) {
  tcp::socket& from = source(direction);
  const auto received =
      direction.stream == Stream::Upstream ? CounterBoard::BytesUpReceived : CounterBoard::BytesDownReceived;
  const size_t limit = link_->settings().max_buffered_bytes;
  try {
    auto buffer = std::make_unique_for_overwrite<char[]>(kReadSize);
    for (;;) {
      while (state_ == State::Open && direction.queued >= limit) co_await wait_for_signal(direction.space);
      if (state_ == State::Closed) break;
      auto [ec, n] = co_await from.async_read_some(asio::buffer(buffer.get(), kReadSize), use_tuple);
      if (state_ == State::Closed) break;
      if (ec) {
        if (state_ == State::Open) {
          if (ec == asio::error::eof) {
            Piece end;
            end.end = true;
            direction.queue.push_back(std::move(end));
            direction.data_ready.cancel();
          } else {
            abort(true);  // the peer reset (or failed): pass it on as a reset
          }
        }
        break;
      }
      link_->counters().add(received, n);
      if (state_ != State::Open) continue;  // draining: drop what still comes until the peer closes
      Piece piece;
      if (n >= kReadSize / 4) {  // hand the buffer over; a small read gets a buffer of its own size instead
        piece.bytes = std::move(buffer);
        buffer = std::make_unique_for_overwrite<char[]>(kReadSize);
      } else {
        piece.bytes = std::make_unique_for_overwrite<char[]>(n);
        std::memcpy(piece.bytes.get(), buffer.get(), n);
      }
      piece.size = n;
      piece.meta.read_at = Clock::now();
      direction.queued += n;
      direction.queue.push_back(std::move(piece));
      direction.data_ready.cancel();
    }
  } catch (...) {
    log::warn("fault proxy: read failed", {{"link", link_->name()}, {"error", describe(std::current_exception())}});
    abort(false);
  }
  direction.reader_done = true;
  finish_if_drained();
}

asio::awaitable<void> Connection::write_loop([[maybe_unused]] std::shared_ptr<Connection> self, Direction& direction) {
  try {
    for (;;) {
      while (state_ == State::Open && direction.queue.empty()) co_await wait_for_signal(direction.data_ready);
      if (state_ != State::Open) co_return;
      Piece& piece = direction.queue.front();  // stays valid: the reader only appends, nobody else removes
      if (piece.end) {
        co_await pass_end(direction);
        co_return;
      }
      if (!co_await deliver(direction, piece)) co_return;
      direction.queued -= piece.size;
      direction.queue.pop_front();
      direction.space.cancel();
    }
  } catch (...) {
    log::warn("fault proxy: write failed", {{"link", link_->name()}, {"error", describe(std::current_exception())}});
    abort(false);
  }
}

asio::awaitable<bool> Connection::deliver(Direction& direction, Piece& piece) {
  tcp::socket& to = destination(direction);
  const auto sent = direction.stream == Stream::Upstream ? CounterBoard::BytesUp : CounterBoard::BytesDown;
  while (piece.offset < piece.size) {
    if (state_ != State::Open) co_return false;
    const ToxicChain::Step step = direction.chain.next(piece.meta, piece.size - piece.offset, Clock::now(), random_);
    switch (step.action) {
      case ToxicChain::Action::Drop:
        piece.offset = piece.size;
        break;
      case ToxicChain::Action::StartTimer:
        start_toxic_timer(direction.stream, step.timer);
        break;
      case ToxicChain::Action::Reset:
        abort(true);
        co_return false;
      case ToxicChain::Action::Close:
        close_gracefully();
        co_return false;
      case ToxicChain::Action::Wait:
        direction.wait.expires_at(step.until);
        co_await direction.wait.async_wait(use_tuple);  // early when the toxics change: then plan again
        break;
      case ToxicChain::Action::Write: {
        auto [ec, n] = co_await asio::async_write(to, asio::buffer(piece.bytes.get() + piece.offset, step.bytes),
                                                  use_tuple);
        if (ec) {
          if (state_ == State::Open) abort(true);  // the receiving peer is gone: reset the other one
          co_return false;
        }
        piece.offset += n;
        link_->counters().add(sent, n);
        if (step.close_after) {  // limit_data: exactly its bytes went out
          close_gracefully();
          co_return false;
        }
        break;
      }
    }
  }
  co_return true;
}

asio::awaitable<void> Connection::pass_end(Direction& direction) {
  const auto seen = Clock::now();
  while (state_ == State::Open) {
    if (direction.chain.holds_end()) {  // a timeout toxic: the end is held like the bytes before it
      co_await wait_for_signal(direction.wait);
      continue;
    }
    const auto until = seen + direction.chain.close_delay();  // slow_close
    if (until <= Clock::now()) break;
    direction.wait.expires_at(until);
    co_await direction.wait.async_wait(use_tuple);
  }
  if (state_ != State::Open) co_return;
  error_code ec;
  destination(direction).shutdown(tcp::socket::shutdown_send, ec);
  direction.writer_done = true;
  if (up_.writer_done && down_.writer_done) abort(false);  // both ends passed on: nothing is left unread
}

void Connection::sync_toxics() {
  if (state_ != State::Open) return;
  const auto toxics = link_->toxic_list();
  const auto applies = [this](const Toxic& toxic) {
    return toxic_applies(link_->settings().seed, link_->name(), toxic.name, number_, toxic.toxicity);
  };
  bool close = false;
  for (Direction* direction : {&up_, &down_}) {
    const ToxicChain::SyncResult result = direction->chain.sync(*toxics, applies);
    for (const uint64_t id : result.stop) toxic_timers_.erase(id);
    for (const auto& request : result.start) start_toxic_timer(direction->stream, request);
    close = close || result.close;
    direction->wait.cancel();  // a waiting writer plans again (new toxics, or a new link rate)
  }
  if (close) close_gracefully();
}

void Connection::start_toxic_timer(Stream stream, const ToxicChain::TimerRequest& request) {
  auto& timer = toxic_timers_[request.toxic_id];
  timer = std::make_unique<asio::steady_timer>(executor_);  // replacing an older timer cancels it
  timer->expires_after(request.delay);
  timer->async_wait([weak = weak_from_this(), stream, request](const error_code& ec) {
    if (ec) return;
    if (auto connection = weak.lock()) connection->on_toxic_timer(stream, request);
  });
}

void Connection::on_toxic_timer(Stream stream, const ToxicChain::TimerRequest& request) {
  if (state_ != State::Open) return;
  switch (direction_of(stream).chain.expired(request.toxic_id, request.generation)) {
    case ToxicChain::Expiry::Close:
      close_gracefully();
      break;
    case ToxicChain::Expiry::Reset:
      abort(true);
      break;
    case ToxicChain::Expiry::Nothing:
      break;
  }
}

void Connection::close_gracefully() {
  if (state_ == State::Connecting) return abort(false);
  if (state_ != State::Open) return;
  state_ = State::Draining;
  error_code ec;
  client_.shutdown(tcp::socket::shutdown_send, ec);
  server_.shutdown(tcp::socket::shutdown_send, ec);
  for (Direction* direction : {&up_, &down_}) {
    direction->data_ready.cancel();
    direction->space.cancel();
    direction->wait.cancel();
  }
  toxic_timers_.clear();
  linger_timer_.expires_after(kLinger);
  linger_timer_.async_wait([weak = weak_from_this()](const error_code& wait_ec) {
    if (wait_ec) return;
    if (auto connection = weak.lock()) connection->abort(false);
  });
  finish_if_drained();
}

void Connection::finish_if_drained() {
  if (state_ == State::Draining && up_.reader_done && down_.reader_done) abort(false);
}

void Connection::abort(bool reset) {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  error_code ec;
  for (tcp::socket* socket : {&client_, &server_}) {
    if (reset && socket->is_open()) socket->set_option(asio::socket_base::linger(true, 0), ec);
    socket->close(ec);
  }
  resolver_.cancel();
  connect_timer_.cancel();
  linger_timer_.cancel();
  for (Direction* direction : {&up_, &down_}) {
    direction->data_ready.cancel();
    direction->space.cancel();
    direction->wait.cancel();
  }
  toxic_timers_.clear();
}

}  // namespace outpost::live::proxy
