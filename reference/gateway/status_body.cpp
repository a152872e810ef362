#include "reference/gateway/status_body.h"

#include <list>
#include <optional>

#include "reference/common/json_scan.h"

namespace outpost::gateway {

namespace {

// Keeps what a relay needs of a status body as the scan outlines it: the elements of the top-level object's last
// "reports" member (depth 2) while that member is an array (depth 1), and of each report that is an object, its last
// "name" member and the members the cloud reads (depth 3).
class ReportSplitter final : public JsonOutline {
 public:
  static constexpr size_t kDepth = 3;

  explicit ReportSplitter(std::list<std::string>& decoded_names) : decoded_names_(decoded_names) {}

  void open(size_t depth, char bracket) override {
    if (depth == 1 && in_reports_) {
      listing_ = bracket == '[';
      list_.clear();
    } else if (depth == 2 && listing_) {
      report_.object = bracket == '{';
    }
  }
  void key(size_t depth, const JsonKey& key) override {
    if (depth == 1) in_reports_ = key.is("reports");
    if (depth == 3 && listing_) slot_ = key.is("name") ? &name_ : report_.members.slot(key);
  }
  void value(size_t depth, std::string_view bytes) override {
    if (depth == 3) {
      if (slot_) *slot_ = bytes;
      slot_ = nullptr;
    } else if (depth == 2 && listing_) {
      report_.text = bytes;
      report_.name = name_of(name_);
      list_.push_back(report_);
      report_ = {};
      name_ = {};
      slot_ = nullptr;
    } else if (depth == 1 && in_reports_) {  // this "reports" member ended: it replaces any before it
      reports_ = listing_ ? std::optional(std::move(list_)) : std::nullopt;
      list_.clear();
      in_reports_ = listing_ = false;
    }
  }

  std::optional<std::vector<RawReport>>& reports() { return reports_; }

 private:
  // A report's name from its last "name" member as written: a string's value, "" for anything else.
  std::string_view name_of(std::string_view token) {
    if (token.empty() || token.front() != '"') return {};
    if (const auto bytes = json_string_bytes(token)) return *bytes;
    return decoded_names_.emplace_back(json_string_value(token));
  }

  std::list<std::string>& decoded_names_;
  bool in_reports_ = false;           // in a top-level member named "reports"
  bool listing_ = false;              // ... whose value is an array: its elements are reports
  std::string_view* slot_ = nullptr;  // where the value of the report's member being read goes, if anywhere
  std::string_view name_;             // the report's last "name" member as written
  RawReport report_;                  // the report being read
  std::vector<RawReport> list_;
  std::optional<std::vector<RawReport>> reports_;  // of the last "reports" member that ended
};

}  // namespace

StatusBodyReading read_status_body(std::string_view body) {
  StatusBodyReading reading;
  ReportSplitter splitter(reading.decoded_names);
  if (!json_scan(body, splitter, ReportSplitter::kDepth)) return {StatusBodyReading::Verdict::NotJson, {}, {}};
  if (!splitter.reports()) return {StatusBodyReading::Verdict::NotReports, {}, {}};
  reading.verdict = StatusBodyReading::Verdict::Reports;
  reading.reports = std::move(*splitter.reports());
  return reading;
}

std::string status_body(std::string_view own, const std::vector<std::string>& relayed) {
  std::string body;
  body.reserve(own.size() + 16);
  begin_status_body(body);
  body += own;
  end_status_body(body, relayed);
  return body;
}

void begin_status_body(std::string& body) { body += R"({"reports":[)"; }

namespace {
template <typename Reports, typename Text>
void end_with(std::string& body, const Reports& relayed, Text text) {
  size_t size = body.size() + 2;
  for (const auto& report : relayed) size += text(report).size() + 1;
  body.reserve(size);  // a regional CR's body holds hundreds of reports: written once, not regrown
  for (const auto& report : relayed) {
    body += ',';
    body += text(report);
  }
  body += "]}";
}
}  // namespace

void end_status_body(std::string& body, const std::vector<std::string>& relayed) {
  end_with(body, relayed, [](const std::string& report) -> const std::string& { return report; });
}

void end_status_body(std::string& body, std::span<const std::string* const> relayed) {
  end_with(body, relayed, [](const std::string* report) -> const std::string& { return *report; });
}

}  // namespace outpost::gateway
