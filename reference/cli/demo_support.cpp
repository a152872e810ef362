#include "reference/cli/demo_support.h"

#include <stdlib.h>

#include <iostream>
#include <stdexcept>

namespace outpost::cli {

std::filesystem::path make_work_dir(const std::string& requested, const std::string& temp_prefix) {
  if (!requested.empty()) {
    std::filesystem::create_directories(requested);
    return std::filesystem::absolute(requested);
  }
  std::string pattern = (std::filesystem::temp_directory_path() / (temp_prefix + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create a temporary directory");
  return pattern;
}

void step(const std::string& text) { std::cout << "==> " << text << std::endl; }

}  // namespace outpost::cli
