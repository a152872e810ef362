#pragma once
// The data directories of a world's hosts on disk storage (a scenario's "storage": "disk"): one new directory under
// the system's temporary directory (TMPDIR moves it), a directory per host inside it, all removed with the world. The
// path reaches no trace: one seed's runs in two directories are the same run. Making one raises the process's soft
// limit on open files to its hard limit (a host keeps about eight open).
#include <filesystem>
#include <string>

namespace outpost::sim::world {

class DataRoot {
 public:
  DataRoot();  // throws std::runtime_error when the directory cannot be made
  ~DataRoot();
  DataRoot(const DataRoot&) = delete;
  DataRoot& operator=(const DataRoot&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path host(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

}  // namespace outpost::sim::world
