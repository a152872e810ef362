#pragma once
// Invariant (vii): no token reads a blob through a repository it may not read (SPEC 3.6). A read is a blob served
// (GET/HEAD 200) or lent by a mount (201); it goes through one repository (the path's, or the mount's `from`). It is a
// violation when the credentials could not read that repository at that node under any version of the World the node
// may hold (the oracle's content/read on it), or when the repository does not hold the blob: storing a blob once per
// digest never lets one repository serve another's. Who holds what is the caller's knowledge (what it pushed and
// synced where), not the node's own link table.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "reference/common/string_hash.h"
#include "simulator/check/credential.h"
#include "simulator/check/enforcement_invariant.h"
#include "simulator/check/violation.h"
#include "simulator/check/world_history.h"

namespace outpost::check {

struct BlobRead {
  WallTime time{};
  std::string address;        // the node (its login server)
  std::string authorization;  // the Authorization header sent
  std::string repository;     // read through (a mount: its source)
  std::string digest;
  bool mount = false;
  std::string mount_target;  // mount: where the blob was lent to
};

class BlobReadInvariant {
 public:
  // Does `repository` hold `digest` at the node at `address`?
  using Holds = std::function<bool(std::string_view address, std::string_view repository, std::string_view digest)>;

  BlobReadInvariant(const WorldHistory& history, const CredentialBook& book, ViolationLog& log,
                    EnforcementInvariant::Bound lag, Holds holds, OracleOptions options = {});

  bool observe(const BlobRead& read);

 private:
  // book_.resolve(authorization), kept below.
  const Credential& credential_of(const std::string& authorization);

  const WorldHistory& history_;
  const CredentialBook& book_;
  ViolationLog& log_;
  const EnforcementInvariant::Bound lag_;
  const Holds holds_;
  const OracleOptions options_;
  // The credentials each Authorization header resolved to, while neither the World (`versions_` versions) nor the
  // book (`generation_`) changed: a client reads every blob of an image with one header, and reading a JWT back
  // parses it. Never iterated.
  StringMap<Credential> credentials_;
  size_t versions_ = 0;
  uint64_t generation_ = 0;
};

}  // namespace outpost::check
