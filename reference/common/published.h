#pragma once
// One value many threads read and one writer at a time replaces: readers take the current version (a shared_ptr
// copy, under a lock held only for that copy) and keep it as long as they like; a writer publishes a new one.
//
// Why not std::atomic<std::shared_ptr<T>>: libstdc++ 12's load() releases its internal lock with relaxed order, so
// its read of the pointer is not ordered before the next store's write of it. ThreadSanitizer reports that as a data
// race on the live server (a management change publishing while a long poll reads the configuration), and on a weakly
// ordered CPU (an ARM edge box) the reader could pair the new pointer with the old reference count. A mutex orders
// both ways and costs the same two atomic operations per read when nobody else holds it.
#include <memory>
#include <mutex>
#include <utility>

namespace outpost {

template <class T>
class Published {
 public:
  explicit Published(std::shared_ptr<const T> first = nullptr) : current_(std::move(first)) {}
  Published(const Published&) = delete;
  Published& operator=(const Published&) = delete;

  std::shared_ptr<const T> load() const {
    std::lock_guard lock(mutex_);
    return current_;
  }
  // The version replaced is released after the lock is: its destructor (a whole snapshot) never runs under it.
  void store(std::shared_ptr<const T> next) {
    {
      std::lock_guard lock(mutex_);
      current_.swap(next);
    }
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> current_;
};

}  // namespace outpost
