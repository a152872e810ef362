#include "simulator/world/data_root.h"

#include <stdlib.h>
#include <sys/resource.h>

#include <stdexcept>
#include <system_error>

namespace outpost::sim::world {

DataRoot::DataRoot() {
  // A host on disk keeps about eight files open (three SQLite databases and their write-ahead logs, blob files while
  // they are read), so the usual soft limit of 1,024 stopped a tree of 250 nodes at its build. The hard limit is the
  // process's to take; a simulator on disk storage takes it.
  if (rlimit limit{}; ::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &limit);  // best effort: the build names the file it could not open otherwise
  }
  // mkdtemp makes the name unique and the directory in one step: worlds running side by side never share one.
  std::string pattern = (std::filesystem::temp_directory_path() / "outpost-sim-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr)
    throw std::runtime_error("cannot make a directory for the hosts' data under " +
                             std::filesystem::temp_directory_path().string());
  path_ = pattern;
}

DataRoot::~DataRoot() {
  std::error_code ignored;  // a destructor must not throw; a directory left behind is named outpost-sim-*
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace outpost::sim::world
