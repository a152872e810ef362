#pragma once
// One client connection through a link: the client socket, the socket to the upstream, and two streams (upstream:
// client -> server, downstream: server -> client), each a reader and a writer coroutine with a queue between them and
// a ToxicChain deciding when and how much the writer forwards. Everything of a connection runs on its own strand.
//
// Why a reader and a writer per stream rather than read-then-write: latency must delay bytes without slowing the
// stream (a 100 ms link still carries megabytes per second), so reading goes on while earlier bytes wait their turn,
// up to FaultProxy::Options::max_buffered_bytes; past that the reader stops and TCP pushes back on the sender.
#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "reference/common/random.h"
#include "reference/live/proxy/toxic_chain.h"

namespace outpost::live::proxy {

class Link;

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  // `client` was accepted on a strand of its own; `number` counts the link's connections from 1.
  Connection(std::shared_ptr<Link> link, boost::asio::ip::tcp::socket client, uint64_t number);
  ~Connection();  // tells the link it is gone
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  void start();    // connects to the upstream, then forwards
  // Thread-safe (they post to the connection's strand):
  void close();    // closes both sockets at once (link down, link removed, upstream changed)
  void refresh();  // the link's toxics or bandwidth changed

 private:
  using Clock = std::chrono::steady_clock;
  using tcp = boost::asio::ip::tcp;
  enum class State { Connecting, Open, Draining, Closed };

  // Bytes read from one side and not yet all forwarded; `end` marks the source's end of stream.
  struct Piece {
    std::unique_ptr<char[]> bytes;
    size_t size = 0;
    size_t offset = 0;  // forwarded (or dropped) so far
    bool end = false;
    ToxicChain::Chunk meta;
  };
  // One stream of the connection (toxiproxy's upstream or downstream) and the queue between its reader and writer.
  struct Direction {
    Direction(Stream stream, const boost::asio::any_io_executor& executor, std::shared_ptr<LinkPacer> link_rate)
        : stream(stream), chain(stream, std::move(link_rate)), data_ready(executor), space(executor), wait(executor) {}
    const Stream stream;
    ToxicChain chain;
    std::deque<Piece> queue;
    size_t queued = 0;  // bytes in queue
    // Timers used as events on the strand: a waiter sleeps until cancel() wakes it.
    boost::asio::steady_timer data_ready;  // reader -> writer: the queue is not empty
    boost::asio::steady_timer space;       // writer -> reader: the queue has room
    boost::asio::steady_timer wait;        // the writer's toxic or link-slot wait; cancelled by refresh()
    bool reader_done = false;
    bool writer_done = false;
  };

  // Each coroutine holds `self`, which keeps the connection alive while any of them runs.
  boost::asio::awaitable<void> run(std::shared_ptr<Connection> self);
  boost::asio::awaitable<void> read_loop(std::shared_ptr<Connection> self, Direction& direction);
  boost::asio::awaitable<void> write_loop(std::shared_ptr<Connection> self, Direction& direction);
  boost::asio::awaitable<bool> deliver(Direction& direction, Piece& piece);  // false: the connection is closing
  boost::asio::awaitable<void> pass_end(Direction& direction);

  tcp::socket& source(const Direction& direction) { return upstream(direction) ? client_ : server_; }
  tcp::socket& destination(const Direction& direction) { return upstream(direction) ? server_ : client_; }
  static bool upstream(const Direction& direction) { return direction.stream == Stream::Upstream; }
  Direction& direction_of(Stream stream) { return stream == Stream::Upstream ? up_ : down_; }

  void sync_toxics();
  void start_toxic_timer(Stream stream, const ToxicChain::TimerRequest& request);
  void on_toxic_timer(Stream stream, const ToxicChain::TimerRequest& request);
  void on_connect_timeout();
  // FIN to both peers, then read and drop what they still send until they close too (closing a socket with unread
  // input would send a reset, which can destroy bytes just forwarded before the peer reads them), at most kLinger.
  void close_gracefully();
  void abort(bool reset);  // closes both sockets now; with `reset`, as a TCP reset (SO_LINGER 0)
  void finish_if_drained();

  std::shared_ptr<Link> link_;
  const uint64_t number_;
  boost::asio::any_io_executor executor_;
  tcp::socket client_;
  tcp::socket server_;
  tcp::resolver resolver_;
  boost::asio::steady_timer connect_timer_;
  boost::asio::steady_timer linger_timer_;
  Direction up_;
  Direction down_;
  SeededRandom random_;  // latency jitter and slice sizes
  std::map<uint64_t, std::unique_ptr<boost::asio::steady_timer>> toxic_timers_;  // by toxic id
  State state_ = State::Connecting;
};

}  // namespace outpost::live::proxy
