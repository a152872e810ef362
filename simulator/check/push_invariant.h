#pragma once
// Invariant (v): every push a ReadWrite node acknowledged (201 for the manifest) reaches the cloud with identical
// digests: the cloud holds that manifest digest in that repository (by digest: SPEC 5.7 lets the parent's tag win a
// conflict), naming the same digests, and holds every blob it names. Each push must be there within a deadline of its
// acknowledgement (or of the last heal, when faults kept it from travelling).
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "simulator/check/violation.h"

namespace outpost::check {

struct AcknowledgedPush {
  WallTime time{};
  std::string node;  // where it was pushed
  std::string repository;
  std::string tag;  // "" when pushed by digest
  std::string digest;
  std::vector<std::string> references;  // the digests the pushed manifest names
};

class PushInvariant {
 public:
  // The cloud's manifest `digest` in `repository`: the digests it names, or nothing when it does not hold it.
  using ManifestLookup =
      std::function<std::optional<std::vector<std::string>>(std::string_view repository, std::string_view digest)>;
  using BlobLookup = std::function<bool(std::string_view repository, std::string_view digest)>;

  PushInvariant(ViolationLog& log, Nanoseconds deadline);

  void acknowledged(AcknowledgedPush push);
  // Deleted by digest on purpose since (at the cloud, or at a node, the delete going up): no longer expected there.
  void withdrawn(std::string_view repository, std::string_view digest);
  // Faults healed at `when`: pushes held back by them have until when + deadline.
  void healed(WallTime when);

  // Looks for every outstanding push at the cloud: arrived pushes are settled; one still missing (or arrived with
  // other digests) past its deadline is a violation. Returns how many are still outstanding.
  size_t check(WallTime now, const ManifestLookup& manifest, const BlobLookup& blob);
  size_t outstanding() const { return pending_.size(); }
  size_t settled() const { return settled_; }

 private:
  ViolationLog& log_;
  const Nanoseconds deadline_;
  std::optional<WallTime> healed_;
  std::vector<AcknowledgedPush> pending_;
  size_t settled_ = 0;
};

}  // namespace outpost::check
