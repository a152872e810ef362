#pragma once
// The event loop's queue of posted callbacks: a ring buffer that grows by doubling. Posts are due at once and already
// in sequence order, so a FIFO serves them without heap work; std::deque would allocate a block every few posts.
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "simulator/engine/callback.h"

namespace outpost::sim {

class PostQueue {
 public:
  struct Post {
    uint64_t sequence = 0;
    Callback work;
  };

  bool empty() const { return size_ == 0; }
  size_t size() const { return size_; }
  Post& front() { return items_[head_]; }
  const Post& front() const { return items_[head_]; }

  template <class F>
  void push(uint64_t sequence, F&& work) {
    if (size_ == items_.size()) grow();
    Post& post = items_[(head_ + size_) & (items_.size() - 1)];
    post.sequence = sequence;
    post.work = Callback(std::forward<F>(work));
    ++size_;
  }

  // Drops the front post (its callback was moved out, or is destroyed here).
  void pop() {
    items_[head_].work.reset();
    head_ = (head_ + 1) & (items_.size() - 1);
    --size_;
  }

  void clear() {
    while (!empty()) pop();
  }

 private:
  void grow() {
    std::vector<Post> bigger(items_.empty() ? 64 : items_.size() * 2);
    for (size_t i = 0; i < size_; ++i) bigger[i] = std::move(items_[(head_ + i) & (items_.size() - 1)]);
    items_ = std::move(bigger);
    head_ = 0;
  }

  std::vector<Post> items_;  // capacity: zero or a power of two
  size_t head_ = 0;
  size_t size_ = 0;
};

}  // namespace outpost::sim
