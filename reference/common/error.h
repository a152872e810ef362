#pragma once
// Errors a node answers with, in the OCI distribution-spec JSON shape: {"errors":[{"code","message","detail"}]}.
// Handlers throw ApiError; the router turns it into a response. Exceptions keep the happy path free of error plumbing
// and cost nothing unless thrown.
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace outpost {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, std::string code, std::string message, nlohmann::json detail = nullptr)
      : std::runtime_error(message), status_(status), code_(std::move(code)), message_(std::move(message)),
        detail_(std::move(detail)) {}
  int status() const { return status_; }
  // The whole message: what() ends at the first NUL, which a message quoting the client's bytes may hold.
  const std::string& message() const { return message_; }
  const std::string& code() const { return code_; }
  const nlohmann::json& detail() const { return detail_; }
  // The body: the same bytes for the same error, with no time or request id in it (SPEC 4.5).
  std::string body() const;

  // Headers the answer must carry (a 401's WWW-Authenticate challenge, a 416's Range).
  ApiError& with_header(std::string name, std::string value) {
    headers_.emplace_back(std::move(name), std::move(value));
    return *this;
  }
  const std::vector<std::pair<std::string, std::string>>& headers() const { return headers_; }

 private:
  int status_;
  std::string code_;
  std::string message_;
  nlohmann::json detail_;
  std::vector<std::pair<std::string, std::string>> headers_;
};

}  // namespace outpost
