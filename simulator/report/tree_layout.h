#pragma once
// Where each node of a hierarchy goes in a drawing: its depth (row) and a horizontal slot. Leaves take consecutive
// slots in the order the input lists them; a parent sits centred over its first and last child, so subtrees never
// overlap and siblings keep the scenario's order. Input is a plain list of (name, parent) pairs, straight from a
// report, so it may be wrong: a parent nobody lists makes its child a root, and a cycle is cut where it is found
// (each node is placed once).
#include <string>
#include <vector>

namespace outpost::sim::report {

struct TreeEdge {
  std::string name;
  std::string parent;  // empty: a root
};

struct TreePlacement {
  std::string name;
  std::string parent;  // as placed: empty for a root (also when the given parent was unknown or a cycle)
  int depth = 0;       // 0 for a root
  double slot = 0;     // 0 for the leftmost leaf; one unit between neighbouring leaves
};

// In depth-first order (a parent before its children); duplicate names after the first are ignored.
std::vector<TreePlacement> lay_out_tree(const std::vector<TreeEdge>& edges);

}  // namespace outpost::sim::report
