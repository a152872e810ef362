#pragma once
// Scope-map action strings (SPEC 3.1): parsing, validation and the canonical spelling.
//   repositories/<repo>/content/read | content/write | content/delete | metadata/read | metadata/write
//   gateway/<cr>/config/read | config/write | message/read | message/write
// <repo> is a repository name, "prefix/*" or "*"; <repo> and <cr> are lowercased on input. Every other wildcard form
// is refused with a message that says what is allowed (the management API answers it as 400 INVALID_REQUEST).
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::auth {

// A set of actions as bits. Repository and gateway actions are distinct types, so one cannot be tested against
// the other.
template <class Kind>
struct ActionMask {
  uint8_t bits = 0;
  constexpr bool empty() const { return bits == 0; }
  constexpr bool contains(ActionMask other) const { return (bits & other.bits) == other.bits; }
  constexpr bool intersects(ActionMask other) const { return (bits & other.bits) != 0; }
  friend constexpr ActionMask operator|(ActionMask a, ActionMask b) { return {static_cast<uint8_t>(a.bits | b.bits)}; }
  friend constexpr ActionMask operator&(ActionMask a, ActionMask b) { return {static_cast<uint8_t>(a.bits & b.bits)}; }
  constexpr ActionMask& operator|=(ActionMask other) { return *this = *this | other; }
  friend constexpr bool operator==(ActionMask, ActionMask) = default;
};

struct RepositoryKind;
struct GatewayKind;
using RepositoryActions = ActionMask<RepositoryKind>;
using GatewayActions = ActionMask<GatewayKind>;

inline constexpr RepositoryActions kContentRead{1u << 0};
inline constexpr RepositoryActions kContentWrite{1u << 1};
inline constexpr RepositoryActions kContentDelete{1u << 2};
inline constexpr RepositoryActions kMetadataRead{1u << 3};
inline constexpr RepositoryActions kMetadataWrite{1u << 4};
inline constexpr RepositoryActions kAllRepositoryActions{0x1f};

inline constexpr GatewayActions kConfigRead{1u << 0};
inline constexpr GatewayActions kConfigWrite{1u << 1};
inline constexpr GatewayActions kMessageRead{1u << 2};
inline constexpr GatewayActions kMessageWrite{1u << 3};
inline constexpr GatewayActions kAllGatewayActions{0x0f};

// "content/read", ...; the mask must hold exactly one action.
std::string_view repository_action_name(RepositoryActions one);
std::string_view gateway_action_name(GatewayActions one);

// One parsed action string.
struct ActionRule {
  enum class Target { Repository, Gateway };
  // How a repository rule picks repositories. Gateway rules are always Exact.
  enum class Match {
    Exact,   // `name`: that repository (or that connected registry, for gateway rules)
    Prefix,  // `name` is the prefix of "prefix/*": every repository under "prefix/", not "prefix" itself
    All,     // "*": every repository, including those that do not exist yet; `name` is empty
  };
  Target target = Target::Repository;
  Match match = Match::Exact;
  std::string name;                // lowercased
  RepositoryActions repository{};  // exactly one bit for repository rules, empty for gateway rules
  GatewayActions gateway{};        // exactly one bit for gateway rules, empty for repository rules

  // The canonical (lowercased) action string; parse_action(rule.to_string()) gives the rule back.
  std::string to_string() const;
  friend bool operator==(const ActionRule&, const ActionRule&) = default;
};

// A rule, or the reason the string is refused (which names the string and says what is allowed).
struct ActionParse {
  std::optional<ActionRule> rule;
  std::string error;
  explicit operator bool() const { return rule.has_value(); }
};

ActionParse parse_action(std::string_view action);

// Every string parsed; `errors` holds one message per refused string, in input order.
struct ParsedActions {
  std::vector<ActionRule> rules;
  std::vector<std::string> errors;
};
ParsedActions parse_actions(std::span<const std::string> actions);

}  // namespace outpost::auth
