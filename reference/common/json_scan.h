#pragma once
// One pass over a JSON text that both checks it and outlines it. The verdict is nlohmann::json::accept's on every
// input (the parser this project answers with elsewhere, so a body is JSON here exactly when it is JSON there), and
// while checking, the scan tells a reader where the values of the first few levels begin and end. A reader that needs
// only those (a relay splitting a status body into reports) then reads each byte once instead of twice, and never
// builds a tree. Iterative: a body nested a million levels deep costs a byte of stack per level, not a call frame.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace outpost {

// An object member's key as the scan read it.
struct JsonKey {
  std::string_view token;  // as written, quotes and escapes included
  bool escaped = false;    // whether it holds an escape (nearly never)
  // Whether it means `word` (written without '"' or '\\'): compared in place unless it holds an escape. Inline: a
  // reader asks it of most keys, and most keys differ from the word in length.
  bool is(std::string_view word) const {
    if (escaped) return decoded_is(word);
    return token.size() == word.size() + 2 && token.substr(1, word.size()) == word;
  }
  bool decoded_is(std::string_view word) const;
};

// What the scan tells its reader, in document order, for values at most `max_depth` levels down (the whole text is
// depth 0, its members or elements depth 1, ...). Events arrive before the verdict: a reader keeps what it gathered
// only when json_scan returns true.
class JsonOutline {
 public:
  // A '{' or '[' (`bracket`) opened a value at `depth`: the events of its members or elements follow.
  virtual void open(size_t depth, char bracket) = 0;
  // An object member's key; its value is at `depth`.
  virtual void key(size_t depth, const JsonKey& key) = 0;
  // A value at `depth` ended: its bytes as written, without the whitespace around them.
  virtual void value(size_t depth, std::string_view bytes) = 0;

 protected:
  ~JsonOutline() = default;
};

// Whether nlohmann::json::accept(text) holds and `text` holds no NUL byte (3.11: RFC 8259 as its lexer reads it: a
// UTF-8 byte order mark skipped at the very start, strict UTF-8 in strings, no lone surrogate escapes, numbers whose
// double overflows refused; the lexer would also end the input at a NUL after the value, which is refused here: see
// json_holds_nul), telling `outline` about the values up to `max_depth` on the way.
bool json_scan(std::string_view text, JsonOutline& outline, size_t max_depth);

// For readers of an outline. A string token's value (`token` as the scan gave it, quotes included): its bytes when it
// holds no escape, else decoded as JSON decodes it.
std::string json_string_value(std::string_view token);
// The same value in place, without a copy, when the token holds no escape (its bytes between the quotes); nothing
// when it does (json_string_value decodes it).
std::optional<std::string_view> json_string_bytes(std::string_view token);

}  // namespace outpost
