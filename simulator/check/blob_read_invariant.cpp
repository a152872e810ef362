#include "simulator/check/blob_read_invariant.h"

#include "simulator/check/oracle.h"

namespace outpost::check {

namespace {
// Headers are the clients' (a few per client): a run whose headers never repeat starts over past this many.
constexpr size_t kMaxCredentials = 1 << 14;
}  // namespace

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
  const Credential& credential = credential_of(read.authorization);
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

const Credential& BlobReadInvariant::credential_of(const std::string& authorization) {
  if (history_.size() != versions_ || book_.generation() != generation_ || credentials_.size() >= kMaxCredentials) {
    credentials_.clear();  // a new version or credential: a header may read differently now
    versions_ = history_.size();
    generation_ = book_.generation();
  }
  auto known = credentials_.find(authorization);
  if (known == credentials_.end())
    known = credentials_.emplace(authorization, book_.resolve(authorization)).first;
  return known->second;
}

}  // namespace outpost::check
