#pragma once
// How the management verbs (`outpost scope-map ...`, `outpost token ...`) fail: one line per problem on stderr as
// "outpost: <code>: <message>", and an exit status a script can branch on without parsing text.
#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace outpost::cli {

inline constexpr int kExitFailure = 1;  // the node refused (an API error), or could not be reached
inline constexpr int kExitUsage = 2;    // the command line itself is wrong; nothing was sent

// A command line that cannot work whatever the node says. Printed with the code "usage".
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An error answer of the management API: its HTTP status and the entries of its {"errors": [{"code", "message"}]}.
class ApiFailure : public std::runtime_error {
 public:
  struct Entry {
    std::string code;
    std::string message;
  };
  ApiFailure(int status, std::vector<Entry> entries);
  int status() const { return status_; }
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  int status_;
  std::vector<Entry> entries_;
};

// Runs `command` and returns its exit status; a UsageError, an ApiFailure or any other exception (a transport failure,
// code "error") is written to `err` and answered with kExitUsage or kExitFailure.
int run_reporting_errors(const std::function<int()>& command, std::ostream& err);

// The line for a usage error that the option parser found ("outpost: usage: ...", plus where to find help).
void print_usage_error(std::ostream& err, const std::string& message);

}  // namespace outpost::cli
