#pragma once
// One request at a time writes to an upload session. Without it, a PATCH still streaming its body could append to a
// session that a concurrent PUT had just verified and renamed into the blob store, so the stored blob no longer
// matched its digest; and two chunks declared at the same offset could both be accepted, one after the other.
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

namespace outpost::registry {

class UploadLeases {
 public:
  // Held by the request writing to a session, from before its first byte until after its answer (the commit
  // included). Releases on destruction.
  class Lease {
   public:
    Lease() = default;
    Lease(Lease&& other) noexcept : owner_(std::exchange(other.owner_, nullptr)), id_(std::move(other.id_)) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease() {
      if (owner_) owner_->release(id_);
    }

   private:
    friend class UploadLeases;
    Lease(UploadLeases* owner, std::string id) : owner_(owner), id_(std::move(id)) {}
    UploadLeases* owner_ = nullptr;
    std::string id_;
  };

  // The session's lease, or nothing while another request holds it.
  std::optional<Lease> try_acquire(std::string_view id) {
    std::lock_guard lock(mutex_);
    if (!held_.emplace(id).second) return std::nullopt;
    return Lease(this, std::string(id));
  }

 private:
  void release(const std::string& id) {
    std::lock_guard lock(mutex_);
    held_.erase(id);
  }

  std::mutex mutex_;
  std::set<std::string, std::less<>> held_;
};

}  // namespace outpost::registry
