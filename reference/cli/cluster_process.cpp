#include "reference/cli/cluster_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace outpost::cli {

namespace {

struct ProcStat {
  char state = '?';
  uint64_t start_time = 0;
};

// /proc/<pid>/stat: "pid (comm) state ppid ... starttime(22) ...". comm may hold spaces and parentheses, so the
// fields are counted from the last ')'.
std::optional<ProcStat> read_proc_stat(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!file || !std::getline(file, text)) return std::nullopt;
  const size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 1));
  std::vector<std::string> fields;
  for (std::string field; rest >> field;) fields.push_back(field);
  if (fields.size() < 20) return std::nullopt;
  ProcStat stat;
  stat.state = fields[0].empty() ? '?' : fields[0][0];  // field 3
  stat.start_time = std::stoull(fields[19]);            // field 22
  return stat;
}

class SpawnActions {
 public:
  SpawnActions() { posix_spawn_file_actions_init(&actions_); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions_); }
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

class SpawnAttributes {
 public:
  SpawnAttributes() { posix_spawnattr_init(&attributes_); }
  ~SpawnAttributes() { posix_spawnattr_destroy(&attributes_); }
  posix_spawnattr_t* get() { return &attributes_; }

 private:
  posix_spawnattr_t attributes_;
};

}  // namespace

