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

NodeSigningKey::NodeSigningKey(control::ControlPlane& control, Random& random) : control_(control), random_(random) {
  if (control.setting(kSigningKeySetting)) get();
}

const auth::SigningKey& NodeSigningKey::get() {
  if (ready_.load(std::memory_order_acquire)) return *key_;
  const std::lock_guard lock(mutex_);
  if (!key_) {
    key_ = load_or_create_signing_key(control_, random_);
    keys_ = auth::KeySet({key_->verifying_key()});
    ready_.store(true, std::memory_order_release);
  }
  return *key_;
}

const auth::KeySet& NodeSigningKey::verifying_keys() const {
  static const auth::KeySet kNone;
  return ready_.load(std::memory_order_acquire) ? keys_ : kNone;
}

}  // namespace outpost::registry
