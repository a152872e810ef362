#pragma once
// The oracle's own reading of scope-map actions (SPEC 3.1, 3.2) and Docker scope words (SPEC 3.5). Written from the
// SPEC text, not from reference/auth, so that a mistake in one is caught by the other. Small and slow on purpose: it
// rescans the action strings on every question (GatewayIndex, below, is the one exception, and reads them the same
// way).
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace outpost::check {

// Repository rights as a set of bits (SPEC 3.1 names).
struct Rights {
  uint8_t bits = 0;
  static constexpr uint8_t kContentRead = 1, kContentWrite = 2, kContentDelete = 4, kMetadataRead = 8,
                           kMetadataWrite = 16, kAll = 31;
  bool has(uint8_t wanted) const { return (bits & wanted) == wanted; }
  bool any(uint8_t wanted) const { return (bits & wanted) != 0; }
  friend Rights operator&(Rights a, Rights b) { return {static_cast<uint8_t>(a.bits & b.bits)}; }
  friend Rights operator|(Rights a, Rights b) { return {static_cast<uint8_t>(a.bits | b.bits)}; }
  friend bool operator==(Rights, Rights) = default;
};

// Gateway rights on one connected registry (SPEC 3.1).
struct GatewayRights {
  uint8_t bits = 0;
  static constexpr uint8_t kConfigRead = 1, kConfigWrite = 2, kMessageRead = 4, kMessageWrite = 8, kAll = 15;
  bool has(uint8_t wanted) const { return (bits & wanted) == wanted; }
  friend bool operator==(GatewayRights, GatewayRights) = default;
};

// "<repo>" matches `repository` as SPEC 3.1 says: a name matches itself, "prefix/*" every repository under "prefix/"
// but not "prefix", "*" everything. Case-insensitive (names are lowercased on input).
bool repository_pattern_matches(std::string_view pattern, std::string_view repository);

// The union of every rule of `actions` that matches (SPEC 3.1: permissions add up). Malformed strings grant nothing.
Rights repository_rights(const std::vector<std::string>& actions, std::string_view repository);
GatewayRights gateway_rights(const std::vector<std::string>& actions, std::string_view connected_registry);
// gateway_rights() of one action list for every CR at once: the list is read once, then each question is one hashed
// look-up. A parent's sync map lists the gateway actions of every descendant (thousands in a wide world), and each
// child's agent asks the parent something every round: rescanning the list per question was most of the oracle's
// cost there.
class GatewayIndex {
 public:
  explicit GatewayIndex(const std::vector<std::string>& actions);
  // As gateway_rights(actions, connected_registry).
  GatewayRights rights(std::string_view connected_registry) const;

 private:
  // CR names compare ignoring ASCII case, as gateway_rights() compares them.
  struct NameHash {
    using is_transparent = void;
    size_t operator()(std::string_view name) const;
  };
  struct NameEqual {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const;
  };
  std::unordered_map<std::string, GatewayRights, NameHash, NameEqual> by_name_;
};

// Some repository rule is on "*" (SPEC 3.6: what the cloud asks before listing its catalog).
bool has_rule_on_every_repository(const std::vector<std::string>& actions);
// Some gateway rule at all.
bool has_gateway_rule(const std::vector<std::string>& actions);

// SPEC 3.2: the five system scope maps, or nothing for another name.
const std::vector<std::string>* system_scope_map(std::string_view name);

// SPEC 3.5: "pull", "push", "delete", "metadata_read", "metadata_write", "*"; nothing for another word.
Rights docker_word_rights(std::string_view word);

// The actions a connected registry's mode gives on each of its repositories (SPEC 2.4): content/read and
// metadata/read (ReadOnly) or all five (ReadWrite), as action strings for `repository`.
std::vector<std::string> repository_actions_for_mode(std::string_view repository, bool read_only);
// gateway/<cr>/config/read|config/write|message/read|message/write (SPEC 2.4).
std::vector<std::string> gateway_actions_for(std::string_view connected_registry);

}  // namespace outpost::check
