#pragma once
// A new directory under the system's temporary directory, removed with everything in it when the test is done. Every
// unit test that needs files on disk takes one of these: mkdtemp makes the name unique and the directory in one step,
// so two test processes running at once (ctest -j) never share one.
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace outpost::testing {

class TemporaryDirectory {
 public:
  // `purpose` names the directory (outpost-<purpose>-XXXXXX), so one left behind by a killed test says whose it was.
  explicit TemporaryDirectory(std::string_view purpose = "test") {
    std::string pattern =
        (std::filesystem::temp_directory_path() / ("outpost-" + std::string(purpose) + "-XXXXXX")).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot make a temporary directory " + pattern);
    path_ = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TemporaryDirectory(const TemporaryDirectory&) = delete;
  TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;

  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace outpost::testing
