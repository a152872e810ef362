#pragma once
// Content digests (OCI image-spec "Digests"): `algorithm ":" encoded`, with sha256 and sha512 registered.
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace outpost::oci {

enum class DigestAlgorithm { Sha256, Sha512 };

class Digest {
 public:
  Digest() = default;
  // Parses and validates against the spec grammar and the registered algorithm's encoding (lowercase hex of the right
  // length). Returns nullopt for anything else, including unregistered algorithms.
  static std::optional<Digest> parse(std::string_view text);
  // True when `text` matches the general grammar (algorithm ":" encoded) even if the algorithm is not supported.
  static bool well_formed(std::string_view text);

  DigestAlgorithm algorithm() const { return algorithm_; }
  std::string_view algorithm_name() const;
  std::string_view hex() const { return std::string_view(text_).substr(text_.find(':') + 1); }
  const std::string& str() const { return text_; }
  bool empty() const { return text_.empty(); }

  auto operator<=>(const Digest& other) const { return text_ <=> other.text_; }
  bool operator==(const Digest& other) const { return text_ == other.text_; }

 private:
  DigestAlgorithm algorithm_ = DigestAlgorithm::Sha256;
  std::string text_;
  friend class Hasher;
};

// Streaming hasher on OpenSSL EVP (uses SHA-NI where the CPU has it). Movable, not copyable.
class Hasher {
 public:
  explicit Hasher(DigestAlgorithm algorithm = DigestAlgorithm::Sha256);
  ~Hasher();
  Hasher(Hasher&&) noexcept;
  Hasher& operator=(Hasher&&) noexcept;

  void update(std::string_view bytes);
  void update(std::span<const std::byte> bytes);
  Digest finish();  // the hasher may not be used afterwards
  DigestAlgorithm algorithm() const { return algorithm_; }

 private:
  struct State;
  std::unique_ptr<State> state_;
  DigestAlgorithm algorithm_;
};

Digest digest_of(std::string_view bytes, DigestAlgorithm algorithm = DigestAlgorithm::Sha256);

}  // namespace outpost::oci

template <>
struct std::hash<outpost::oci::Digest> {
  size_t operator()(const outpost::oci::Digest& d) const noexcept { return std::hash<std::string>{}(d.str()); }
};
