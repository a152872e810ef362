#include "reference/common/http.h"

#include <algorithm>
#include <cctype>
#include <cstring>

#include "reference/common/ascii.h"

namespace outpost::http {

namespace {
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

Method parse_method(std::string_view name) {
  if (name == "GET") return Method::Get;
  if (name == "HEAD") return Method::Head;
  if (name == "POST") return Method::Post;
  if (name == "PUT") return Method::Put;
  if (name == "PATCH") return Method::Patch;
  if (name == "DELETE") return Method::Delete;
  return Method::Other;
}

std::string_view method_name(Method method) {
  switch (method) {
    case Method::Get: return "GET";
    case Method::Head: return "HEAD";
    case Method::Post: return "POST";
    case Method::Put: return "PUT";
    case Method::Patch: return "PATCH";
    case Method::Delete: return "DELETE";
    case Method::Other: break;
  }
  return "OTHER";
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const auto& [key, value] : entries_)
    if (ascii_iequals(key, name)) return std::string_view(value);
  return std::nullopt;
}

std::vector<std::string_view> Headers::get_all(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const auto& [key, value] : entries_)
    if (ascii_iequals(key, name)) values.emplace_back(value);
  return values;
}

void Headers::make_room() {
  if (entries_.capacity() == 0) entries_.reserve(kUsualCount);
}

void Headers::set(std::string_view name, std::string value) {
  remove(name);
  make_room();
  entries_.emplace_back(std::string(name), std::move(value));
}

void Headers::add(std::string_view name, std::string value) {
  make_room();
  entries_.emplace_back(std::string(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(entries_, [&](const auto& entry) { return ascii_iequals(entry.first, name); });
}

size_t StringBody::read(std::span<char> out) {
  const size_t n = std::min(out.size(), bytes_.size() - offset_);
  std::memcpy(out.data(), bytes_.data() + offset_, n);
  offset_ += n;
  return n;
}

std::vector<std::string> Request::query_params(std::string_view name) const {
  std::vector<std::string> values;
  std::string_view rest = query;
  while (!rest.empty()) {
    const size_t amp = rest.find('&');
    std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    const size_t eq = pair.find('=');
    const std::string key = percent_decode(pair.substr(0, eq), true);
    if (key == name) values.push_back(eq == std::string_view::npos ? std::string() : percent_decode(pair.substr(eq + 1), true));
  }
  return values;
}

std::optional<std::string> Request::query_param(std::string_view name) const {
  auto values = query_params(name);
  if (values.empty()) return std::nullopt;
  return std::move(values.front());
}

namespace {
class ImmediateCall final : public Call {
 public:
  explicit ImmediateCall(Response response) : response_(std::move(response)) {}
  bool on_body(std::string_view piece) override {
    drained_ += piece.size();
    return drained_ < kDecidedBodyDrain;
  }
  Response finish() override { return std::move(response_); }
  bool decided() const override { return true; }

 private:
  Response response_;
  uint64_t drained_ = 0;
};
}  // namespace

std::unique_ptr<Call> respond_now(Response response) { return std::make_unique<ImmediateCall>(std::move(response)); }

std::string percent_decode(std::string_view text, bool plus_as_space) {
  // Most text has nothing to decode (every query key and number, most paths and cursors): the part before the first
  // byte that may change is copied whole, not pushed byte by byte.
  size_t first = 0;
  while (first < text.size() && text[first] != '%' && !(plus_as_space && text[first] == '+')) ++first;
  if (first == text.size()) return std::string(text);
  std::string out;
  out.reserve(text.size());
  out.append(text.substr(0, first));
  for (size_t i = first; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]), lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
        continue;
      }
    }
    out.push_back(plus_as_space && text[i] == '+' ? ' ' : text[i]);
  }
  return out;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == '/' || c == ':') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::optional<AbsoluteTarget> absolute_target(std::string_view target) {
  size_t scheme = 0;
  for (const std::string_view name : {std::string_view("http://"), std::string_view("https://")})
    if (target.size() >= name.size() && ascii_iequals(target.substr(0, name.size()), name)) scheme = name.size();
  if (scheme == 0) return std::nullopt;
  const std::string_view rest = target.substr(scheme);
  const size_t end = rest.find_first_of("/?#");
  AbsoluteTarget absolute{rest.substr(0, end), {}};
  if (absolute.authority.empty()) return std::nullopt;  // "http:///v2/" names no host
  const std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
  absolute.origin_form = tail.starts_with('/') ? std::string(tail) : "/" + std::string(tail);
  return absolute;
}

}  // namespace outpost::http
