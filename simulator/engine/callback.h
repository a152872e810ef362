#pragma once
// A move-only `void()` callable with 48 bytes of inline storage: what the event loop keeps for every pending event.
// std::function keeps only 16 bytes inline (libstdc++), so a callback capturing a shared_ptr and a pointer already
// allocates; most of the simulator's callbacks fit here and cost no allocation. Being move-only, it also accepts
// callbacks that own what they capture (a unique_ptr to a message), which std::function refuses.
#include <cstddef>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

namespace outpost::sim {

class Callback {
 public:
  static constexpr size_t kInlineSize = 48;

  Callback() noexcept = default;

  template <class F>
    requires(!std::is_same_v<std::decay_t<F>, Callback> && std::is_invocable_r_v<void, std::decay_t<F>&>)
  Callback(F&& work) {  // NOLINT(google-explicit-constructor): a lambda converts, as to std::function
    using Stored = std::decay_t<F>;
    if constexpr (fits_inline<Stored>()) {
      ::new (static_cast<void*>(buffer_)) Stored(std::forward<F>(work));
      invoke_ = [](void* self) { (*std::launder(static_cast<Stored*>(self)))(); };
      // Trivially copyable callables (a lambda capturing pointers and numbers) move with a memcpy: no manager call.
      if constexpr (!std::is_trivially_copyable_v<Stored>) manage_ = &manage_inline<Stored>;
    } else {
      Stored* heap = new Stored(std::forward<F>(work));
      std::memcpy(buffer_, &heap, sizeof heap);
      invoke_ = [](void* self) {
        Stored* target;
        std::memcpy(&target, self, sizeof target);
        (*target)();
      };
      manage_ = &manage_heap<Stored>;
    }
  }

  Callback(Callback&& other) noexcept { take(other); }
  Callback& operator=(Callback&& other) noexcept {
    if (this != &other) {
      reset();
      take(other);
    }
    return *this;
  }
  Callback(const Callback&) = delete;
  Callback& operator=(const Callback&) = delete;
  ~Callback() { reset(); }

  explicit operator bool() const { return invoke_ != nullptr; }
  void operator()() { invoke_(buffer_); }

  // Destroys the callable (and what it captured) now.
  void reset() noexcept {
    if (manage_) manage_(Op::Destroy, buffer_, nullptr);
    invoke_ = nullptr;
    manage_ = nullptr;
  }

 private:
  enum class Op { MoveTo, Destroy };
  using Invoke = void (*)(void*);
  using Manage = void (*)(Op, void* self, void* target);

  template <class Stored>
  static constexpr bool fits_inline() {
    return sizeof(Stored) <= kInlineSize && alignof(Stored) <= alignof(std::max_align_t) &&
           std::is_nothrow_move_constructible_v<Stored>;
  }

  template <class Stored>
  static void manage_inline(Op op, void* self, void* target) {
    Stored* stored = std::launder(static_cast<Stored*>(self));
    if (op == Op::MoveTo) ::new (target) Stored(std::move(*stored));
    stored->~Stored();
  }

  template <class Stored>
  static void manage_heap(Op op, void* self, void* target) {
    if (op == Op::MoveTo) {
      std::memcpy(target, self, sizeof(Stored*));
    } else {
      Stored* heap;
      std::memcpy(&heap, self, sizeof heap);
      delete heap;
    }
  }

  // Moves `other`'s callable here (this one is empty) and leaves `other` empty.
  void take(Callback& other) noexcept {
    if (other.manage_)
      other.manage_(Op::MoveTo, other.buffer_, buffer_);
    else if (other.invoke_)
      std::memcpy(buffer_, other.buffer_, kInlineSize);
    invoke_ = std::exchange(other.invoke_, nullptr);
    manage_ = std::exchange(other.manage_, nullptr);
  }

  alignas(std::max_align_t) std::byte buffer_[kInlineSize];
  Invoke invoke_ = nullptr;
  Manage manage_ = nullptr;
};

}  // namespace outpost::sim
