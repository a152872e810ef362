#include "simulator/cli/isolated_run.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "reference/common/log.h"
#include "simulator/report/chrome_trace.h"
#include "simulator/world/world.h"

namespace outpost::sim::commands {

namespace {

nlohmann::json failed_stub(const std::string& scenario_name, uint64_t seed, const std::string& violation) {
  return {{"scenario", scenario_name}, {"seed", seed}, {"ok", false}, {"violations", {violation}}};
}

// In the child: the run, as one JSON document on `fd`.
[[noreturn]] void child(int fd, const world::Scenario& scenario, uint64_t seed, std::optional<Nanoseconds> duration,
                        const std::string& trace_file) {
  nlohmann::json answer;
  // Never destroyed: this process ends with _exit below, and the run leaves its nodes running (World::AtEnd).
  std::unique_ptr<world::World> kept;
  try {
    kept = std::make_unique<world::World>(scenario, seed);
    world::World& world = *kept;
    // The trace goes to its file as the run makes it: a long run's records would not fit in memory (a day of the
    // wide fleet is tens of millions of them).
    std::ofstream trace_out;
    std::optional<report::ChromeTraceWriter> trace_writer;
    if (!trace_file.empty()) {
      trace_out.open(trace_file);
      if (!trace_out) throw std::runtime_error("cannot write the trace to " + trace_file);
      trace_writer.emplace(trace_out);
      world.trace().stream_to([&trace_writer](const TraceRecord& record) { trace_writer->write(record); });
    }
    // The nodes' logs (--log-level) carry the world's true time, not this machine's.
    const VirtualClock log_clock(world.loop(), world::kWorldStart);
    struct LogClock {
      explicit LogClock(const Clock& clock) { log::set_clock(&clock); }
      ~LogClock() { log::set_clock(nullptr); }
    } logs_in_world_time(log_clock);
    const world::RunResult result = world.run_all(duration, world::World::AtEnd::LeaveRunning);
    answer["result"] = result.to_json();
    answer["hash"] = result.trace_hash;
    if (trace_writer) {
      world.trace().stream_to({});
      trace_writer->finish();
      trace_out.close();
      if (!trace_out) throw std::runtime_error("cannot write the trace to " + trace_file);
    }
  } catch (const std::exception& error) {
    // A world that cannot even be built (a resource the cloud refuses, ...) fails its seed.
    answer["result"] = failed_stub(scenario.name, seed, std::string("the run stopped: ") + error.what());
    answer["hash"] = "";
  }
  const std::string text = answer.dump();
  for (size_t written = 0; written < text.size();) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  ::close(fd);
  std::fflush(nullptr);
  ::_exit(0);  // no atexit handlers, no destructors of the parent's objects: they are the parent's to run
}

std::string how_it_ended(int status) {
  if (WIFSIGNALED(status))
    return "the run crashed: signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  if (WIFEXITED(status)) return "the run exited with status " + std::to_string(WEXITSTATUS(status));
  return "the run ended abnormally";
}

}  // namespace

StartedRun::StartedRun(const world::Scenario& scenario, uint64_t seed, std::optional<Nanoseconds> duration,
                       const std::string& trace_file)
    : scenario_name_(scenario.name), seed_(seed) {
  if (scenario.storage == "disk") data_root_ = std::make_unique<world::DataRoot>();
  int pipe_fds[2];
  if (::pipe(pipe_fds) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);  // what the parent buffered must not be written twice
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    ::close(pipe_fds[0]);
    if (data_root_) ::setenv("TMPDIR", data_root_->path().c_str(), 1);  // the world's DataRoot goes in there
    child(pipe_fds[1], scenario, seed, duration, trace_file);
  }
  // Closed at once: no other child is forked in between (one thread), so the pipe ends when this child does.
  ::close(pipe_fds[1]);
  pid_ = pid;
  result_fd_ = pipe_fds[0];
}

StartedRun::StartedRun(StartedRun&& other) noexcept
    : scenario_name_(std::move(other.scenario_name_)), seed_(other.seed_), pid_(other.pid_),
      result_fd_(other.result_fd_), data_root_(std::move(other.data_root_)) {
  other.pid_ = -1;
  other.result_fd_ = -1;
}

StartedRun::~StartedRun() {
  if (pid_ >= 0) collect();
}

IsolatedRun StartedRun::collect() {
  IsolatedRun run;
  std::string text;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(result_fd_, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  ::close(result_fd_);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  result_fd_ = -1;
  data_root_.reset();
  const bool exited_cleanly = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  try {
    if (!exited_cleanly || text.empty()) throw std::runtime_error(how_it_ended(status));
    const nlohmann::json answer = nlohmann::json::parse(text);
    run.result = answer.at("result");
    run.hash = answer.at("hash").get<std::string>();
  } catch (const std::exception& error) {
    run.result = failed_stub(scenario_name_, seed_, exited_cleanly ? std::string("unreadable result: ") + error.what()
                                                                   : std::string(error.what()));
    run.hash.clear();
  }
  return run;
}

IsolatedRun run_isolated(const world::Scenario& scenario, uint64_t seed, std::optional<Nanoseconds> duration,
                         const std::string& trace_file) {
  return StartedRun(scenario, seed, duration, trace_file).collect();
}

}  // namespace outpost::sim::commands
