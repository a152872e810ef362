#include "simulator/world/host.h"

#include "simulator/net/http_wire.h"

namespace outpost::sim::world {

// A request that reached a paused process: the kernel accepted the connection and buffered the bytes, nobody reads
// them until the resume.
struct Host::HeldCall {
  http::Request request;
  std::string body;
  bool data = false;
  std::function<void(http::Response)> respond;
};

// What the network reaches at the host's addresses: the current node's handler, or a waiting line while paused.
class Host::Front final : public http::Handler {
 public:
  Front(Host& host, bool data) : host_(host), data_(data) {}

  std::unique_ptr<http::Call> start(http::Request request) override {
    if (!host_.paused()) {
      return data_ ? host_.node_->data_handler().start(std::move(request))
                   : host_.node_->main_handler().start(std::move(request));
    }
    auto held = std::make_shared<HeldCall>();
    held->request = std::move(request);
    held->data = data_;
    return std::make_unique<Waiting>(host_, std::move(held));
  }

 private:
  class Waiting final : public http::Call {
   public:
    Waiting(Host& host, std::shared_ptr<HeldCall> held) : host_(host), held_(std::move(held)) {}
    bool on_body(std::string_view piece) override {
      held_->body.append(piece);
      return true;
    }
    http::Response finish() override {  // the transport uses finish_async: this call answers later
      http::Response response;
      finish_async([&response](http::Response answer) { response = std::move(answer); });
      return response;
    }
    bool asynchronous() const override { return true; }
    void finish_async(std::function<void(http::Response)> respond) override {
      held_->respond = std::move(respond);
      host_.held_calls_.push_back(held_);
    }

   private:
    Host& host_;
    std::shared_ptr<HeldCall> held_;
  };

