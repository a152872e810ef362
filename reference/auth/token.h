#pragma once
// Token state (SPEC 3.3): what the control plane keeps about a token and what authentication consults. Password hashes
// are opaque here (their format belongs to password hashing); times are passed in, never read from a clock.
#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "reference/common/clock.h"

namespace outpost::auth {

enum class TokenStatus { Enabled, Disabled };
std::string_view to_string(TokenStatus status);  // "enabled" | "disabled"
// Case-insensitive on input, as the management API and CLI take it; nothing for any other word.
std::optional<TokenStatus> parse_token_status(std::string_view text);

// Either password authenticates; each is replaced on its own, which is what makes rotation work.
enum class PasswordName { Password1 = 0, Password2 = 1 };
std::string_view to_string(PasswordName name);  // "password1" | "password2"
std::optional<PasswordName> parse_password_name(std::string_view text);

struct PasswordSlot {
  bool present = false;  // a token may be created without passwords, or have one removed
  std::string hash;      // opaque: as the password hasher wrote it
  WallTime creation_time{};
  std::optional<WallTime> expiry;  // absent = never; a past value is accepted and means already expired
};

// A password slot may authenticate at `now`: present and not expired. The expiry instant itself is already expired.
bool password_slot_valid(const PasswordSlot& slot, WallTime now);

struct Token {
  std::string name;
  std::string scope_map;
  TokenStatus status = TokenStatus::Enabled;
  std::array<PasswordSlot, 2> passwords{};

  PasswordSlot& password(PasswordName which) { return passwords[static_cast<size_t>(which)]; }
  const PasswordSlot& password(PasswordName which) const { return passwords[static_cast<size_t>(which)]; }
};

// The outcome of presenting a password for a token, once the caller has compared it with each present slot's hash
// (`matches`: slot i's hash accepts the password). The distinctions are for logs and tests; every failure answers the
// same 401 (SPEC 4.5).
enum class LoginResult { Accepted, UnknownToken, WrongPassword, Disabled, PasswordExpired };
LoginResult evaluate_login(const Token* token, std::array<bool, 2> matches, WallTime now);

}  // namespace outpost::auth
