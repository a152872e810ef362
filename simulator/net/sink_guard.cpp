#include "simulator/net/sink_guard.h"

#include <exception>

namespace outpost::sim::wire {

namespace {

class GuardedSink final : public http::BodySink {
 public:
  explicit GuardedSink(std::shared_ptr<http::BodySink> inner) : inner_(std::move(inner)) {}
  void write(std::string_view piece) override {
    if (!failure_.empty()) return;
    try {
      inner_->write(piece);
    } catch (const std::exception& error) {
      failure_ = error.what();
      if (failure_.empty()) failure_ = "the response body could not be stored";
    }
  }
  const std::string& failure() const { return failure_; }

 private:
  std::shared_ptr<http::BodySink> inner_;
  std::string failure_;
};

}  // namespace

void guard_sink(const std::string& authority, std::shared_ptr<http::BodySink>& sink,
                std::function<void(http::ClientResult)>& done) {
  if (!sink) return;
  auto guarded = std::make_shared<GuardedSink>(std::move(sink));
  sink = guarded;
  done = [guarded, authority, done = std::move(done)](http::ClientResult result) {
    if (!guarded->failure().empty()) {
      result.response.reset();
      result.transport_error = guarded->failure() + " (http://" + authority + ")";
    }
    done(std::move(result));
  };
}

}  // namespace outpost::sim::wire
