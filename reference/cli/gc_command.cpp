#include "reference/cli/gc_command.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "reference/cli/data_dir_lock.h"
#include "reference/storage/gc.h"
#include "reference/storage/space_reserve.h"

namespace outpost::cli {

int run_gc(const GcCommandOptions& options) {
  if (!std::filesystem::exists(std::filesystem::path(options.data) / "metadata.db"))
    throw std::runtime_error("no registry data in " + options.data);
  DataDirLock lock(options.data);
  SystemClock clock;
  SystemRandom random;
  auto storage = storage::open_disk_storage(options.data, clock, random);
  // gc's own deletes need room on a full disk: the reserve is given to them, and allocated again once gc freed space.
  storage::SpaceReserve reserve(std::filesystem::path(options.data) / "reserve");
  if (!options.dry_run) reserve.release(/*say_when_back=*/false);
  storage::GcOptions gc;
  gc.grace = std::chrono::duration_cast<Nanoseconds>(std::chrono::duration<double>(options.grace_seconds));
  gc.upload_grace =
      std::chrono::duration_cast<Nanoseconds>(std::chrono::duration<double>(options.upload_grace_seconds));
  gc.dry_run = options.dry_run;
  const storage::GcReport report = storage::collect_garbage(*storage, clock, gc);
  const bool reserve_held = reserve.ensure();
  nlohmann::json removed = nlohmann::json::array();
  for (const auto& blob : report.removed) removed.push_back({{"digest", blob.digest.str()}, {"size", blob.size}});
  nlohmann::json uploads = nlohmann::json::array();
  for (const auto& upload : report.uploads_removed)
    uploads.push_back({{"id", upload.id}, {"repository", upload.repository}, {"size", upload.size}});
  std::cout << nlohmann::json{{"removed", removed},
                              {"bytesFreed", report.bytes_freed},
                              {"blobsKept", report.blobs_kept},
                              {"uploadsRemoved", uploads},
                              {"uploadBytesFreed", report.upload_bytes_freed},
                              {"reserveHeld", reserve_held},
                              {"dryRun", options.dry_run}}
                   .dump(2)
            << std::endl;
  return 0;
}

}  // namespace outpost::cli
