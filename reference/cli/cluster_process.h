#pragma once
// The processes of a cluster: started as daemons that outlive `outpost cluster up` (own session, output appended to a
// log file, no terminal), found again by pid and start time (so a recycled pid is never signalled), and stopped with
// SIGTERM, then SIGKILL after a bound.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace outpost::cli {

struct DaemonProcess {
  pid_t pid = 0;
  uint64_t start_time = 0;  // /proc/<pid>/stat field 22: with the pid, names one process for its whole life
};

// Starts `argv` (argv[0] a path) in a new session with stdin from /dev/null and stdout and stderr appended to `log`.
// The environment is this process's without OUTPOST_* variables: every option a daemon gets is explicit, so an
// operator's OUTPOST_LISTEN cannot move a node. Throws std::runtime_error when it cannot start.
DaemonProcess spawn_daemon(const std::vector<std::string>& argv, const std::filesystem::path& log);

// Whether that process still runs (a zombie, a reaped child or a recycled pid counts as gone). Reaps it if it is our
// child and has exited.
bool daemon_alive(const DaemonProcess& process);

// The exit status of a child of ours that has exited (reaping it), or -1 while it runs or when it is not our child.
// 128 + N for a child killed by signal N, as shells report it.
int reap_exit_status(const DaemonProcess& process);
// "exited with status 3", "was killed by signal 11 (SIGSEGV)".
std::string describe_exit_status(int status);

// The first JSON line of `log` with "msg": "listening" (what `outpost serve` and `outpost proxy serve` log once bound).
// Polls until `deadline`; throws std::runtime_error with the log's last lines when the process exits first or the
// deadline passes. `what` names the process in messages.
nlohmann::json wait_for_listening(const DaemonProcess& process, const std::filesystem::path& log,
                                  std::chrono::steady_clock::time_point deadline, const std::string& what);

// The last `lines` lines of a log file ("" when unreadable), for error messages.
std::string log_tail(const std::filesystem::path& log, size_t lines = 20);

enum class StopOutcome {
  AlreadyGone,  // not running when asked to stop
  Stopped,      // exited after SIGTERM within the grace period
  Killed,       // still running after the grace period: SIGKILLed, and then gone
  Survived,     // still running even after SIGKILL (should not happen; reported)
};
std::string_view describe(StopOutcome outcome);

// SIGTERM to every running process at once, waits up to `grace` for all of them, SIGKILLs the rest and waits up to
// `kill_wait` more. One outcome per process, in order.
std::vector<StopOutcome> stop_daemons(const std::vector<DaemonProcess>& processes, std::chrono::milliseconds grace,
                                      std::chrono::milliseconds kill_wait = std::chrono::seconds(5));

// The path of the running executable (/proc/self/exe): daemons run the same outpost binary as the command.
std::filesystem::path current_executable();

// Calls `check` every `interval` until it returns true (then true) or `deadline` passes (then false). The waits of
// this command are polls of an observable state with a deadline, never a bare sleep.
bool poll_until(std::chrono::steady_clock::time_point deadline, const std::function<bool()>& check,
                std::chrono::milliseconds interval = std::chrono::milliseconds(50));

}  // namespace outpost::cli
