#pragma once
// The gateway API of one node (SPEC 1.2, 5; docs/protocol.md): what its children call to activate, read their
// configuration, long-poll their messages, list what the parent holds (full resync) and report status. Served at the
// cloud's data endpoint and at every connected registry's single endpoint.
#include <functional>
#include <memory>
#include <string_view>

#include "reference/auth/actions.h"
#include "reference/common/clock.h"
#include "reference/common/executor.h"
#include "reference/common/http.h"
#include "reference/gateway/config_source.h"
#include "reference/gateway/message_log.h"
#include "reference/gateway/protocol.h"
#include "reference/storage/storage.h"

namespace outpost::gateway {

// Throws the ApiError to answer when the request may not act on `cr` with `actions` (401, 403, 503...).
using GatewayAuthorizer = std::function<void(const http::Request&, std::string_view cr, auth::GatewayActions)>;

class GatewayHandler final : public http::Handler {
 public:
  // Every reference must outlive the handler. `executor` runs long-poll deadlines.
  GatewayHandler(ConfigSource& configs, MessageLog& log, storage::Storage& storage, const Clock& clock,
                 Executor& executor, GatewayAuthorizer authorize);

  static bool serves(std::string_view path) { return path.starts_with(kPathPrefix); }
  std::unique_ptr<http::Call> start(http::Request request) override;

  // Answers every waiting long poll now (the node is stopping, or a configuration changed).
  void wake_all() { log_.wake_all(); }

 private:
  friend class GatewayCall;
  ConfigSource& configs_;
  MessageLog& log_;
  storage::Storage& storage_;
  const Clock& clock_;
  Executor& executor_;
  GatewayAuthorizer authorize_;
};

// `{"repositories": {"<name>": {"tags": {"<tag>": "<digest>"}}}}` for every repository matching `patterns`: what a
// child compares with its own content on a full resync (SPEC 5.5, 2.11).
nlohmann::json inventory(storage::MetadataStore& metadata, const std::vector<std::string>& patterns);

}  // namespace outpost::gateway
