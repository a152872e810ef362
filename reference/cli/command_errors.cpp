#include "reference/cli/command_errors.h"

namespace outpost::cli {

namespace {
std::string summary(const std::vector<ApiFailure::Entry>& entries) {
  return entries.empty() ? std::string("the node refused the request") : entries.front().code + ": " + entries.front().message;
}
}  // namespace

ApiFailure::ApiFailure(int status, std::vector<Entry> entries)
    : std::runtime_error(summary(entries)), status_(status), entries_(std::move(entries)) {}

void print_usage_error(std::ostream& err, const std::string& message) {
  err << "outpost: usage: " << message << "\n"
      << "Run with --help for more information.\n";
}

int run_reporting_errors(const std::function<int()>& command, std::ostream& err) {
  try {
    return command();
  } catch (const UsageError& error) {
    print_usage_error(err, error.what());
    return kExitUsage;
  } catch (const ApiFailure& failure) {
    for (const auto& entry : failure.entries()) err << "outpost: " << entry.code << ": " << entry.message << "\n";
    if (failure.entries().empty()) err << "outpost: error: " << failure.what() << "\n";
    return kExitFailure;
  } catch (const std::exception& error) {
    err << "outpost: error: " << error.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace outpost::cli
