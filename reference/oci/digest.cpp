#include "reference/oci/digest.h"

#include <openssl/evp.h>

#include <cctype>
#include <stdexcept>

namespace outpost::oci {

namespace {
bool is_lower_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

// algorithm-component ::= [a-z0-9]+ ; algorithm-separator ::= [+._-] ; encoded ::= [a-zA-Z0-9=_-]+
bool is_algorithm(std::string_view s) {
  if (s.empty()) return false;
  bool previous_was_separator = true;  // the first character must be a component character
  for (char c : s) {
    const bool component = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    const bool separator = c == '+' || c == '.' || c == '_' || c == '-';
    if (component) {
      previous_was_separator = false;
    } else if (separator && !previous_was_separator) {
      previous_was_separator = true;
    } else {
      return false;
    }
  }
  return !previous_was_separator;
}

bool is_encoded(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '=' || c == '_' || c == '-')) return false;
  return true;
}
}  // namespace

bool Digest::well_formed(std::string_view text) {
  const size_t colon = text.find(':');
  return colon != std::string_view::npos && is_algorithm(text.substr(0, colon)) && is_encoded(text.substr(colon + 1));
}

std::optional<Digest> Digest::parse(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  const std::string_view algorithm = text.substr(0, colon), encoded = text.substr(colon + 1);
  Digest digest;
  if (algorithm == "sha256" && encoded.size() == 64 && is_lower_hex(encoded)) {
    digest.algorithm_ = DigestAlgorithm::Sha256;
  } else if (algorithm == "sha512" && encoded.size() == 128 && is_lower_hex(encoded)) {
    digest.algorithm_ = DigestAlgorithm::Sha512;
  } else {
    return std::nullopt;
  }
  digest.text_ = std::string(text);
  return digest;
}

std::string_view Digest::algorithm_name() const {
  return algorithm_ == DigestAlgorithm::Sha256 ? "sha256" : "sha512";
}

namespace {
// OpenSSL 3 looks a digest like EVP_sha256() up in its provider registry at every EVP_DigestInit_ex (an implicit
// fetch, with its locks): about 2 us, more than hashing a whole manifest. Fetched once here and kept for the life of
// the process, every init skips that lookup.
const EVP_MD* fetched(DigestAlgorithm algorithm) {
  static EVP_MD* const sha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  static EVP_MD* const sha512 = EVP_MD_fetch(nullptr, "SHA512", nullptr);
  const EVP_MD* md = algorithm == DigestAlgorithm::Sha256 ? sha256 : sha512;
  if (md) return md;
  return algorithm == DigestAlgorithm::Sha256 ? EVP_sha256() : EVP_sha512();  // no provider fetch: the legacy way
}
}  // namespace

struct Hasher::State {
  EVP_MD_CTX* ctx = nullptr;
  ~State() { EVP_MD_CTX_free(ctx); }
};

Hasher::Hasher(DigestAlgorithm algorithm) : state_(std::make_unique<State>()), algorithm_(algorithm) {
  state_->ctx = EVP_MD_CTX_new();
  if (!state_->ctx || EVP_DigestInit_ex(state_->ctx, fetched(algorithm), nullptr) != 1)
    throw std::runtime_error("cannot initialise OpenSSL digest");
}

Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(std::string_view bytes) {
  if (!bytes.empty() && EVP_DigestUpdate(state_->ctx, bytes.data(), bytes.size()) != 1)
    throw std::runtime_error("OpenSSL digest update failed");
}

void Hasher::update(std::span<const std::byte> bytes) {
  update(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

Digest Hasher::finish() {
  unsigned char raw[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_DigestFinal_ex(state_->ctx, raw, &length) != 1) throw std::runtime_error("OpenSSL digest final failed");
  static constexpr char kHex[] = "0123456789abcdef";
  Digest digest;
  digest.algorithm_ = algorithm_;
  digest.text_ = algorithm_ == DigestAlgorithm::Sha256 ? "sha256:" : "sha512:";
  for (unsigned int i = 0; i < length; ++i) {
    digest.text_.push_back(kHex[raw[i] >> 4]);
    digest.text_.push_back(kHex[raw[i] & 15]);
  }
  return digest;
}

Digest digest_of(std::string_view bytes, DigestAlgorithm algorithm) {
  Hasher hasher(algorithm);
  hasher.update(bytes);
  return hasher.finish();
}

}  // namespace outpost::oci
