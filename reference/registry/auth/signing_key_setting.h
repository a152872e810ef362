#pragma once
// The node's JWT signing key (SPEC 3.4): generated at first start and kept in the control plane's settings as PEM, so
// tokens issued before a restart still verify after it.
#include <string_view>

#include "reference/auth/jwt.h"
#include "reference/common/random.h"
#include "reference/control/control_plane.h"

namespace outpost::registry {

inline constexpr std::string_view kSigningKeySetting = "jwt.signing_key";

// The stored key, or a new one (drawn from `random`) stored now. Throws std::invalid_argument when the stored PEM is
// not a P-256 key: a damaged key is reported, never silently replaced (that would void every refresh token).
auth::SigningKey load_or_create_signing_key(control::ControlPlane& control, Random& random);

}  // namespace outpost::registry
