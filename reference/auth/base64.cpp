#include "reference/auth/base64.h"

#include <array>
#include <cstdint>

namespace outpost::auth {

namespace {
constexpr std::string_view kStandard = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr std::string_view kUrlSafe = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr uint8_t kInvalid = 0xff;

constexpr std::array<uint8_t, 256> reverse_table(std::string_view alphabet) {
  std::array<uint8_t, 256> table{};
  for (auto& entry : table) entry = kInvalid;
  for (size_t i = 0; i < alphabet.size(); ++i) table[static_cast<unsigned char>(alphabet[i])] = static_cast<uint8_t>(i);
  return table;
}
constexpr auto kStandardReverse = reverse_table(kStandard);
constexpr auto kUrlSafeReverse = reverse_table(kUrlSafe);

std::string encode(std::string_view bytes, std::string_view alphabet, bool pad) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16 |
                           static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8 |
                           static_cast<unsigned char>(bytes[i + 2]);
    out.push_back(alphabet[group >> 18 & 63]);
    out.push_back(alphabet[group >> 12 & 63]);
    out.push_back(alphabet[group >> 6 & 63]);
    out.push_back(alphabet[group & 63]);
  }
  const size_t rest = bytes.size() - i;
  if (rest == 0) return out;
  uint32_t group = static_cast<uint32_t>(static_cast<unsigned char>(bytes[i])) << 16;
  if (rest == 2) group |= static_cast<uint32_t>(static_cast<unsigned char>(bytes[i + 1])) << 8;
  out.push_back(alphabet[group >> 18 & 63]);
  out.push_back(alphabet[group >> 12 & 63]);
  if (rest == 2) out.push_back(alphabet[group >> 6 & 63]);
  if (pad) out.append(rest == 1 ? "==" : "=");
  return out;
}

// Decodes unpadded symbols (the caller has already stripped and checked any padding). Four symbols at a time into a
// buffer sized up front: every Basic request and every stored hash it is checked against comes through here, and a
// symbol at a time with a push_back each cost several times as much.
std::optional<std::string> decode_symbols(std::string_view symbols, const std::array<uint8_t, 256>& reverse) {
  const size_t rest = symbols.size() % 4;
  if (rest == 1) return std::nullopt;  // one symbol carries only 6 bits: never a whole byte
  std::string out(symbols.size() / 4 * 3 + (rest == 0 ? 0 : rest - 1), '\0');
  const auto* from = reinterpret_cast<const unsigned char*>(symbols.data());
  char* to = out.data();
  // Valid symbols are below 64, so kInvalid is the only value with either of the top two bits set.
  constexpr uint32_t kInvalidBits = 0xc0;
  for (const unsigned char* whole_end = from + symbols.size() - rest; from != whole_end; from += 4, to += 3) {
    const uint32_t a = reverse[from[0]], b = reverse[from[1]], c = reverse[from[2]], d = reverse[from[3]];
    if ((a | b | c | d) & kInvalidBits) return std::nullopt;
    const uint32_t group = a << 18 | b << 12 | c << 6 | d;
    to[0] = static_cast<char>(group >> 16);
    to[1] = static_cast<char>(group >> 8 & 0xff);
    to[2] = static_cast<char>(group & 0xff);
  }
  if (rest == 0) return out;
  // Two symbols (12 bits) make one byte and three (18 bits) make two. The leftover bits (4 or 2) must be zero,
  // otherwise two different texts would decode to the same bytes.
  const uint32_t a = reverse[from[0]], b = reverse[from[1]], c = rest == 3 ? reverse[from[2]] : 0;
  if ((a | b | c) & kInvalidBits) return std::nullopt;
  const uint32_t group = a << 18 | b << 12 | c << 6;
  if (group & (rest == 2 ? 0xffff : 0xff)) return std::nullopt;
  to[0] = static_cast<char>(group >> 16);
  if (rest == 3) to[1] = static_cast<char>(group >> 8 & 0xff);
  return out;
}
}  // namespace

std::string base64_encode(std::string_view bytes) { return encode(bytes, kStandard, true); }

std::string base64url_encode(std::string_view bytes) { return encode(bytes, kUrlSafe, false); }

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') ++padding;
  const std::string_view symbols = text.substr(0, text.size() - padding);
  // A third '=' (or one elsewhere) is caught as an invalid symbol; a full last group with padding is impossible here.
  return decode_symbols(symbols, kStandardReverse);
}

std::optional<std::string> base64url_decode(std::string_view text) { return decode_symbols(text, kUrlSafeReverse); }

}  // namespace outpost::auth
