#pragma once
// What a sync round reads from the gateway's answer to a messages call (docs/protocol.md): the configuration version,
// the messages as content changes, and the cursor. Every round of every node reads one, nearly always
// {"configVersion":N,"cursor":"...","messages":[]}: parsing it into a tree cost more than the rest of the round. The
// answer is outlined instead (reference/common/json_scan.h) and read in place when it has the usual shape; any other
// answer is parsed into a tree and read as the round always read it, with the same values and the same errors
// (nlohmann::json's, thrown by the same call), so a strange parent gets the answer it always got.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "reference/oci/content_change.h"

namespace outpost::sync {

class MessagesAnswer {
 public:
  // `text` is the answer's body (empty: no body), checked here as it is read. Kept: the reading points into it.
  explicit MessagesAnswer(std::string text);
  // Whether the body is JSON (no body counts: it reads as null). When it is not, nothing else may be asked: the round
  // refuses the answer as the link refuses one that is not JSON.
  bool json() const { return json_; }
  // Whether the body, of another shape than the usual, nests deeper than a parent's documents ever do
  // (gateway::kMaxDocumentDepth). Then too nothing else may be asked: the round refuses it as the link does.
  bool too_deep() const { return too_deep_; }
  MessagesAnswer(const MessagesAnswer&) = delete;
  MessagesAnswer& operator=(const MessagesAnswer&) = delete;

  // In the order the round calls them (the tree path throws where the round's reading of the tree threw).
  // "configVersion", 0 when absent. Throws nlohmann::json::type_error when the answer is not an object.
  uint64_t config_version() const;
  // How many messages there are (a non-empty "messages" that is not an array is read as the tree iterates it).
  size_t size() const;
  // The `index`th message as a change. Throws nlohmann::json::type_error for a member of the wrong type.
  oci::ContentChange change(size_t index) const;
  // "cursor", or `otherwise` when absent.
  std::string cursor(const std::string& otherwise) const;
  // Whether cursor(current) is `current` (throwing as it throws): nearly every answer gives the cursor back unchanged,
  // which this sees in place, without writing the cursor out.
  bool cursor_is(const std::string& current) const;

  // Whether the answer was read in place (for tests: the tree path is for answers of another shape).
  bool read_in_place() const { return !tree_; }

  // A message as written: its members' tokens, quotes included; empty when absent.
  struct Message {
    std::string_view type, repository, digest, tag;
  };

 private:

  const std::string text_;
  // The usual shape, read in place: tokens of the members, empty when absent.
  std::string_view config_version_, cursor_;
  std::vector<Message> messages_;
  // Any other shape.
  std::optional<nlohmann::json> tree_;
  bool json_ = true;
  bool too_deep_ = false;
};

}  // namespace outpost::sync
