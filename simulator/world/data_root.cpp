#include "simulator/world/data_root.h"

#include <stdlib.h>

#include <stdexcept>
#include <system_error>

namespace outpost::sim::world {

DataRoot::DataRoot() {
  // mkdtemp makes the name unique and the directory in one step: worlds running side by side never share one.
  std::string pattern = (std::filesystem::temp_directory_path() / "outpost-sim-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("cannot make a directory for the hosts' data under " +
                             std::filesystem::temp_directory_path().string());
  path_ = pattern;
}

DataRoot::~DataRoot() { remove(); }

void DataRoot::remove() noexcept {
  std::error_code ignored;  // nothing to do about it: a directory left behind is named outpost-sim-*
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace outpost::sim::world
