#pragma once
// Synthetic payloads: how a simulated run moves terabytes in O(1) memory. A synthetic blob is a small real blob, a
// *recipe* (a magic line with a declared size and a seed, kRecipeBytes long), whose digest is the sha256 of the recipe
// itself. Every node stores, serves, syncs and verifies it with its ordinary code, as the few dozen bytes it is; only
// the simulated network recognises a recipe in a message body and charges links and NICs for the declared size
// (transfer times, byte counters), and the world's reports count declared sizes. Nothing in reference/ knows.
//
// Limits, by design: a transfer cut part-way delivers nothing of a synthetic body (there are no real bytes to hand
// over, so the receiver's resume starts again from the beginning); a Range request for part of a recipe gets part of
// the recipe (never the declared bytes); and a real blob that happens to be a well-formed recipe is charged as one.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "reference/common/http.h"

namespace outpost::sim::synthetic {

// "outpost-synthetic/1 size=<20 decimal digits> seed=<16 hex digits>\n"
inline constexpr std::string_view kMagic = "outpost-synthetic/1 size=";
inline constexpr size_t kRecipeBytes = 68;

struct Recipe {
  uint64_t size = 0;  // the bytes a transfer of this blob is charged for
  uint64_t seed = 0;  // tells recipes of the same size apart (each is its own blob, with its own digest)
  friend bool operator==(const Recipe&, const Recipe&) = default;
};

std::string encode(const Recipe& recipe);  // exactly kRecipeBytes
std::optional<Recipe> decode(std::string_view bytes);

// The recipe a body holds, if it is one. A streamed body of exactly kRecipeBytes is read into memory first and put
// back readable from the start (as a StringBody, or as the response's `body`), so whoever reads it next reads it
// whole; other bodies are not touched.
std::optional<Recipe> take_recipe(std::unique_ptr<http::BodySource>& body);
std::optional<Recipe> take_recipe(http::Response& response);

}  // namespace outpost::sim::synthetic
