#include "reference/registry/auth/signing_key_setting.h"

#include <stdexcept>

namespace outpost::registry {

auth::SigningKey load_or_create_signing_key(control::ControlPlane& control, Random& random) {
  if (const auto pem = control.setting(kSigningKeySetting)) {
    try {
      return auth::SigningKey::from_pem(*pem);
    } catch (const std::invalid_argument& error) {
      throw std::invalid_argument("the stored JWT signing key (setting " + std::string(kSigningKeySetting) +
                                  ") is unusable: " + error.what());
    }
  }
  auth::SigningKey key = auth::SigningKey::generate(random);
  control.put_setting(kSigningKeySetting, key.to_pem());
  return key;
}

}  // namespace outpost::registry
