#include "simulator/report/tree_layout.h"

#include <map>
#include <set>

namespace outpost::sim::report {

std::vector<TreePlacement> lay_out_tree(const std::vector<TreeEdge>& edges) {
  std::vector<TreeEdge> nodes;
  std::set<std::string> known;
  for (const TreeEdge& edge : edges)
    if (known.insert(edge.name).second) nodes.push_back(edge);

  std::map<std::string, std::vector<size_t>> children;  // parent -> indexes into nodes, in input order
  for (size_t i = 0; i < nodes.size(); ++i)
    if (!nodes[i].parent.empty() && known.contains(nodes[i].parent) && nodes[i].parent != nodes[i].name)
      children[nodes[i].parent].push_back(i);

  std::vector<TreePlacement> out;
  std::set<std::string> placed;
  double next_leaf = 0;
  // Iterative depth-first walk: a hierarchy of thousands of levels must not exhaust the stack. A frame is a node and
  // how many of its children were visited; a node's slot is known once its last child is.
  struct Frame {
    size_t node, out_index, next_child = 0;
    double first_child_slot = 0, last_child_slot = 0;
    bool has_child = false;
  };
  const auto place_from = [&](size_t root) {
    std::vector<Frame> stack;
    const auto enter = [&](size_t index, const std::string& parent, int depth) {
      placed.insert(nodes[index].name);
      out.push_back({nodes[index].name, parent, depth, 0});
      stack.push_back({index, out.size() - 1});
    };
    enter(root, "", 0);
    while (!stack.empty()) {
      Frame& frame = stack.back();
      const auto found = children.find(nodes[frame.node].name);
      const std::vector<size_t> none;
      const std::vector<size_t>& kids = found == children.end() ? none : found->second;
      while (frame.next_child < kids.size() && placed.contains(nodes[kids[frame.next_child]].name))
        ++frame.next_child;  // reached before through a cycle
      if (frame.next_child < kids.size()) {
        const size_t child = kids[frame.next_child++];
        const int depth = out[frame.out_index].depth + 1;
        enter(child, nodes[frame.node].name, depth);
        continue;
      }
      // Every child placed: a leaf takes the next slot, a parent the middle of its children.
      const double slot = frame.has_child ? (frame.first_child_slot + frame.last_child_slot) / 2 : next_leaf++;
      out[frame.out_index].slot = slot;
      stack.pop_back();
      if (stack.empty()) break;
      Frame& parent = stack.back();
      if (!parent.has_child) parent.first_child_slot = slot;
      parent.last_child_slot = slot;
      parent.has_child = true;
    }
  };

  for (size_t i = 0; i < nodes.size(); ++i) {
    const bool root = nodes[i].parent.empty() || !known.contains(nodes[i].parent) || nodes[i].parent == nodes[i].name;
    if (root && !placed.contains(nodes[i].name)) place_from(i);
  }
  // What is left hangs in a cycle: cut it at the first node listed.
  for (size_t i = 0; i < nodes.size(); ++i)
    if (!placed.contains(nodes[i].name)) place_from(i);
  return out;
}

}  // namespace outpost::sim::report
