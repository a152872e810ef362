#include "reference/gateway/status_report.h"

#include <stdexcept>

#include "reference/common/json_depth.h"
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

namespace {
// A notification is an object of strings (sync_agent.cpp writes action, repository, tag, digest, time,
// connectedRegistry). Checked before anything copies it: a notification nested 200,000 levels deep overflowed the
// cloud's stack as it was copied, and any sync token could send one (relayed from below, too).
const char* const kNotShaped = "status field 'notifications' must be an array of objects of strings";

std::vector<nlohmann::json> checked_notifications(const nlohmann::json& array) {
  if (!array.is_array()) throw std::invalid_argument(kNotShaped);
  for (const nlohmann::json& entry : array) {
    if (!entry.is_object()) throw std::invalid_argument(kNotShaped);
    for (const auto& member : entry)  // a flat object: the copy below recurses one level
      if (!member.is_string()) throw std::invalid_argument(kNotShaped);
  }
  return array.get<std::vector<nlohmann::json>>();
}
}  // namespace

std::vector<nlohmann::json> StatusReport::notifications() const {
  if (tree_) {
    const auto it = tree_->find("notifications");
    if (it == tree_->end() || it->is_null()) return {};
    return checked_notifications(*it);
  }
  const std::string_view token = members_->notifications;
  if (token.empty() || token == "null") return {};
  if (token.front() != '[') throw std::invalid_argument(kNotShaped);
  if (empty_array(token)) return {};
  // An array of flat objects nests 2 levels: deeper is refused before it is parsed.
  if (json_nests_deeper_than(token, 2)) throw std::invalid_argument(kNotShaped);
  return checked_notifications(nlohmann::json::parse(token));
}

}  // namespace outpost::gateway
