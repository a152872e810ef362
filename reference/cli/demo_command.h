#pragma once
#include <string>

namespace outpost::cli {

struct DemoOptions {
  std::string work_dir;  // empty: a new directory under the system's temporary directory
  std::string program = "outpost";  // the executable as it was run, for the commands it suggests next
};

// The main job on its embedded defaults: start a registry on 127.0.0.1 with on-disk storage, push a small generated
// image into it with skopeo, pull it back, check the digests, print where to look next, stop.
int run_demo(const DemoOptions& options);

}  // namespace outpost::cli
