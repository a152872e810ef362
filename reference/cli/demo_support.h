#pragma once
// What both demos (`outpost demo`, `outpost cluster demo`) share: where they work and how they say what they do.
#include <filesystem>
#include <string>

namespace outpost::cli {

// `requested` (created if missing) as an absolute path, or a new directory under the system's temporary directory
// named from `temp_prefix` when nothing was requested.
std::filesystem::path make_work_dir(const std::string& requested, const std::string& temp_prefix);

// One step of a demo, as its reader follows it: "==> text".
void step(const std::string& text);

}  // namespace outpost::cli
