#include "reference/live/signals.h"

#include <csignal>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include "reference/common/log.h"

namespace outpost::live {
namespace {

sigset_t stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  return set;
}

}  // namespace

StopSignalsBlocked::StopSignalsBlocked() {
  const sigset_t set = stop_signals();
  pthread_sigmask(SIG_BLOCK, &set, &previous_);
}

StopSignalsBlocked::~StopSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }

struct StopOnSignals::Impl {
  Impl(Server& server, std::function<void()> before_stop) : signals(context, SIGINT, SIGTERM) {
    signals.async_wait([&server, before_stop = std::move(before_stop)](const boost::system::error_code& ec, int signal) {
      if (ec) return;  // cancelled by the destructor
      log::info("signal received, stopping", {{"signal", signal == SIGINT ? "SIGINT" : "SIGTERM"}});
      if (before_stop) before_stop();
      server.stop();
    });
    thread = std::thread([this] {
      // The one thread that takes them (StopSignalsBlocked): the handler asio installed above runs here.
      const sigset_t set = stop_signals();
      pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
      context.run();
    });
  }
  ~Impl() {
    boost::asio::post(context, [this] { signals.cancel(); });
    thread.join();
  }

  boost::asio::io_context context;
  boost::asio::signal_set signals;
  std::thread thread;
};

StopOnSignals::StopOnSignals(Server& server, std::function<void()> before_stop)
    : impl_(std::make_unique<Impl>(server, std::move(before_stop))) {}
StopOnSignals::~StopOnSignals() = default;

}  // namespace outpost::live
