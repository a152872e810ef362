#include "reference/auth/token.h"

#include "reference/common/ascii.h"

namespace outpost::auth {

std::string_view to_string(TokenStatus status) { return status == TokenStatus::Enabled ? "enabled" : "disabled"; }

std::optional<TokenStatus> parse_token_status(std::string_view text) {
  const std::string lower = ascii_lowercase(text);
  if (lower == "enabled") return TokenStatus::Enabled;
  if (lower == "disabled") return TokenStatus::Disabled;
  return std::nullopt;
}

std::string_view to_string(PasswordName name) { return name == PasswordName::Password1 ? "password1" : "password2"; }

std::optional<PasswordName> parse_password_name(std::string_view text) {
  if (text == "password1") return PasswordName::Password1;
  if (text == "password2") return PasswordName::Password2;
  return std::nullopt;
}

bool password_slot_valid(const PasswordSlot& slot, WallTime now) {
  return slot.present && (!slot.expiry || now < *slot.expiry);
}

LoginResult evaluate_login(const Token* token, std::array<bool, 2> matches, WallTime now) {
  if (token == nullptr) return LoginResult::UnknownToken;
  bool matched_expired = false;
  for (size_t i = 0; i < token->passwords.size(); ++i) {
    const PasswordSlot& slot = token->passwords[i];
    if (!slot.present || !matches[i]) continue;
    if (password_slot_valid(slot, now)) {
      // The password is right; only now does the status matter, so a disabled token is reported as such only to the
      // holder of a valid password (SPEC 2.6 relies on this for sync tokens).
      return token->status == TokenStatus::Enabled ? LoginResult::Accepted : LoginResult::Disabled;
    }
    matched_expired = true;
  }
  return matched_expired ? LoginResult::PasswordExpired : LoginResult::WrongPassword;
}

}  // namespace outpost::auth
