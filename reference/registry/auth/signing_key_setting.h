#pragma once
// The node's JWT signing key (SPEC 3.4): generated at first start and kept in the control plane's settings as PEM, so
// tokens issued before a restart still verify after it.
#include <atomic>
#include <mutex>
#include <optional>
#include <string_view>

#include "reference/auth/jwt.h"
#include "reference/common/random.h"
#include "reference/control/control_plane.h"

namespace outpost::registry {

inline constexpr std::string_view kSigningKeySetting = "jwt.signing_key";

// The stored key, or a new one (drawn from `random`) stored now. Throws std::invalid_argument when the stored PEM is
// not a P-256 key: a damaged key is reported, never silently replaced (that would void every refresh token).
auth::SigningKey load_or_create_signing_key(control::ControlPlane& control, Random& random);

// The node's key, made the first time the node signs a token rather than at start: making a P-256 key pair costs a
// few hundred microseconds, and most nodes of a large tree (the simulator starts thousands) never issue a token. A
// stored key is loaded at once, so a restarted node verifies what it issued before. Thread-safe.
class NodeSigningKey {
 public:
  // Both must outlive this object. Throws as load_or_create_signing_key does for a damaged stored key.
  NodeSigningKey(control::ControlPlane& control, Random& random);
  NodeSigningKey(const NodeSigningKey&) = delete;
  NodeSigningKey& operator=(const NodeSigningKey&) = delete;

  const auth::SigningKey& get();  // the stored key, or one made and stored now
  // The keys bearer tokens are verified with: none until the node has a key (no token it signed can exist before).
  const auth::KeySet& verifying_keys() const;

 private:
  control::ControlPlane& control_;
  Random& random_;
  mutable std::mutex mutex_;
  std::optional<auth::SigningKey> key_;  // written once, under mutex_, before ready_
  auth::KeySet keys_;
  std::atomic<bool> ready_{false};
};

}  // namespace outpost::registry
