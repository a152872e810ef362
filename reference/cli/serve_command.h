#pragma once
#include <functional>
#include <string>

#include "reference/cli/serve_options.h"

namespace outpost::cli {

// Runs a registry node until SIGTERM/SIGINT. `on_listening` (optional) is called with the bound address once the
// node accepts connections; `stop_request` (optional) receives a function that stops the node from another thread.
int run_serve(const ServeOptions& options, std::function<void(const std::string&)> on_listening = {},
              std::function<void(std::function<void()>)> stop_request = {});

}  // namespace outpost::cli
