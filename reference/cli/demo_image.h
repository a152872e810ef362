#pragma once
// Writes a small, valid OCI image layout (two tar layers of generated files, a config with their diff_ids) so the
// demo needs nothing from the network.
#include <filesystem>
#include <string>

namespace outpost::cli {

// Returns the image manifest's digest. `tag` becomes the org.opencontainers.image.ref.name of the layout's entry.
std::string write_demo_layout(const std::filesystem::path& directory, const std::string& tag);

}  // namespace outpost::cli
