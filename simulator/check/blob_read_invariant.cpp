#include "simulator/check/blob_read_invariant.h"

#include "simulator/check/oracle.h"

namespace outpost::check {

BlobReadInvariant::BlobReadInvariant(const WorldHistory& history, const CredentialBook& book, ViolationLog& log,
                                     EnforcementInvariant::Bound lag, Holds holds, OracleOptions options)
    : history_(history), book_(book), log_(log), lag_(std::move(lag)), holds_(std::move(holds)), options_(options) {}

bool BlobReadInvariant::observe(const BlobRead& read) {
  const World& now = history_.current();
  const auto node = now.node_at(read.address);
  if (!node) return true;
  const std::string what = std::string(read.mount ? "mounted " : "read ") + read.digest + " through " +
                           read.repository + (read.mount ? " into " + read.mount_target : "");
  if (holds_ && !holds_(read.address, read.repository, read.digest)) {
    log_.report(read.time, read.address, invariant::kNoReadWithoutRight,
                what + ": that repository does not hold the blob (SPEC 3.6)");
    return false;
  }
  // Could these credentials pull from that repository here, under a version the node may still hold?
  Request pull;
  pull.operation = Operation::PullBlob;
  pull.repository = read.repository;
  const Credential credential = book_.resolve(read.authorization, now);
  const auto [first, last] = history_.current_during(read.time, lag_(now.depth(*node)));
  for (size_t version = first; version <= last; ++version) {
    const Answer allowed = answer(history_.world(version), *node, pull, credential, read.time, options_);
    // A 404 for a repository the CR does not sync is no refusal of the right; it cannot have served it either.
    if (allowed.allowed()) return true;
  }
  log_.report(read.time, read.address, invariant::kNoReadWithoutRight,
              what + " by " + describe(credential) + ", which may not read " + read.repository + " there (SPEC 3.6)");
  return false;
}

}  // namespace outpost::check
