#pragma once
// Runs a child process with extra environment variables and captures its combined output (the demo drives skopeo).
#include <string>
#include <utility>
#include <vector>

namespace outpost::cli {

struct ProcessResult {
  int exit_code = -1;
  std::string output;
};

ProcessResult run_process(const std::vector<std::string>& argv,
                          const std::vector<std::pair<std::string, std::string>>& extra_env = {});

}  // namespace outpost::cli