DaemonProcess spawn_daemon(const std::vector<std::string>& argv, const std::filesystem::path& log) {
  if (argv.empty()) throw std::invalid_argument("spawn_daemon: empty command");
  SpawnActions actions;
  posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(actions.get(), 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  posix_spawn_file_actions_adddup2(actions.get(), 1, 2);
  posix_spawn_file_actions_addclosefrom_np(actions.get(), 3);  // no descriptor of ours leaks into a long-lived node

  // A new session: no controlling terminal, so closing the operator's terminal or pressing Ctrl-C after `up` returned
  // does not reach the cluster. Signal dispositions and mask are reset, whatever this process inherited.
  SpawnAttributes attributes;
  sigset_t empty, all;
  sigemptyset(&empty);
  sigfillset(&all);
  posix_spawnattr_setsigmask(attributes.get(), &empty);
  posix_spawnattr_setsigdefault(attributes.get(), &all);
  posix_spawnattr_setflags(attributes.get(), POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  std::vector<std::string> env_storage;
  for (char** entry = environ; *entry; ++entry)
    if (std::strncmp(*entry, "OUTPOST_", 8) != 0) env_storage.emplace_back(*entry);
  std::vector<char*> env, args;
  for (auto& entry : env_storage) env.push_back(entry.data());
  env.push_back(nullptr);
  std::vector<std::string> argv_copy = argv;
  for (auto& arg : argv_copy) args.push_back(arg.data());
  args.push_back(nullptr);

  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, args[0], actions.get(), attributes.get(), args.data(), env.data());
  if (spawned != 0) throw std::runtime_error("cannot run " + argv[0] + ": " + std::strerror(spawned));
  DaemonProcess process;
  process.pid = pid;
  // The child exists from here on (possibly already a zombie, which still has its stat entry).
  if (const auto stat = read_proc_stat(pid)) process.start_time = stat->start_time;
  return process;
}

std::string describe_exit_status(int status) {
  if (status < 128) return "exited with status " + std::to_string(status);
  const char* name = ::sigabbrev_np(status - 128);
  return "was killed by signal " + std::to_string(status - 128) + (name ? std::string(" (SIG") + name + ")" : "");
}

int reap_exit_status(const DaemonProcess& process) {
  int status = 0;
  const pid_t reaped = ::waitpid(process.pid, &status, WNOHANG);
  if (reaped != process.pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

namespace {
// What /proc says of the daemon, without reaping it: running, and still the process started (not its pid reused).
bool running_per_stat(const DaemonProcess& process, const std::optional<ProcStat>& stat) {
  if (!stat) return false;
  if (stat->state == 'Z' || stat->state == 'X') return false;  // exited, waiting for a parent that is not us
  return process.start_time == 0 || stat->start_time == process.start_time;
}
}  // namespace

bool daemon_alive(const DaemonProcess& process) {
  if (process.pid <= 0) return false;
  reap_exit_status(process);  // our own exited child: reaped here, so its stat entry disappears
  return running_per_stat(process, read_proc_stat(process.pid));
}

std::string log_tail(const std::filesystem::path& log, size_t lines) {
  std::ifstream file(log);
  if (!file) return "";
  std::deque<std::string> last;
  for (std::string line; std::getline(file, line);) {
    // The probes this command sends while it waits would push everything useful out of the tail.
    if (line.find("\"route\":\"readyz\"") != std::string::npos ||
        line.find("\"route\":\"healthz\"") != std::string::npos)
      continue;
    last.push_back(line);
    if (last.size() > lines) last.pop_front();
  }
  std::string out;
  for (const std::string& line : last) out += "  " + line + "\n";
  return out;
}

nlohmann::json wait_for_listening(const DaemonProcess& process, const std::filesystem::path& log,
                                  std::chrono::steady_clock::time_point deadline, const std::string& what) {
  nlohmann::json found;
  const auto logged_listening = [&] {
    std::ifstream file(log);
    for (std::string line; std::getline(file, line);) {
      if (line.empty() || line.front() != '{') continue;
      const auto entry = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (entry.is_object() && entry.value("msg", "") == "listening" && entry.contains("address")) {
        found = entry;
        return true;
      }
    }
    return false;
  };
  int exit_status = -1;
  const auto exited = [&] {
    exit_status = reap_exit_status(process);
    if (exit_status >= 0) return true;
    // Exited since that look: our own child stays a zombie until reaped, so it is reaped here for its status. Nothing
    // here asks daemon_alive(), which reaps too: a child that exited between the looks was reaped there and its
    // status lost ("exited" without saying how, now and then under the sanitizers).
    const auto stat = read_proc_stat(process.pid);
    if (stat && stat->state == 'Z') {
      exit_status = reap_exit_status(process);
      return true;
    }
    return !running_per_stat(process, stat);  // gone (reaped by someone else), or its pid is another process's now
  };
  // A process may log "listening" and exit between the look at its log and the look at its state: once it is gone its
  // log is complete, so the log is read once more before calling it dead.
  const bool listening =
      poll_until(deadline, [&] { return logged_listening() || exited(); }) && (found.is_object() || logged_listening());
  if (listening) return found;
  const bool gone = exit_status >= 0 || exited();  // (a last look, past the deadline, keeping the status)
  const std::string reason = exit_status >= 0 ? describe_exit_status(exit_status)
                             : gone           ? "exited"
                                              : "did not log \"listening\" in time";
  throw std::runtime_error(what + " " + reason + " (pid " + std::to_string(process.pid) + "); last lines of " +
                           log.string() + ":\n" + log_tail(log));
}

std::string_view describe(StopOutcome outcome) {
  switch (outcome) {
    case StopOutcome::AlreadyGone:
      return "was not running";
    case StopOutcome::Stopped:
      return "stopped";
    case StopOutcome::Killed:
      return "killed (did not stop within the grace period after SIGTERM)";
    case StopOutcome::Survived:
      return "STILL RUNNING after SIGKILL";
  }
  return "?";
}

std::vector<StopOutcome> stop_daemons(const std::vector<DaemonProcess>& processes, std::chrono::milliseconds grace,
                                      std::chrono::milliseconds kill_wait) {
  std::vector<StopOutcome> outcomes(processes.size(), StopOutcome::AlreadyGone);
  std::vector<bool> signalled(processes.size(), false);
  for (size_t i = 0; i < processes.size(); ++i) {
    if (!daemon_alive(processes[i])) continue;
    signalled[i] = ::kill(processes[i].pid, SIGTERM) == 0;
    if (signalled[i]) outcomes[i] = StopOutcome::Stopped;
  }
  const auto all_gone = [&] {
    for (size_t i = 0; i < processes.size(); ++i)
      if (signalled[i] && daemon_alive(processes[i])) return false;
    return true;
  };
  if (poll_until(std::chrono::steady_clock::now() + grace, all_gone)) return outcomes;
  for (size_t i = 0; i < processes.size(); ++i) {
    if (!signalled[i] || !daemon_alive(processes[i])) continue;
    ::kill(processes[i].pid, SIGKILL);
    outcomes[i] = StopOutcome::Killed;
  }
  poll_until(std::chrono::steady_clock::now() + kill_wait, all_gone);
  for (size_t i = 0; i < processes.size(); ++i)
    if (signalled[i] && daemon_alive(processes[i])) outcomes[i] = StopOutcome::Survived;
  return outcomes;
}

std::filesystem::path current_executable() { return std::filesystem::read_symlink("/proc/self/exe"); }

bool poll_until(std::chrono::steady_clock::time_point deadline, const std::function<bool()>& check,
                std::chrono::milliseconds interval) {
  for (;;) {
    if (check()) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(interval, deadline - now));
  }
}

}  // namespace outpost::cli
