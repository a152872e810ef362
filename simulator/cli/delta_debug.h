#pragma once
// Delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating Failure-Inducing Input", 2002): reduces a set
// that makes a test fail to a 1-minimal subset that still does, i.e. removing any single element makes it pass.
// Here the elements are the steps of a fault plan and the test is a whole simulated run, so every test is expensive:
// results are remembered per subset and the number of tests is capped.
#include <algorithm>
#include <cstddef>
#include <functional>
#include <map>
#include <optional>
#include <vector>

namespace outpost::sim::commands {

struct DeltaDebugResult {
  std::vector<size_t> kept;  // indices into the original set, ascending
  size_t tests = 0;          // calls of the test (remembered subsets are not tested again)
  bool minimal = false;      // false when the cap stopped it before 1-minimality was shown
};

// `fails(subset)` runs the test on a subset (indices ascending) and says whether it still fails. The full set
// [0, size) is assumed to fail (the caller checked). At most `max_tests` calls.
inline DeltaDebugResult delta_debug(size_t size, const std::function<bool(const std::vector<size_t>&)>& fails,
                                    size_t max_tests) {
  DeltaDebugResult result;
  std::map<std::vector<size_t>, bool> seen;
  // nullopt: the cap was reached before this subset could be tested.
  auto test = [&](const std::vector<size_t>& subset) -> std::optional<bool> {
    if (const auto known = seen.find(subset); known != seen.end()) return known->second;
    if (result.tests >= max_tests) return std::nullopt;
    ++result.tests;
    return seen[subset] = fails(subset);
  };

  std::vector<size_t> current(size);
  for (size_t i = 0; i < size; ++i) current[i] = i;
  // A failure that needs no element at all is the smallest answer there is.
  const auto empty_fails = test({});
  if (!empty_fails) return result.kept = current, result;
  if (*empty_fails) return result.minimal = true, result;

  size_t granularity = 2;
  while (current.size() >= 2) {
    granularity = std::min(granularity, current.size());
    // The chunks current splits into, as even as possible.
    std::vector<std::vector<size_t>> chunks(granularity);
    for (size_t i = 0; i < current.size(); ++i) chunks[i * granularity / current.size()].push_back(current[i]);

    bool reduced = false, capped = false;
    for (const auto& chunk : chunks) {  // a chunk alone still fails: keep only it
      const auto outcome = test(chunk);
      if (!outcome) { capped = true; break; }
      if (*outcome) { current = chunk, granularity = 2, reduced = true; break; }
    }
    if (!reduced && !capped && granularity > 2) {
      for (size_t skip = 0; skip < chunks.size(); ++skip) {  // the rest without one chunk still fails: drop it
        std::vector<size_t> complement;
        for (size_t c = 0; c < chunks.size(); ++c)
          if (c != skip) complement.insert(complement.end(), chunks[c].begin(), chunks[c].end());
        std::sort(complement.begin(), complement.end());
        const auto outcome = test(complement);
        if (!outcome) { capped = true; break; }
        if (*outcome) { current = complement, granularity = std::max<size_t>(granularity - 1, 2), reduced = true; break; }
      }
    }
    if (capped) return result.kept = current, result;
    if (reduced) continue;
    if (granularity >= current.size()) break;  // every single element was tried: 1-minimal
    granularity = std::min(granularity * 2, current.size());
  }
  result.kept = current;
  // A single element left: it is 1-minimal since the empty set passes.
  result.minimal = true;
  return result;
}

}  // namespace outpost::sim::commands
