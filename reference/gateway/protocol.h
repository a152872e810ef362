#pragma once
// The gateway protocol's names, shared by the parent side (reference/gateway) and the child side (reference/sync).
// docs/protocol.md specifies it for other implementations.
#include <string>
#include <string_view>
#include <vector>

namespace outpost::gateway {

// SPEC 5.9. A node serves every version up to its own (a newer parent serves an older child) and refuses newer ones.
inline constexpr int kProtocolVersion = 1;
inline constexpr std::string_view kProtocolHeader = "Outpost-Gateway-Protocol";
inline constexpr std::string_view kPathPrefix = "/gateway/v1/";
// SPEC 2.7: a node names its instance on every request about itself; a parent turns down an instance that is not
// the one active (another activated, or deactivate freed the activation), as it turns down its activation.
inline constexpr std::string_view kInstanceHeader = "Outpost-Instance";

// Long polls are bounded so an idle link still sees a request now and then (proxies drop silent connections).
inline constexpr int kMaxWaitSeconds = 600;
inline constexpr size_t kMaxMessagesPerRead = 1000;

// Deepest nesting a child reads in its parent's documents (config, inventory, messages); theirs reach 6. A parent
// nesting a value 100,000 levels deep would otherwise overflow the stack of the child code that copies or writes it
// out (reference/common/json_depth.h): a child trusts its parent's shapes no more than a parent trusts its child's.
inline constexpr size_t kMaxDocumentDepth = 32;

// "prefix/*" matches every repository under "prefix/", "*" every repository, anything else itself (SPEC 3.1, 2.1).
bool repository_matches(std::string_view pattern, std::string_view repository);
bool repository_matches_any(const std::vector<std::string>& patterns, std::string_view repository);

}  // namespace outpost::gateway
