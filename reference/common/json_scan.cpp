#include "reference/common/json_scan.h"

#include <array>
#include <bit>
#include <clocale>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace outpost {

namespace {

bool is_space(int c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(int c) { return c >= '0' && c <= '9'; }

// String bytes that need no second look: printable ASCII but '"' and '\\'. Nearly all of a body is made of them.
constexpr std::array<bool, 256> kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[c] = c != '"' && c != '\\';
  return plain;
}();

// The bytes among the eight at `at` that need a second look in a string (not kPlain), each as its high bit: a status
// body is mostly string bytes, and testing them a word at a time rather than a byte at a time (SWAR) is most of the
// scan's speed. In each test below the lowest flagged byte is exact (a borrow flags falsely only above a true flag), so
// the lowest flagged byte of all is the first special one in memory on a little-endian machine.
uint64_t special_bytes(const char* at) {
  constexpr uint64_t kOnes = 0x0101010101010101;
  constexpr uint64_t kHigh = 0x8080808080808080;
  uint64_t word;
  std::memcpy(&word, at, sizeof word);
  // A byte with its high bit set when it is zero; none is flagged when none is zero.
  const auto zero_byte = [](uint64_t bytes) { return (bytes - kOnes) & ~bytes & kHigh; };
  return (word & kHigh)                            // not ASCII
         | ((word - kOnes * 0x20) & ~word & kHigh)  // a control character (below 0x20)
         | zero_byte(word ^ (kOnes * '"')) | zero_byte(word ^ (kOnes * '\\'));
}

// Whether strtod reads a number token as a finite double. The lexer hands its strtod the token with '.' replaced by
// the decimal point of the C locale of the moment, and the parser refuses an infinite result.
bool finite_double(std::string_view token) {
  const std::lconv* locale = std::localeconv();
  const char point = locale->decimal_point == nullptr ? '.' : *locale->decimal_point;
  std::string copy(token);
  for (char& c : copy)
    if (c == '.') c = point;
  return std::isfinite(std::strtod(copy.c_str(), nullptr));
}

class Scanner {
 public:
  Scanner(std::string_view text, JsonOutline& outline, size_t max_depth)
      : text_(text), outline_(outline), max_depth_(max_depth) {}

  bool document() {
    if (text_.starts_with("\xEF\xBB\xBF")) pos_ = 3;  // a byte order mark, skipped only as the very first bytes
    // The containers the scan is in, as their closing brackets (the depth is their number), and where those up to
    // max_depth began. A byte per level: no recursion, however deep a body nests.
    std::string closers;
    std::vector<size_t> begins;
    for (;;) {
      // A value starts here.
      skip_space();
      size_t depth = closers.size();
      const size_t begin = pos_;
      const int c = peek();
      if (c == '{' || c == '[') {
        ++pos_;
        if (depth <= max_depth_) outline_.open(depth, static_cast<char>(c));
        const char closer = c == '{' ? '}' : ']';
        skip_space();
        if (!eat(closer)) {  // not empty: scan its first member's value or first element next
          closers.push_back(closer);
          if (depth <= max_depth_) begins.push_back(begin);
          if (closer == '}' && !key(depth + 1)) return false;
          continue;
        }
      } else if (c == '"') {
        if (!string()) return false;
      } else if (c == '-' || is_digit(c)) {
        if (!number()) return false;
      } else if (!literal("true") && !literal("false") && !literal("null")) {
        return false;
      }
      // The value at `depth` ended; so does each container that closes right after it.
      if (depth <= max_depth_) outline_.value(depth, text_.substr(begin, pos_ - begin));
      for (;;) {
        skip_space();
        // The end of the text. nlohmann's lexer also ends input at a NUL byte, which JSON never holds (json_depth.h).
        if (closers.empty()) return pos_ == text_.size();
        if (eat(',')) {
          if (closers.back() == '}' && !key(closers.size())) return false;
          break;  // to the next value
        }
        if (!eat(closers.back())) return false;
        closers.pop_back();
        depth = closers.size();
        if (depth <= max_depth_) {
          outline_.value(depth, text_.substr(begins.back(), pos_ - begins.back()));
          begins.pop_back();
        }
      }
    }
  }

 private:
  // The byte at the cursor, or -1 at the end.
  int peek() const { return pos_ < text_.size() ? static_cast<unsigned char>(text_[pos_]) : -1; }
  bool eat(char c) {
    if (pos_ >= text_.size() || text_[pos_] != c) return false;
    ++pos_;
    return true;
  }
  bool eat_in(int low, int high) {
    const int c = peek();
    if (c < low || c > high) return false;
    ++pos_;
    return true;
  }
  void skip_space() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }
  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  // An object member's key and the colon after it; the member's value is at `depth`.
  bool key(size_t depth) {
    skip_space();
    const size_t begin = pos_;
    escaped_ = false;
    if (peek() != '"' || !string()) return false;
    if (depth <= max_depth_) outline_.key(depth, JsonKey{text_.substr(begin, pos_ - begin), escaped_});
    skip_space();
    return eat(':');
  }

  // A string token from its opening quote. Control characters must be escaped; other bytes are checked as UTF-8.
  bool string() {
    ++pos_;
    for (;;) {
      skip_plain();
      const int c = peek();
      if (c == '"') {
        ++pos_;
        return true;
      }
      if (c == '\\') {
        if (!escape()) return false;
      } else if (c < 0x80 || !utf8(c)) {  // c < 0x80: the end of the text, or a control character
        return false;
      }
    }
  }

