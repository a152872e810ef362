#include "reference/cli/listen_port.h"

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>
#include <random>

namespace outpost::cli {

namespace {

constexpr PortRange kLinuxDefaultEphemeral{32768, 60999};

std::string_view skip_blanks(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t' || text.front() == '\n')) text.remove_prefix(1);
  return text;
}

// A port at the start of `text`, and `text` after it.
std::optional<uint16_t> take_port(std::string_view& text) {
  text = skip_blanks(text);
  unsigned value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || value == 0 || value > 65535) return std::nullopt;
  text.remove_prefix(static_cast<size_t>(end - text.data()));
  return static_cast<uint16_t>(value);
}

}  // namespace

std::optional<PortRange> parse_port_range(std::string_view text) {
  const auto first = take_port(text);
  if (!first || text.empty() || (text.front() != ' ' && text.front() != '\t')) return std::nullopt;
  const auto last = take_port(text);
  if (!last || !skip_blanks(text).empty() || *last < *first) return std::nullopt;
  return PortRange{*first, *last};
}

PortRange ephemeral_port_range() {
  std::ifstream in("/proc/sys/net/ipv4/ip_local_port_range");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_port_range(text).value_or(kLinuxDefaultEphemeral);
}

std::vector<PortRange> ports_outside(PortRange ephemeral) {
  std::vector<PortRange> ranges;
  if (ephemeral.first > kLowestStablePort) ranges.push_back({kLowestStablePort, uint16_t(ephemeral.first - 1)});
  const uint32_t above = std::max<uint32_t>(kLowestStablePort, uint32_t(ephemeral.last) + 1);
  if (above <= 65535) ranges.push_back({static_cast<uint16_t>(above), 65535});
  return ranges;
}

std::optional<uint16_t> first_free_port(const std::vector<PortRange>& ranges, uint64_t start,
                                        const std::function<bool(uint16_t)>& is_free) {
  uint64_t total = 0;
  for (const PortRange& range : ranges) total += uint64_t(range.last) - range.first + 1;
  for (uint64_t i = 0; i < total; ++i) {
    uint64_t index = (start + i) % total;
    for (const PortRange& range : ranges) {
      const uint64_t size = uint64_t(range.last) - range.first + 1;
      if (index < size) {
        const auto port = static_cast<uint16_t>(range.first + index);
        if (is_free(port)) return port;
        break;
      }
      index -= size;
    }
  }
  return std::nullopt;
}

bool loopback_port_free(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool bound = ::bind(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return bound;
}

std::string stable_loopback_address() {
  std::random_device entropy;
  const uint64_t start = (uint64_t(entropy()) << 32) | entropy();
  const auto port = first_free_port(ports_outside(ephemeral_port_range()), start, loopback_port_free);
  return "127.0.0.1:" + std::to_string(port.value_or(0));
}

}  // namespace outpost::cli
