#pragma once
// Base64 (RFC 4648): the standard alphabet with padding (passwords, stored hashes) and the URL-safe alphabet without
// padding (JWT segments, key ids). Decoding is strict: a credential or a token that is not canonical base64 is refused
// rather than repaired, so one value never has two accepted spellings.
#include <optional>
#include <string>
#include <string_view>

namespace outpost::auth {

// Bytes travel as std::string / std::string_view, as elsewhere in Outpost.
std::string base64_encode(std::string_view bytes);     // "foob" -> "Zm9vYg=="
std::string base64url_encode(std::string_view bytes);  // "foob" -> "Zm9vYg"

// Refuses characters outside the alphabet, whitespace, missing or misplaced padding, and non-zero unused bits in the
// last symbol (so "Zh==" is refused although a lax decoder would read it as "f").
std::optional<std::string> base64_decode(std::string_view text);
// The URL-safe alphabet; refuses '=' padding (JWS forbids it, RFC 7515 section 2) and lengths of 1 mod 4.
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace outpost::auth
