#include "reference/gateway/status_body.h"

#include <optional>

#include "reference/common/json_scan.h"

namespace outpost::gateway {

namespace {

// Keeps what a relay needs of a status body as the scan outlines it: the elements of the top-level object's last
// "reports" member (depth 2) while that member is an array (depth 1), and of each report that is an object, its last
// "name" member (depth 3).
class ReportSplitter final : public JsonOutline {
 public:
  static constexpr size_t kDepth = 3;

  void open(size_t depth, char bracket) override {
    if (depth == 1 && in_reports_) {
      listing_ = bracket == '[';
      list_.clear();
    }
  }
  void key(size_t depth, const JsonKey& key) override {
    if (depth == 1) in_reports_ = key.is("reports");
    if (depth == 3) at_name_ = listing_ && key.is("name");
  }
  void value(size_t depth, std::string_view bytes) override {
    if (depth == 3 && at_name_) {
      name_ = bytes.front() == '"' ? json_string_value(bytes) : std::string();
      at_name_ = false;
    } else if (depth == 2 && listing_) {
      list_.push_back(RawReport{std::move(name_), std::string(bytes)});
      name_.clear();
      at_name_ = false;
    } else if (depth == 1 && in_reports_) {  // this "reports" member ended: it replaces any before it
      reports_ = listing_ ? std::optional(std::move(list_)) : std::nullopt;
      list_.clear();
      in_reports_ = listing_ = false;
    }
  }

  std::optional<std::vector<RawReport>>& reports() { return reports_; }

 private:
  bool in_reports_ = false;  // in a top-level member named "reports"
  bool listing_ = false;     // ... whose value is an array: its elements are reports
  bool at_name_ = false;     // at a report's member named "name"
  std::string name_;         // the name of the report being read
  std::vector<RawReport> list_;
  std::optional<std::vector<RawReport>> reports_;  // of the last "reports" member that ended
};

}  // namespace

StatusBodyReading read_status_body(std::string_view body) {
  ReportSplitter splitter;
  if (!json_scan(body, splitter, ReportSplitter::kDepth)) return {StatusBodyReading::Verdict::NotJson, {}};
  if (!splitter.reports()) return {StatusBodyReading::Verdict::NotReports, {}};
  return {StatusBodyReading::Verdict::Reports, std::move(*splitter.reports())};
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
