#pragma once
// Runs a child process with extra environment variables and captures its combined output (the demo drives skopeo).
#include <filesystem>
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

// `skopeo ARGS...` with a cache of its own under `home` (XDG_DATA_HOME; _CONTAINERS_ROOTLESS_UID so it uses it even as
// root): skopeo's blob-info cache otherwise remembers blobs of other registries and skips uploads they need. Throws
// std::runtime_error with skopeo's output when it fails.
void run_skopeo(const std::vector<std::string>& args, const std::filesystem::path& home);

}  // namespace outpost::cli
