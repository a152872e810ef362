#pragma once
#include <string>

namespace outpost::cli {

struct ClusterDemoOptions {
  std::string work_dir;  // empty: a new directory under the system's temporary directory
  bool keep = false;     // leave the cluster running at the end
  std::string program = "outpost";  // the executable as it was run, for the commands it suggests next
};

// What `outpost` runs with no arguments: the built-in edge-factory topology (cloud -> factory -> line1, cloud -> store)
// started with `cluster up`, an image pushed at the cloud with skopeo, waited for and pulled at line1 with line1's
// client token, every node's state printed, `cluster down`. Bounded: fails with a message after about a minute.
int run_cluster_demo(const ClusterDemoOptions& options);

}  // namespace outpost::cli
