#include "reference/live/asio_executor.h"

#include <mutex>
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

struct AsioExecutor::Poster {
  std::mutex mutex;
  asio::io_context* context = nullptr;  // guarded by `mutex`; null once the executor is gone
};

// A timer's handle. Cancelling sets the flag at once (the callback will not run, even if the timer is due now) and
// cancels the Asio timer on the loop's thread, which frees the callback then instead of when the timer would have
// expired: a ReadOnly node re-arms a 24-hour push wake-up every sync round, and flag-only cancels kept them all.
class AsioExecutor::Timer final : public TimerCanceller {
 public:
  Timer(std::shared_ptr<Poster> poster, std::weak_ptr<asio::steady_timer> timer)
      : poster_(std::move(poster)), timer_(std::move(timer)) {}

  void cancel_timer(uint64_t) override {
    std::lock_guard lock(poster_->mutex);
    if (!poster_->context) return;  // the executor is gone, and its timers with it
    // Asio's timers are not thread-safe: the loop's own thread cancels it.
    asio::post(*poster_->context, [timer = timer_] {
      if (const auto armed = timer.lock()) armed->cancel();
    });
  }

 private:
  std::shared_ptr<Poster> poster_;
  std::weak_ptr<asio::steady_timer> timer_;
};

AsioExecutor::AsioExecutor() : state_(std::make_unique<State>()), poster_(std::make_shared<Poster>()) {
  poster_->context = &state_->context;
  state_->thread = std::thread([state = state_.get()] { state->context.run(); });
}

AsioExecutor::~AsioExecutor() {
  stop();
  if (state_->thread.joinable()) state_->thread.join();
  // A cancel posting now finishes before the loop's objects go; a later one posts nothing.
  std::lock_guard lock(poster_->mutex);
  poster_->context = nullptr;
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
  return TimerHandle(std::make_shared<Timer>(poster_, timer), 0).with_flag(std::move(cancelled));
}

}  // namespace outpost::live
