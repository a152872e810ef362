#include "reference/sync/sync_agent_messages.h"

#include <algorithm>
#include <charconv>
#include <iterator>

#include "reference/common/json_depth.h"
#include "reference/common/json_scan.h"
#include "reference/gateway/protocol.h"

namespace outpost::sync {

namespace {

// Gathers the tokens the round reads: the top level's "configVersion", "cursor" and "messages" (depth 1), the
// elements of "messages" (depth 2) and their members (depth 3). A later member of the same name replaces an earlier
// one, as in a parsed tree. Whether the tokens have the usual types is judged afterwards.
class Gatherer final : public JsonOutline {
 public:
  using Message = MessagesAnswer::Message;

  void open(size_t depth, char bracket) override {
    if (depth == 0) object_ = bracket == '{';
    if (depth == 2 && member_ == Member::Messages) message_ = {};
  }
  void key(size_t depth, const JsonKey& key) override {
    if (depth == 1) {
      member_ = key.is("configVersion") ? Member::ConfigVersion
                : key.is("cursor")      ? Member::Cursor
                : key.is("messages")    ? Member::Messages
                                        : Member::Other;
      if (member_ == Member::Messages) {
        messages_.clear();
        elements_are_objects_ = true;
      }
    } else if (depth == 3 && member_ == Member::Messages) {
      field_ = key.is("type")         ? &message_.type
               : key.is("repository") ? &message_.repository
               : key.is("digest")     ? &message_.digest
               : key.is("tag")        ? &message_.tag
                                      : nullptr;
    }
  }
  void value(size_t depth, std::string_view bytes) override {
    if (depth == 1) {
      if (member_ == Member::ConfigVersion) config_version_ = bytes;
      if (member_ == Member::Cursor) cursor_ = bytes;
      if (member_ == Member::Messages) messages_value_ = bytes;
    } else if (depth == 2 && member_ == Member::Messages) {
      if (bytes.front() != '{') elements_are_objects_ = false;
      messages_.push_back(message_);
    } else if (depth == 3 && field_ != nullptr) {
      *field_ = bytes;
      field_ = nullptr;
    }
  }

  // Whether the answer has the shape the round reads in place: an object whose members it reads have the types it
  // reads them as (a configuration version that is an unsigned integer as the parser stores it, a string cursor,
  // "messages" absent, null or an array of objects whose type, repository and digest are strings when present).
  bool usual() const {
    const auto string_or_absent = [](std::string_view token) { return token.empty() || token.front() == '"'; };
    if (!object_ || !string_or_absent(cursor_)) return false;
    if (!config_version_.empty() && !unsigned_integer(config_version_)) return false;
    if (!messages_value_.empty() && messages_value_ != "null") {
      if (messages_value_.front() != '[' || !elements_are_objects_) return false;
      for (const Message& message : messages_)
        if (!string_or_absent(message.type) || !string_or_absent(message.repository) ||
            !string_or_absent(message.digest))
          return false;
    }
    return true;
  }
  // A token of digits only whose value a uint64_t holds: what the parser stores as an unsigned integer.
  static bool unsigned_integer(std::string_view token) {
    uint64_t value = 0;
    const auto [end, error] = std::from_chars(token.data(), token.data() + token.size(), value);
    return error == std::errc{} && end == token.data() + token.size() &&
           std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; });
  }

  std::string_view config_version() const { return config_version_; }
  std::string_view cursor() const { return cursor_; }
  // The messages when "messages" is an array (empty when it is absent or null).
  std::vector<Message> take_messages() {
    if (messages_value_.empty() || messages_value_ == "null") return {};
    return std::move(messages_);
  }

 private:
  enum class Member { Other, ConfigVersion, Cursor, Messages };
  bool object_ = false;
  Member member_ = Member::Other;  // the top-level member being read
  std::string_view config_version_, cursor_, messages_value_;
  std::vector<Message> messages_;
  bool elements_are_objects_ = true;
  Message message_;                        // the element of "messages" being read
  std::string_view* field_ = nullptr;      // where the value of its member being read goes, if anywhere
};

// A string token's value, or "" when absent.
std::string string_or_empty(std::string_view token) { return token.empty() ? std::string() : json_string_value(token); }

oci::ContentChange::Kind kind_of(std::string_view type) {
  return type == "manifestDeleted" ? oci::ContentChange::Kind::ManifestDeleted
         : type == "tagDeleted"    ? oci::ContentChange::Kind::TagDeleted
                                   : oci::ContentChange::Kind::ManifestPut;
}

}  // namespace

MessagesAnswer::MessagesAnswer(std::string text) : text_(std::move(text)) {
  Gatherer gatherer;
  if (!text_.empty()) {
    json_ = json_scan(text_, gatherer, 3);
    if (!json_) return;
    if (gatherer.usual()) {
      config_version_ = gatherer.config_version();
      cursor_ = gatherer.cursor();
      messages_ = gatherer.take_messages();
      return;
    }
  }
  // No body reads as null, which the round refused with nlohmann's error as it read the version.
  if (json_nests_deeper_than(text_, gateway::kMaxDocumentDepth)) {
    too_deep_ = true;
    return;
  }
  tree_ = text_.empty() ? nlohmann::json() : nlohmann::json::parse(text_);
}

uint64_t MessagesAnswer::config_version() const {
  if (tree_) return tree_->value("configVersion", uint64_t{0});
  uint64_t version = 0;
  std::from_chars(config_version_.data(), config_version_.data() + config_version_.size(), version);
  return version;
}

size_t MessagesAnswer::size() const {
  if (!tree_) return messages_.size();
  // The body is an object here (config_version() threw otherwise). A value that is not an array iterates as the tree
  // iterates it: an object's values, a single value for a string or a number, nothing for null.
  const auto found = tree_->find("messages");
  if (found == tree_->end()) return 0;
  return static_cast<size_t>(std::distance(found->begin(), found->end()));
}

oci::ContentChange MessagesAnswer::change(size_t index) const {
  oci::ContentChange change;
  if (!tree_) {
    const Message& message = messages_.at(index);
    change.kind = kind_of(string_or_empty(message.type));
    change.repository = string_or_empty(message.repository);
    change.digest = oci::Digest::parse(string_or_empty(message.digest)).value_or(oci::Digest{});
    if (!message.tag.empty() && message.tag.front() == '"') change.tag = json_string_value(message.tag);
    return change;
  }
  const nlohmann::json& messages = tree_->at("messages");
  const nlohmann::json& message = messages.is_array() ? messages.at(index) : *std::next(messages.begin(), index);
  change.kind = kind_of(message.value("type", ""));
  change.repository = message.value("repository", "");
  change.digest = oci::Digest::parse(message.value("digest", "")).value_or(oci::Digest{});
  if (message.contains("tag") && message["tag"].is_string()) change.tag = message["tag"].get<std::string>();
  return change;
}

std::string MessagesAnswer::cursor(const std::string& otherwise) const {
  if (tree_) return tree_->value("cursor", otherwise);
  return cursor_.empty() ? otherwise : json_string_value(cursor_);
}

bool MessagesAnswer::cursor_is(const std::string& current) const {
  if (tree_ || cursor_.empty()) return cursor(current) == current;
  if (const auto bytes = json_string_bytes(cursor_)) return *bytes == current;  // in place unless escaped
  return json_string_value(cursor_) == current;
}

}  // namespace outpost::sync
