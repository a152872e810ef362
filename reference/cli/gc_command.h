#pragma once
#include <string>

namespace outpost::cli {

struct GcCommandOptions {
  std::string data = "./outpost-data";
  double grace_seconds = 3600;
  double upload_grace_seconds = 86400;
  bool dry_run = false;
};

// Offline garbage collection of a data directory (the server must be stopped); prints a JSON report on stdout.
int run_gc(const GcCommandOptions& options);

}  // namespace outpost::cli
