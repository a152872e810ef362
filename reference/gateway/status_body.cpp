#include "reference/gateway/status_body.h"

namespace outpost::gateway {

namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// A cursor over text already known to be valid JSON: it finds where values begin and end, and decodes only object
// keys and the strings it is asked for. Validity is what makes the skipping safe: brackets balance, strings close.
class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  char peek() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
    return pos_ < text_.size() ? text_[pos_] : '\0';
  }
  void take(char) {
    peek();
    ++pos_;
  }
  // Where the next value starts, and the bytes read since such a start.
  size_t start() {
    peek();
    return pos_;
  }
  std::string_view since(size_t begin) const { return text_.substr(begin, pos_ - begin); }

  // The next value's bytes, skipped.
  std::string_view value() {
    const size_t begin = start();
    const char first = text_[pos_];
    if (first == '"') {
      skip_string();
    } else if (first == '{' || first == '[') {
      int depth = 0;
      do {
        const char c = text_[pos_];
        if (c == '"') {
          skip_string();
          continue;
        }
        if (c == '{' || c == '[') ++depth;
        if (c == '}' || c == ']') --depth;
        ++pos_;
      } while (depth > 0);
    } else {  // a number, true, false or null: up to the next delimiter
      while (pos_ < text_.size() && !is_space(text_[pos_]) && text_[pos_] != ',' && text_[pos_] != '}' &&
             text_[pos_] != ']')
        ++pos_;
    }
    return since(begin);
  }

  // Each member of the object that starts here, in order: `on_member(key)` must consume the member's value.
  template <class OnMember>
  void members(OnMember on_member) {
    take('{');
    if (peek() == '}') return take('}');
    for (;;) {
      peek();
      const std::string key = decode_string(value());
      take(':');
      on_member(key);
      if (peek() != ',') return take('}');
      take(',');
    }
  }

  // Each element of the array that starts here: `on_element()` must consume it.
  template <class OnElement>
  void elements(OnElement on_element) {
    take('[');
    if (peek() == ']') return take(']');
    for (;;) {
      on_element();
      if (peek() != ',') return take(']');
      take(',');
    }
  }

  // A string token's value: its bytes when it holds no escape, else decoded as JSON decodes it.
  static std::string decode_string(std::string_view token) {
    if (token.find('\\') == std::string_view::npos) return std::string(token.substr(1, token.size() - 2));
    return nlohmann::json::parse(token).get<std::string>();
  }

 private:
  void skip_string() {
    ++pos_;  // the opening quote
    while (text_[pos_] != '"') pos_ += text_[pos_] == '\\' ? 2 : 1;
    ++pos_;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// The report that starts here, read once: its bytes, and its name when it is an object whose last "name" member is a
// string.
RawReport read_report(Scanner& scanner) {
  RawReport report;
  const size_t begin = scanner.start();
  if (scanner.peek() == '{') {
    scanner.members([&](const std::string& key) {
      const std::string_view value = scanner.value();
      if (key == "name") report.name = value.front() == '"' ? Scanner::decode_string(value) : std::string();
    });
  } else {
    scanner.value();
  }
  report.text = std::string(scanner.since(begin));
  return report;
}

}  // namespace

std::optional<std::vector<RawReport>> split_status_body(std::string_view body) {
  if (body.starts_with("\xEF\xBB\xBF")) body.remove_prefix(3);  // a UTF-8 byte order mark, which JSON parsers skip
  Scanner scanner(body);
  if (scanner.peek() != '{') return std::nullopt;
  std::optional<std::string_view> reports;  // the last "reports" member
  scanner.members([&](const std::string& key) {
    const std::string_view value = scanner.value();
    if (key == "reports") reports = value;
  });
  if (!reports || reports->front() != '[') return std::nullopt;
  std::vector<RawReport> out;
  Scanner list(*reports);
  list.elements([&] { out.push_back(read_report(list)); });
  return out;
}

std::string status_body(std::string_view own, const std::vector<std::string>& relayed) {
  size_t size = own.size() + 16;
  for (const std::string& report : relayed) size += report.size() + 1;
  std::string body;
  body.reserve(size);  // a regional CR's body holds hundreds of reports: written once, not regrown
  body += R"({"reports":[)";
  body += own;
  for (const std::string& report : relayed) {
    body += ',';
    body += report;
  }
  body += "]}";
  return body;
}

}  // namespace outpost::gateway
