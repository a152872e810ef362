#pragma once
// Where a node's gateway gets what it serves about its children: at the cloud, the control plane; at a connected
// registry, the replica of its descendants' configurations it received from its own parent (SPEC 5.2: a CR relays).
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/common/clock.h"
#include "reference/common/error.h"
#include "reference/gateway/status_body.h"

namespace outpost::gateway {

class ConfigSource {
 public:
  virtual ~ConfigSource() = default;

  // The configuration document for `cr` (docs/protocol.md, "Configuration"): {"version", "loginServer", "config",
  // "descendants": [{"version", "config"}...]}, as the JSON text the gateway answers with. Nothing when `cr` is not
  // served here (not a descendant of this node). Text rather than a tree: a connected registry keeps its descendants'
  // configurations as the text it received, and writes a child's document from them without parsing any.
  virtual std::optional<std::string> document(std::string_view cr) = 0;
  // The version of that document (0 when unknown): cheap, asked on every message read.
  virtual uint64_t version(std::string_view cr) = 0;
  // The same, for a caller that asks about one CR again and again while it lasts (a long poll: when it arrives, at
  // each wake-up and at its deadline, minutes apart). A source may note in `hint` where it found the answer, so that
  // the next asks with the same hint skip the lookup by name while what it found then is still what it holds; the
  // hint keeps that alive. Start with an empty hint, use it for one CR only. Without an override: version(cr).
  struct VersionHint {
    std::shared_ptr<const void> holder;  // what `version` points into
    const uint64_t* version = nullptr;
  };
  virtual uint64_t version(std::string_view cr, VersionHint& hint) {
    (void)hint;
    return version(cr);
  }
  // What `cr` syncs: its repository patterns, and how long its messages wait (SPEC 5.5).
  virtual std::vector<std::string> repositories(std::string_view cr) = 0;
  virtual Nanoseconds message_ttl(std::string_view cr) = 0;

  // SPEC 2.7. `done` gets nothing on success, else the error to answer. A connected registry relays the request to
  // its own parent (so `done` may run later, on another thread).
  virtual void activate(std::string_view cr, const std::string& instance_id,
                        std::function<void(std::optional<ApiError>)> done) = 0;
  // SPEC 2.7: whether `instance` may go on syncing `cr`: false once another instance activated, or (where the source
  // knows) none is active. A source that cannot tell answers true.
  virtual bool is_active_instance(std::string_view cr, std::string_view instance) {
    (void)cr, (void)instance;
    return true;
  }
  // SPEC 5.3: status reports of `cr` and of its descendants, relayed upward by a connected registry as the bytes
  // they arrived in. They view the request's body, which lasts only the call: a relay copies each report it keeps
  // until its own next report (a regional CR's carry its whole subtree's), once; the cloud reads them in place.
  virtual void report_status(std::string_view cr, std::vector<RawReport> reports) = 0;
};

}  // namespace outpost::gateway