  // Moves the cursor past the string bytes that need no second look (kPlain). Most strings are short (a key, a state,
  // a time): the word that holds the closing quote says where it is, rather than its bytes being read one by one.
  void skip_plain() {
    const char* const data = text_.data();
    const size_t size = text_.size();
    size_t pos = pos_;
    for (; pos + 8 <= size; pos += 8) {
      const uint64_t special = special_bytes(data + pos);
      if (special == 0) continue;
      if constexpr (std::endian::native == std::endian::little) {
        pos_ = pos + static_cast<size_t>(std::countr_zero(special)) / 8;
        return;
      }
      break;  // elsewhere the byte loop below finds it
    }
    while (pos < size && kPlain[static_cast<unsigned char>(data[pos])]) ++pos;
    pos_ = pos;
  }

  // An escape from its backslash. A \u escape of a UTF-16 surrogate must be a high one followed at once by an escaped
  // low one: the lexer refuses a lone or mismatched surrogate.
  bool escape() {
    escaped_ = true;
    ++pos_;
    const int c = peek();
    ++pos_;
    switch (c) {
      case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    const int unit = hex4();
    if (unit >= 0xDC00 && unit <= 0xDFFF) return false;
    if (unit < 0xD800 || unit > 0xDBFF) return unit >= 0;
    if (!eat('\\') || !eat('u')) return false;
    const int low = hex4();
    return low >= 0xDC00 && low <= 0xDFFF;
  }

  // Four hex digits as a UTF-16 code unit; -1 when they are not there.
  int hex4() {
    int unit = 0;
    for (int i = 0; i < 4; ++i) {
      const int c = peek();
      int digit = 0;
      if (c >= '0' && c <= '9') {
        digit = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        digit = c - 'a' + 10;
      } else if (c >= 'A' && c <= 'F') {
        digit = c - 'A' + 10;
      } else {
        return -1;
      }
      unit = unit * 16 + digit;
      ++pos_;
    }
    return unit;
  }

  // A multi-byte UTF-8 sequence from its lead byte: the well-formed sequences of the Unicode standard (table 3-7), as
  // the lexer checks them: no overlong forms, no surrogates, nothing past U+10FFFF, nothing cut short.
  bool utf8(int lead) {
    int low = 0x80;  // the range of the second byte
    int high = 0xBF;
    int more = 0;  // continuation bytes after the second
    if (lead >= 0xC2 && lead <= 0xDF) {
      more = 0;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      more = 1;
      if (lead == 0xE0) low = 0xA0;
      if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      more = 2;
      if (lead == 0xF0) low = 0x90;
      if (lead == 0xF4) high = 0x8F;
    } else {
      return false;
    }
    ++pos_;
    if (!eat_in(low, high)) return false;
    for (; more > 0; --more)
      if (!eat_in(0x80, 0xBF)) return false;
    return true;
  }

  // A number token: RFC 8259's grammar (no '+', no leading zero, digits after '.' and after an exponent), and a value
  // a double holds. The parser refuses one whose strtod overflows (1e400; an integer too long for 64 bits is read as
  // a double too); asking strtod is left to the rare token that could be that large.
  bool number() {
    const size_t begin = pos_;
    eat('-');
    const size_t integer = pos_;
    if (!eat('0')) {
      if (!is_digit(peek())) return false;
      while (is_digit(peek())) ++pos_;
    }
    const long digits = static_cast<long>(pos_ - integer);  // the value is below 10^digits
    if (eat('.')) {
      if (!is_digit(peek())) return false;
      while (is_digit(peek())) ++pos_;
    }
    long exponent = 0;
    bool small_exponent = true;  // at most 4 digits, read exactly
    if (eat('e') || eat('E')) {
      const bool negative = eat('-');
      if (!negative) eat('+');
      if (!is_digit(peek())) return false;
      const size_t first = pos_;
      for (; is_digit(peek()); ++pos_)
        if (pos_ - first < 4) exponent = exponent * 10 + (text_[pos_] - '0');
      small_exponent = pos_ - first <= 4;
      if (negative) exponent = -exponent;
    }
    if (small_exponent && digits + exponent <= 308) return true;  // below 10^308 < DBL_MAX
    return finite_double(text_.substr(begin, pos_ - begin));
  }

  std::string_view text_;
  JsonOutline& outline_;
  const size_t max_depth_;
  size_t pos_ = 0;
  bool escaped_ = false;  // whether the string read last held an escape
};

}  // namespace

bool json_scan(std::string_view text, JsonOutline& outline, size_t max_depth) {
  return Scanner(text, outline, max_depth).document();
}

std::string json_string_value(std::string_view token) {
  if (const auto bytes = json_string_bytes(token)) return std::string(*bytes);
  return nlohmann::json::parse(token).get<std::string>();
}

std::optional<std::string_view> json_string_bytes(std::string_view token) {
  if (token.find('\\') != std::string_view::npos) return std::nullopt;
  return token.substr(1, token.size() - 2);
}

bool JsonKey::decoded_is(std::string_view word) const { return json_string_value(token) == word; }

}  // namespace outpost
