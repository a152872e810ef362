#include "reference/live/asio_executor.h"

#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "reference/common/log.h"

namespace outpost::live {

namespace asio = boost::asio;

struct AsioExecutor::State {
  asio::io_context context;
  asio::executor_work_guard<asio::io_context::executor_type> guard{context.get_executor()};
  std::thread thread;
};

namespace {
// A callback that throws must not take the node down: it is logged, and the loop goes on.
void run_guarded(const std::function<void()>& work) {
  try {
    work();
  } catch (const std::exception& error) {
    log::error("executor callback failed", {{"error", error.what()}});
  }
}
}  // namespace

AsioExecutor::AsioExecutor() : state_(std::make_unique<State>()) {
  state_->thread = std::thread([state = state_.get()] { state->context.run(); });
}

AsioExecutor::~AsioExecutor() {
  stop();
  if (state_->thread.joinable()) state_->thread.join();
}

void AsioExecutor::stop() {
  state_->guard.reset();
  state_->context.stop();
  // Wait for the callback that may be running: after stop() returns nothing of the caller's is touched any more (the
  // objects those callbacks use can be destroyed). Not from the loop's own thread, which cannot wait for itself.
  if (state_->thread.joinable() && state_->thread.get_id() != std::this_thread::get_id()) state_->thread.join();
}

void AsioExecutor::post(std::function<void()> work) {
  asio::post(state_->context, [work = std::move(work)] { run_guarded(work); });
}

TimerHandle AsioExecutor::schedule_after(Nanoseconds delay, std::function<void()> work) {
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  auto timer = std::make_shared<asio::steady_timer>(state_->context, delay);
  timer->async_wait([timer, cancelled, work = std::move(work)](const boost::system::error_code& error) {
    if (!error && !cancelled->load()) run_guarded(work);
  });
  return TimerHandle(cancelled);
}

}  // namespace outpost::live
