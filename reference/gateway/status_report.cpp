#include "reference/gateway/status_report.h"

#include "reference/common/json_scan.h"

namespace outpost::gateway {

namespace {

// Whether an array as written holds no element (only JSON whitespace between its brackets).
bool empty_array(std::string_view token) {
  return token.substr(1, token.size() - 2).find_first_not_of(" \t\n\r") == std::string_view::npos;
}

// Keeps the value of each member the cloud reads at depth 1 of a top-level object; a later member of the same name
// replaces an earlier one, as in a parsed tree.
class MemberPicker final : public JsonOutline {
 public:
  explicit MemberPicker(ReportMembers& members) : members_(members) {}

  void open(size_t depth, char bracket) override {
    if (depth == 0) object_ = bracket == '{';
  }
  void key(size_t depth, const JsonKey& key) override {
    if (depth == 1) slot_ = members_.slot(key);
  }
  void value(size_t depth, std::string_view bytes) override {
    if (depth == 1 && slot_) *slot_ = bytes;
    slot_ = nullptr;
  }
  bool object() const { return object_; }

 private:
  ReportMembers& members_;
  std::string_view* slot_ = nullptr;  // where the value of the member being read goes, if anywhere
  bool object_ = false;
};

}  // namespace

StatusReport::StatusReport(std::string_view text) {
  ReportMembers members;
  MemberPicker picker(members);
  if (json_scan(text, picker, 1) && picker.object())
    members_ = members;
  else
    tree_ = nlohmann::json::parse(text);
}

StatusReport::StatusReport(const RawReport& report) {
  if (report.object)
    members_ = report.members;
  else
    tree_ = nlohmann::json::parse(report.text);
}

std::optional<std::string> StatusReport::instance_id() const {
  if (tree_) {
    const auto it = tree_->find("instanceId");
    if (it == tree_->end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  }
  const std::string_view token = members_->instance_id;
  if (token.empty() || token.front() != '"') return std::nullopt;
  return json_string_value(token);
}

bool StatusReport::names_other_instance(std::string_view instance) const {
  if (tree_) {
    const auto id = instance_id();
    return id && *id != instance;
  }
  const std::string_view token = members_->instance_id;
  if (token.empty() || token.front() != '"') return false;
  if (const auto bytes = json_string_bytes(token)) return *bytes != instance;
  return json_string_value(token) != instance;  // an escape: compared decoded
}

control::ConnectedRegistryStatus StatusReport::status() const {
  return tree_ ? control::parse_status_json(*tree_) : control::parse_status_members(members_->status);
}

std::vector<nlohmann::json> StatusReport::notifications() const {
  if (tree_) {
    const auto it = tree_->find("notifications");
    if (it == tree_->end() || !it->is_array()) return {};
    return it->get<std::vector<nlohmann::json>>();
  }
  const std::string_view token = members_->notifications;
  if (token.empty() || token.front() != '[' || empty_array(token)) return {};
  return nlohmann::json::parse(token).get<std::vector<nlohmann::json>>();
}

}  // namespace outpost::gateway
