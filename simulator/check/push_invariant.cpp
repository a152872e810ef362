#include "simulator/check/push_invariant.h"

#include <algorithm>

#include "reference/common/time_format.h"

namespace outpost::check {

PushInvariant::PushInvariant(ViolationLog& log, Nanoseconds deadline) : log_(log), deadline_(deadline) {}

void PushInvariant::acknowledged(AcknowledgedPush push) { pending_.push_back(std::move(push)); }

void PushInvariant::withdrawn(std::string_view repository, std::string_view digest) {
  std::erase_if(pending_,
                [&](const AcknowledgedPush& push) { return push.repository == repository && push.digest == digest; });
}

void PushInvariant::healed(WallTime when) { healed_ = when; }

size_t PushInvariant::check(WallTime now, const ManifestLookup& manifest, const BlobLookup& blob) {
  std::vector<AcknowledgedPush> still;
  for (AcknowledgedPush& push : pending_) {
    std::string problem;
    const auto named = manifest(push.repository, push.digest);
    if (!named) {
      problem = "the cloud does not hold it";
    } else {
      std::vector<std::string> want = push.references, have = *named;
      std::sort(want.begin(), want.end());
      std::sort(have.begin(), have.end());
      if (want != have) {
        problem = "the cloud's manifest names other digests";
      } else {
        for (const std::string& digest : push.references)
          if (!manifest(push.repository, digest) && !blob(push.repository, digest)) {
            problem = "the cloud lacks " + digest;
            break;
          }
      }
    }
    if (problem.empty()) {
      ++settled_;
      continue;
    }
    const WallTime start = healed_ ? std::max(push.time, *healed_) : push.time;
    if (now >= start + deadline_) {
      log_.report(now, push.node, invariant::kAcknowledgedPushReachesCloud,
                  push.repository + (push.tag.empty() ? "" : ":" + push.tag) + "@" + push.digest +
                      ", acknowledged at " + format_rfc3339(push.time) + ": " + problem + " after " +
                      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now - start).count()) +
                      " ms");
      continue;  // reported once
    }
    still.push_back(std::move(push));
  }
  pending_ = std::move(still);
  return pending_.size();
}

}  // namespace outpost::check
