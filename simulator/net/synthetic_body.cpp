#include "simulator/net/synthetic_body.h"

#include <charconv>
#include <cstdio>
#include <span>

namespace outpost::sim::synthetic {

namespace {
constexpr size_t kSizeDigits = 20;  // UINT64_MAX has 20 decimal digits
constexpr std::string_view kSeedLabel = " seed=";
constexpr size_t kSeedDigits = 16;

std::string read_all(http::BodySource& source) {
  std::string bytes(kRecipeBytes, '\0');
  size_t filled = 0;
  while (filled < bytes.size()) {
    const size_t got = source.read(std::span<char>(bytes.data() + filled, bytes.size() - filled));
    if (got == 0) break;
    filled += got;
  }
  bytes.resize(filled);
  return bytes;
}
}  // namespace

static_assert(kMagic.size() + kSizeDigits + kSeedLabel.size() + kSeedDigits + 1 == kRecipeBytes);

std::string encode(const Recipe& recipe) {
  char text[kRecipeBytes + 1];
  std::snprintf(text, sizeof text, "%.*s%020llu%.*s%016llx\n", static_cast<int>(kMagic.size()), kMagic.data(),
                static_cast<unsigned long long>(recipe.size), static_cast<int>(kSeedLabel.size()), kSeedLabel.data(),
                static_cast<unsigned long long>(recipe.seed));
  return std::string(text, kRecipeBytes);
}

std::optional<Recipe> decode(std::string_view bytes) {
  if (bytes.size() != kRecipeBytes || !bytes.starts_with(kMagic) || bytes.back() != '\n') return std::nullopt;
  const std::string_view size = bytes.substr(kMagic.size(), kSizeDigits);
  const std::string_view label = bytes.substr(kMagic.size() + kSizeDigits, kSeedLabel.size());
  const std::string_view seed = bytes.substr(kMagic.size() + kSizeDigits + kSeedLabel.size(), kSeedDigits);
  if (label != kSeedLabel) return std::nullopt;
  Recipe recipe;
  const auto parsed_size = std::from_chars(size.data(), size.data() + size.size(), recipe.size);
  const auto parsed_seed = std::from_chars(seed.data(), seed.data() + seed.size(), recipe.seed, 16);
  if (parsed_size.ec != std::errc{} || parsed_size.ptr != size.data() + size.size()) return std::nullopt;
  if (parsed_seed.ec != std::errc{} || parsed_seed.ptr != seed.data() + seed.size()) return std::nullopt;
  return recipe;
}

std::optional<Recipe> take_recipe(std::unique_ptr<http::BodySource>& body) {
  if (!body || body->size() != kRecipeBytes) return std::nullopt;
  std::string bytes = read_all(*body);
  std::optional<Recipe> recipe = decode(bytes);
  body = std::make_unique<http::StringBody>(std::move(bytes));
  return recipe;
}

std::optional<Recipe> take_recipe(http::Response& response) {
  if (response.body_size() != kRecipeBytes) return std::nullopt;
  if (response.stream) {
    response.body = read_all(*response.stream);
    response.stream.reset();
  }
  return decode(response.body);
}

}  // namespace outpost::sim::synthetic
