#pragma once
// Ports for the nodes of a live cluster, chosen outside the kernel's ephemeral range. A node that crashes is
// restarted with `outpost serve --config` on the address it bound first, where links and children point. Had the
// kernel chosen that port (`listen 127.0.0.1:0`), it could give the same port to an outgoing connection of any
// process while the node is down, and the restart would fail with "address in use". The kernel never hands out a
// port outside the ephemeral range on its own, so only a program that asks for that very port can take it.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace outpost::cli {

struct PortRange {
  uint16_t first = 0;
  uint16_t last = 0;  // inclusive
  bool operator==(const PortRange&) const = default;
};

// Below this, ports are left alone: registries, databases and development servers listen on well-known ports there
// (5000, 5432, 8080, ...), and ports under 1024 need privileges.
constexpr uint16_t kLowestStablePort = 10000;

// The two numbers of /proc/sys/net/ipv4/ip_local_port_range ("32768\t60999\n"); nullopt when they are not two ports
// in order.
std::optional<PortRange> parse_port_range(std::string_view text);

// This machine's ephemeral range, or Linux's default (32768-60999) when it cannot be read.
PortRange ephemeral_port_range();

// The parts of kLowestStablePort..65535 outside `ephemeral`, lowest first; empty when the ephemeral range covers it.
std::vector<PortRange> ports_outside(PortRange ephemeral);

// The first port of `ranges` for which `is_free` holds, trying each port once, starting at the `start`-th (modulo the
// number of ports) and wrapping round; nullopt when none is free.
std::optional<uint16_t> first_free_port(const std::vector<PortRange>& ranges, uint64_t start,
                                        const std::function<bool(uint16_t)>& is_free);

// Whether 127.0.0.1:`port` can be bound now. Without SO_REUSEADDR, so a port still in TIME_WAIT counts as taken.
bool loopback_port_free(uint16_t port);

// "127.0.0.1:<port>" with a port outside the ephemeral range that is free now, searched from a random place (so that
// clusters started at once rarely try the same port); "127.0.0.1:0", the kernel's choice, when none is free.
std::string stable_loopback_address();

}  // namespace outpost::cli
