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
  explicit MemberPicker(control::StatusMembers& status, std::string_view& instance_id, std::string_view& notifications)
      : status_(status), instance_id_(instance_id), notifications_(notifications) {}

  void open(size_t depth, char bracket) override {
    if (depth == 0) object_ = bracket == '{';
  }
  void key(size_t depth, const JsonKey& key) override {
    if (depth == 1) slot_ = slot_of(key);
  }
  void value(size_t depth, std::string_view bytes) override {
    if (depth == 1 && slot_) *slot_ = bytes;
    slot_ = nullptr;
  }
  bool object() const { return object_; }

 private:
  std::string_view* slot_of(const JsonKey& key) {
    // Sorted by how often a report carries them; a report has little else.
    if (key.is("connectionState")) return &status_.connection_state;
    if (key.is("lastSyncTime")) return &status_.last_sync_time;
    if (key.is("lastActivityTime")) return &status_.last_activity_time;
    if (key.is("version")) return &status_.version;
    if (key.is("loginServer")) return &status_.login_server;
    if (key.is("instanceId")) return &instance_id_;
    if (key.is("statusDetails")) return &status_.status_details;
    if (key.is("notifications")) return &notifications_;
    return nullptr;
  }

  control::StatusMembers& status_;
  std::string_view& instance_id_;
  std::string_view& notifications_;
  std::string_view* slot_ = nullptr;  // where the value of the member being read goes, if anywhere
  bool object_ = false;
};

}  // namespace

StatusReport::StatusReport(std::string_view text) {
  Members members;
  MemberPicker picker(members.status, members.instance_id, members.notifications);
  if (json_scan(text, picker, 1) && picker.object())
    members_ = members;
  else
    tree_ = nlohmann::json::parse(text);
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