  Host& host_;
  bool data_;
};

Host::Host(EventLoop& loop, WallTime start, WorldNetwork& network, ClientContext& clients, HostConfig config)
    : loop_(loop),
      network_(network),
      clients_(clients),
      config_(std::move(config)),
      clock_(loop, start),
      random_(config_.seed),
      executor_(loop),
      client_(std::make_unique<WorldClient>(config_.name, network.client(config_.name), clients, &executor_)),
      main_front_(std::make_unique<Front>(*this, false)),
      data_front_(std::make_unique<Front>(*this, true)) {
  client_->after_exchange = [this](const RequestEvent& event) { watch_rounds(event); };
  open_stores();
}

void Host::open_stores() {
  const bool connected = !config_.connection_string.empty();
  if (config_.data_directory.empty()) {
    if (storage_) return;  // memory is the disk: it outlives every process
    storage_ = storage::with_space_budget(storage::open_memory_storage(clock_, random_), space_);
    control_store_ = control::open_memory_control_store();
    sync_store_ = connected ? sync::open_memory_sync_store() : nullptr;
    return;
  }
  // Closed first: a process's SQLite connections and file handles end with it.
  sync_store_.reset();
  control_store_.reset();
  storage_.reset();
  std::filesystem::create_directories(config_.data_directory);
  storage_ = storage::with_space_budget(storage::open_disk_storage(config_.data_directory, clock_, random_), space_);
  control_store_ = control::open_sqlite_control_store(config_.data_directory);
  sync_store_ = connected ? sync::open_sqlite_sync_store(config_.data_directory) : nullptr;
}

Host::~Host() {
  network_.detach(login_server());
  if (is_cloud()) network_.detach(data_endpoint());
}

void Host::build_node() {
  node::NodeOptions options;
  options.connection_string = config_.connection_string;
  options.login_server = login_server();
  if (is_cloud()) {
    options.data_endpoint = data_endpoint();
    options.admin_password = config_.admin_password;
    options.status_offline_after = config_.status_offline_after;
  }
  options.password_hash_iterations = config_.password_hash_iterations;
  options.agent.status_interval = config_.status_interval;
  options.agent.long_poll = config_.long_poll;
  if (config_.tweak) config_.tweak(options);
  node_ = std::make_unique<node::Node>(node::NodeSeams{clock_, random_, executor_, client_.get(), *storage_,
                                                       *control_store_, sync_store_.get()},
                                       options);
  agent_ = node_->agent();
}

void Host::start() {
  if (state_ == State::Crashing) {
    restart_when_down_ = true;
    return;
  }
  if (state_ == State::Running) return;
  build_node();
  state_ = State::Running;
  rounds_seen_ = 0;
  failed_rounds_seen_ = 0;
  network_.attach(login_server(), *main_front_);
  if (is_cloud()) network_.attach(data_endpoint(), *data_front_);
  node_->start();
}

void Host::restart() { start(); }

void Host::crash() {
  if (state_ != State::Running) return;
  state_ = State::Crashing;
  ++incarnation_;
  ++clients_.crashes;  // with the counter: see ClientContext::crashes
  ++crashes_;
  network_.detach(login_server());
  if (is_cloud()) network_.detach(data_endpoint());
  // The dying process runs no more of its own work, but what it had started must unwind (Task frames are freed by
  // unwinding): held work runs, held requests are answered (and, the incarnation having moved, reach their clients
  // as resets), exchanges in flight fail now.
  executor_.resume();
  release_held_calls(true);
  // Before the exchanges fail: a download keeps in its upload session what had arrived, as a killed process's file
  // keeps what it wrote; the restarted node resumes from there (SPEC 5.8).
  network_.client_died(name());
  client_->fail_in_flight("connection reset: the process of " + name() + " crashed");
  node_->stop([this] { loop_.post([this] { finish_crash(/*reopen=*/true); }); });
}

void Host::finish_crash(bool reopen) {
  agent_ = nullptr;
  node_.reset();
  executor_.end_incarnation();
  state_ = State::Down;
  // On disk: what the next process (and the checks, meanwhile) will read is what the files hold. Not at the end of
  // a run: nothing starts again, and the checks may read the stores as they are.
  if (reopen) open_stores();
  if (std::exchange(restart_when_down_, false)) start();
}

void Host::pause() {
  if (state_ == State::Running) executor_.pause();
}

void Host::resume() {
  if (!executor_.paused()) return;
  executor_.resume();
  release_held_calls(false);
}

void Host::release_held_calls(bool answer_as_crashed) {
  auto held = std::move(held_calls_);
  held_calls_.clear();
  for (auto& call : held) {
    // Taken out of the call: the transport's `respond` holds the call, which holds this; answered, the cycle ends.
    auto respond = std::exchange(call->respond, nullptr);
    if (answer_as_crashed) {
      respond(http::Response{503});
      continue;
    }
    loop_.post([this, call, respond = std::move(respond), incarnation = incarnation_] {
      if (incarnation != incarnation_ || !node_) {
        respond(http::Response{503});
        return;
      }
      try {
        http::Handler& handler = call->data ? node_->data_handler() : node_->main_handler();
        std::unique_ptr<http::Call> started = handler.start(std::move(call->request));
        if (!call->body.empty()) started->on_body(call->body);
        if (started->asynchronous()) {
          started->finish_async(respond);
        } else {
          respond(started->finish());
        }
      } catch (...) {
        respond(wire::failure_response(std::current_exception()));
      }
    });
  }
}

void Host::stop() {
  restart_when_down_ = false;
  if (state_ != State::Running) return;  // down already, or a crash is unwinding and will end down
  resume();
  state_ = State::Crashing;  // leaving: nothing starts it again before it is down
  network_.detach(login_server());
  if (is_cloud()) network_.detach(data_endpoint());
  node_->stop([this] { loop_.post([this] { finish_crash(/*reopen=*/false); }); });
}

storage::Storage& Host::storage() {
  // Null only when opening the files again after a crash threw (no descriptor left, say): that error ended the run.
  if (!storage_) throw std::runtime_error("the stores of " + name() + " could not be opened again after its crash");
  return *storage_;
}

uint64_t Host::rounds_from_metrics() const {
  // The agent's own count, which its metrics print as outpost_sync_rounds_total. (Rendering the metrics text after
  // every exchange to read that one line cost more than many of the exchanges.)
  return agent_ ? agent_->rounds() : 0;
}

void Host::watch_rounds(const RequestEvent&) {
  // Only a running node with an agent counts rounds; the cloud has none. (agent_, set and reset with node_, is read
  // first: the host's name and connection string lie on another line, cold at most exchanges.)
  if (!agent_ || state_ != State::Running) return;
  // The agent's monotonic clock is the loop's virtual time (VirtualClock), unskewed, so its round starts need no
  // conversion. A round that ended is told before one that failed after it, within the same exchange.
  const uint64_t rounds = rounds_from_metrics();
  if (rounds != rounds_seen_) {
    rounds_seen_ = rounds;
    clients_.observer.on_round_done(RoundEvent{agent_->last_round_began(), loop_.now(), name(), rounds});
  }
  const uint64_t failed = agent_->failed_rounds();
  if (failed != failed_rounds_seen_) {
    failed_rounds_seen_ = failed;
    clients_.observer.on_round_failed(RoundEvent{agent_->last_failed_round_began(), loop_.now(), name(), failed});
  }
}

}  // namespace outpost::sim::world
