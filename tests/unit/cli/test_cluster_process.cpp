// Daemons of a cluster (reference/cli/cluster_process.h), with /bin/sh standing in for `outpost serve`: the listening
// line is found in the log, an early exit is reported with the log, SIGTERM then SIGKILL, recycled pids are not ours.
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <boost/test/unit_test.hpp>

#include "reference/cli/cluster_process.h"
#include "tests/unit/temporary_directory.h"

namespace fs = std::filesystem;
using namespace outpost::cli;

namespace outpost::cli {
std::ostream& operator<<(std::ostream& out, StopOutcome outcome) { return out << describe(outcome); }
}  // namespace outpost::cli

namespace {

using outpost::testing::TemporaryDirectory;

std::chrono::steady_clock::time_point in_seconds(int seconds) {
  return std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// `script` run by /bin/sh as a daemon logging to <dir>/<name>.log.
DaemonProcess shell_daemon(const TemporaryDirectory& dir, const std::string& name, const std::string& script) {
  return spawn_daemon({"/bin/sh", "-c", script}, dir.path() / (name + ".log"));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(cluster_process)

BOOST_AUTO_TEST_CASE(the_listening_line_is_read_from_the_log_and_sigterm_stops_the_daemon) {
  TemporaryDirectory dir{"cluster-process"};
  const DaemonProcess daemon = shell_daemon(
      dir, "node", R"(echo 'not json'; echo '{"msg":"listening","address":"127.0.0.1:4242"}'; exec sleep 60)");
  BOOST_TEST(daemon.start_time > 0u);
  const auto line = wait_for_listening(daemon, dir.path() / "node.log", in_seconds(20), "node");
  BOOST_TEST(line["address"] == "127.0.0.1:4242");
  BOOST_TEST(daemon_alive(daemon));
  BOOST_TEST(::getsid(daemon.pid) == daemon.pid);  // a session of its own: it outlives the command's terminal

  const auto outcomes = stop_daemons({daemon}, std::chrono::seconds(20));
  BOOST_REQUIRE_EQUAL(outcomes.size(), 1u);
  BOOST_TEST(outcomes[0] == StopOutcome::Stopped);
  BOOST_TEST(!daemon_alive(daemon));
  BOOST_TEST(stop_daemons({daemon}, std::chrono::seconds(1))[0] == StopOutcome::AlreadyGone);
}

BOOST_AUTO_TEST_CASE(a_daemon_that_ignores_sigterm_is_killed_after_the_grace_period) {
  TemporaryDirectory dir{"cluster-process"};
  // The trap is set before the line is written, so once the line is seen SIGTERM is certainly ignored.
  const DaemonProcess daemon =
      shell_daemon(dir, "stubborn", R"(trap '' TERM; echo '{"msg":"listening","address":"a:1"}'; exec sleep 60)");
  wait_for_listening(daemon, dir.path() / "stubborn.log", in_seconds(20), "stubborn");
  const auto outcomes = stop_daemons({daemon}, std::chrono::milliseconds(300));
  BOOST_TEST(outcomes[0] == StopOutcome::Killed);
  BOOST_TEST(!daemon_alive(daemon));
}

BOOST_AUTO_TEST_CASE(an_early_exit_is_reported_with_its_status_and_log) {
  TemporaryDirectory dir{"cluster-process"};
  const DaemonProcess daemon = shell_daemon(dir, "broken", "echo 'cannot bind 127.0.0.1:1'; exit 3");
  try {
    wait_for_listening(daemon, dir.path() / "broken.log", in_seconds(20), "the cloud");
    BOOST_FAIL("no listening line was written, yet the wait succeeded");
  } catch (const std::runtime_error& error) {
    const std::string message = error.what();
    BOOST_TEST(message.find("the cloud exited with status 3") != std::string::npos, message);
    BOOST_TEST(message.find("cannot bind 127.0.0.1:1") != std::string::npos, message);
  }
}

// A daemon that logs "listening" and exits at once may do both between the wait's look at its log and its look at the
// process: the wait must still report the line (it once said "exited", now and then, under the sanitizers). A race, so
// it is run a bounded number of times; each run takes a few milliseconds.
BOOST_AUTO_TEST_CASE(a_daemon_that_logs_listening_and_exits_at_once_was_listening) {
  for (int run = 0; run < 40; ++run) {
    TemporaryDirectory dir{"cluster-process"};
    const DaemonProcess daemon = shell_daemon(dir, "brief", R"(echo '{"msg":"listening","address":"a:1"}')");
    const auto line = wait_for_listening(daemon, dir.path() / "brief.log", in_seconds(20), "brief");
    BOOST_TEST(line["address"] == "a:1");
    stop_daemons({daemon}, std::chrono::seconds(20));
  }
}

BOOST_AUTO_TEST_CASE(daemons_get_no_outpost_variables_and_no_terminal_input) {
  TemporaryDirectory dir{"cluster-process"};
  ::setenv("OUTPOST_LISTEN", "127.0.0.1:1", 1);
  ::setenv("CLUSTER_PROCESS_TEST", "kept", 1);
  const DaemonProcess daemon = shell_daemon(
      dir, "env",
      R"(read line; echo "[$OUTPOST_LISTEN][$CLUSTER_PROCESS_TEST][$line]"; echo '{"msg":"listening","address":"a:1"}')");
  ::unsetenv("OUTPOST_LISTEN");
  ::unsetenv("CLUSTER_PROCESS_TEST");
  wait_for_listening(daemon, dir.path() / "env.log", in_seconds(20), "env");
  BOOST_TEST(read_file(dir.path() / "env.log").find("[][kept][]") != std::string::npos, read_file(dir.path() / "env.log"));
  stop_daemons({daemon}, std::chrono::seconds(20));
}

BOOST_AUTO_TEST_CASE(a_pid_with_another_start_time_is_another_process) {
  DaemonProcess self;
  self.pid = ::getpid();
  self.start_time = 0;  // unknown start time: the pid alone decides
  BOOST_TEST(daemon_alive(self));
  TemporaryDirectory dir{"cluster-process"};
  const DaemonProcess daemon = shell_daemon(dir, "sleeper", "exec sleep 60");
  DaemonProcess recycled = daemon;
  recycled.start_time = daemon.start_time + 1;
  BOOST_TEST(daemon_alive(daemon));
  BOOST_TEST(!daemon_alive(recycled));
  BOOST_TEST(stop_daemons({recycled}, std::chrono::seconds(1))[0] == StopOutcome::AlreadyGone);
  BOOST_TEST(daemon_alive(daemon));  // never signalled
  BOOST_TEST(stop_daemons({daemon}, std::chrono::seconds(20))[0] == StopOutcome::Stopped);
}

BOOST_AUTO_TEST_SUITE_END()
