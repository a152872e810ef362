#pragma once
// A management transport that records what the verbs send and answers from a script, so tests see the exact requests
// a command line turns into without a node.
#include <deque>
#include <stdexcept>
#include <string>
#include <vector>

#include "reference/cli/management_client.h"

namespace outpost::cli::test {

struct Sent {
  http::Method method;
  std::string path;
  std::string body;
};

class FakeTransport final : public ManagementTransport {
 public:
  http::ClientResponse send(http::Method method, const std::string& path, const std::string& body) override {
    sent.push_back({method, path, body});
    if (answers.empty()) throw std::logic_error("unexpected request " + path);
    http::ClientResponse answer = std::move(answers.front());
    answers.pop_front();
    return answer;
  }

  FakeTransport& answer(int status, std::string body = "") {
    http::ClientResponse response;
    response.status = status;
    response.body = std::move(body);
    answers.push_back(std::move(response));
    return *this;
  }

  std::vector<Sent> sent;
  std::deque<http::ClientResponse> answers;
};

}  // namespace outpost::cli::test
