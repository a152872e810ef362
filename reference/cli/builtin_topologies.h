#pragma once
// Topologies built into the binary, so `outpost` alone (the demo) and `outpost cluster up edge-factory` work without
// the source tree. Their text is scenarios/topologies/<name>.json, copied in at build time (builtin_topologies.cpp.in).
#include <optional>
#include <string_view>
#include <vector>

namespace outpost::cli {

// The JSON text of the built-in topology `name`, or nullopt.
std::optional<std::string_view> builtin_topology(std::string_view name);
std::vector<std::string_view> builtin_topology_names();

}  // namespace outpost::cli
