#include "reference/control/management_api.h"

#include <functional>
#include <vector>

#include "reference/common/json_depth.h"
#include "reference/common/json_error.h"
#include "reference/common/json_text.h"
#include "reference/common/log.h"
#include "reference/control/control_errors.h"

namespace outpost::control {

namespace {
using Operation = std::function<ControlPlane::Result(const nlohmann::json& body)>;

std::string dump(const nlohmann::json& json) {
  // Names from the path reach messages before they are validated; invalid UTF-8 is replaced rather than failing
  // the answer.
  return json_text(json);
}

http::Response json_response(int status, const nlohmann::json& body, std::string_view route) {
  http::Response response;
  response.status = status;
  response.route = std::string(route);
  if (status != 204) {
    response.headers.set("Content-Type", "application/json");
    response.body = dump(body);
  }
  return response;
}

// The OCI error shape, as the registry answers: {"errors": [{"code", "message", "detail"?}]}.
http::Response error_response(const ApiError& error, std::string_view route) {
  nlohmann::json entry = {{"code", error.code()}, {"message", error.message()}};
  if (!error.detail().is_null()) entry["detail"] = error.detail();
  http::Response response = json_response(error.status(), {{"errors", nlohmann::json::array({entry})}}, route);
  for (const auto& [name, value] : error.headers()) response.headers.add(name, value);
  return response;
}

http::Response failure_response(std::exception_ptr failure, std::string_view route) {
  try {
    std::rethrow_exception(failure);
  } catch (const ApiError& error) {
    return error_response(error, route);
  } catch (const std::exception& error) {
    log::error("management request failed", {{"route", route}, {"error", error.what()}});
    return error_response(ApiError(500, "UNKNOWN", std::string("internal error: ") + error.what()), route);
  }
}

// Null for an empty body (operations read it as {}); 400 for anything that is not JSON or nests absurdly deep.
nlohmann::json parse_body(const std::string& text) {
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) return nullptr;
  const auto limit_depth = [](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
    if (static_cast<size_t>(depth) > ManagementApi::kMaxJsonDepth)
      throw invalid_request("request body nests deeper than " + std::to_string(ManagementApi::kMaxJsonDepth) +
                            " levels");
    return true;
  };
  if (json_holds_nul(text))  // the parser would stop at it (reference/common/json_depth.h)
    throw invalid_request("request body is not valid JSON: it holds a NUL byte (escape U+0000 as \\u0000)");
  try {
    return nlohmann::json::parse(text, limit_depth);
  } catch (const nlohmann::json::exception& error) {
    // parse_error for bad syntax, out_of_range for a number too large for any C++ type.
    throw invalid_request("request body is not valid JSON: " + json_error_message(error));
  }
}

// Buffers the body (up to the limit), then runs the operation once at finish().
class OperationCall final : public http::Call {
 public:
  OperationCall(const http::Request& request, Operation operation, std::string_view route)
      : operation_(std::move(operation)), route_(route) {
    if (request.content_length && *request.content_length > ManagementApi::kMaxBodyBytes) too_large_ = true;
  }

  bool on_body(std::string_view piece) override {
    if (too_large_ || body_.size() + piece.size() > ManagementApi::kMaxBodyBytes) {
      too_large_ = true;
      return false;  // the 413 follows at once and the connection closes after it
    }
    body_.append(piece);
    return true;
  }

  http::Response finish() override {
    try {
      if (too_large_)
        throw ApiError(413, "INVALID_REQUEST",
                       "request body exceeds " + std::to_string(ManagementApi::kMaxBodyBytes) + " bytes");
      const ControlPlane::Result result = operation_(parse_body(body_));
      return json_response(result.status, result.body, route_);
    } catch (...) {
      return failure_response(std::current_exception(), route_);
    }
  }

 private:
  Operation operation_;
  std::string_view route_;
  std::string body_;
  bool too_large_ = false;
};

// The segments after the prefix, each decoded on its own from the target as received: a name with an encoded slash
// ("new-tok%2F") is one segment, refused by the name check, where the decoded path split it and the trailing slash
// was dropped, so it named another token ("DELETE tokens/victim%2F" deleted victim). Only a collection may end in a
// slash ("/mgmt/v1/tokens/" is the list); "tokens/victim/" names no endpoint.
std::vector<std::string> split_path(const http::Request& request) {
  std::string_view raw = request.target.empty() ? std::string_view(request.path) : std::string_view(request.target);
  raw = raw.substr(0, raw.find('?'));
  if (!raw.starts_with(ManagementApi::kPrefix)) return {std::string()};  // an encoded prefix names no endpoint
  std::string_view rest = raw.substr(ManagementApi::kPrefix.size());
  if (rest.ends_with('/') && rest.find('/') == rest.size() - 1) rest.remove_suffix(1);
  std::vector<std::string> segments;
  while (true) {
    const size_t slash = rest.find('/');
    const std::string_view segment = rest.substr(0, slash);
    segments.push_back(segment.find('%') == std::string_view::npos ? std::string(segment)
                                                                   : http::percent_decode(segment));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return segments;
}

std::unique_ptr<http::Call> answer_error(const ApiError& error, std::string_view route) {
  return http::respond_now(error_response(error, route));
}

ApiError method_not_allowed(http::Method method, std::string_view allow) {
  ApiError error(
      405, "UNSUPPORTED",
      "method " + std::string(http::method_name(method)) + " is not supported here; allowed: " + std::string(allow));
  error.with_header("Allow", std::string(allow));
  return error;
}
}  // namespace

std::unique_ptr<http::Call> ManagementApi::start(const http::Request& request) {
  using http::Method;
  const std::string_view path = request.path;
  if (!path.starts_with(kPrefix))
    return answer_error(not_found("no such management endpoint", {{"path", path}}), "mgmt_unknown");
  const std::vector<std::string> segments = split_path(request);
  const Method method = request.method;
  ControlPlane& control = control_;
  const auto call = [&](Operation operation, std::string_view route) -> std::unique_ptr<http::Call> {
    return std::make_unique<OperationCall>(request, std::move(operation), route);
  };

  const bool scope_maps = segments[0] == "scopeMaps";
  const bool tokens = segments[0] == "tokens";
  if ((scope_maps || tokens) && segments.size() == 1) {
    if (method != Method::Get) return answer_error(method_not_allowed(method, "GET"), "mgmt_list");
    if (scope_maps)
      return call([&control](const nlohmann::json&) { return control.list_scope_maps(); }, "mgmt_scope_map_list");
    return call([&control](const nlohmann::json&) { return control.list_tokens(); }, "mgmt_token_list");
  }
  if ((scope_maps || tokens) && segments.size() == 2 && !segments[1].empty()) {
    std::string name = segments[1];
    switch (method) {
      case Method::Get:
        if (scope_maps)
          return call([&control, name](const nlohmann::json&) { return control.get_scope_map(name); },
                      "mgmt_scope_map_get");
        return call([&control, name](const nlohmann::json&) { return control.get_token(name); }, "mgmt_token_get");
      case Method::Put:
        if (scope_maps)
          return call([&control, name](const nlohmann::json& body) { return control.put_scope_map(name, body); },
                      "mgmt_scope_map_put");
        return call([&control, name](const nlohmann::json& body) { return control.put_token(name, body); },
                    "mgmt_token_put");
      case Method::Patch:
        if (scope_maps)
          return call([&control, name](const nlohmann::json& body) { return control.patch_scope_map(name, body); },
                      "mgmt_scope_map_patch");
        return call([&control, name](const nlohmann::json& body) { return control.patch_token(name, body); },
                    "mgmt_token_patch");
      case Method::Delete:
        if (scope_maps)
          return call([&control, name](const nlohmann::json&) { return control.delete_scope_map(name); },
                      "mgmt_scope_map_delete");
        return call([&control, name](const nlohmann::json&) { return control.delete_token(name); },
                    "mgmt_token_delete");
      default:
        return answer_error(method_not_allowed(method, "GET, PUT, PATCH, DELETE"), "mgmt_resource");
    }
  }
  if (tokens && segments.size() == 3 && !segments[1].empty() && segments[2] == "generateCredentials") {
    if (method != Method::Post) return answer_error(method_not_allowed(method, "POST"), "mgmt_generate_credentials");
    std::string name = segments[1];
    return call([&control, name](const nlohmann::json& body) { return control.generate_credentials(name, body); },
                "mgmt_token_generate_credentials");
  }
  if (segments[0] == "connectedRegistries") return connected_registries(request, segments);
  return answer_error(not_found("no such management endpoint", {{"path", path}}), "mgmt_unknown");
}

std::unique_ptr<http::Call> ManagementApi::connected_registries(const http::Request& request,
                                                                const std::vector<std::string>& segments) {
  using http::Method;
  const Method method = request.method;
  ControlPlane& control = control_;
  const auto call = [&](Operation operation, std::string_view route) -> std::unique_ptr<http::Call> {
    return std::make_unique<OperationCall>(request, std::move(operation), route);
  };
  if (segments.size() == 1) {
    if (method != Method::Get) return answer_error(method_not_allowed(method, "GET"), "mgmt_list");
    ConnectedRegistryFilter filter;
    filter.parent = request.query_param("parent");
    filter.mode = request.query_param("mode");
    filter.connection_state = request.query_param("connectionState");
    return call([&control, filter](const nlohmann::json&) { return control.list_connected_registries(filter); },
                "mgmt_connected_registry_list");
  }
  if (segments[1].empty()) return answer_error(not_found("no such management endpoint"), "mgmt_unknown");
  std::string name = segments[1];
  if (segments.size() == 2) {
    switch (method) {
      case Method::Get:
        return call([&control, name](const nlohmann::json&) { return control.get_connected_registry(name); },
                    "mgmt_connected_registry_get");
      case Method::Put:
        return call([&control, name](const nlohmann::json& body) { return control.put_connected_registry(name, body); },
                    "mgmt_connected_registry_put");
      case Method::Patch:
        return call(
            [&control, name](const nlohmann::json& body) { return control.patch_connected_registry(name, body); },
            "mgmt_connected_registry_patch");
      case Method::Delete: {
        // SPEC 7.2: ?cleanup=true (absent or false: keep the sync token and scope map).
        const auto cleanup = request.query_param("cleanup");
        if (cleanup && *cleanup != "true" && *cleanup != "false")
          return answer_error(invalid_request("query parameter 'cleanup' is true or false; got '" + *cleanup + "'"),
                              "mgmt_connected_registry_delete");
        const bool wanted = cleanup == "true";
        return call(
            [&control, name, wanted](const nlohmann::json&) { return control.delete_connected_registry(name, wanted); },
            "mgmt_connected_registry_delete");
      }
      default:
        return answer_error(method_not_allowed(method, "GET, PUT, PATCH, DELETE"), "mgmt_resource");
    }
  }
  if (segments.size() == 3) {
    const std::string& action = segments[2];
    if (action == "notifications") {
      if (method != Method::Get)
        return answer_error(method_not_allowed(method, "GET"), "mgmt_connected_registry_action");
      return call([&control, name](const nlohmann::json&) { return control.list_notifications(name); },
                  "mgmt_connected_registry_notifications");
    }
    Operation operation;
    std::string_view route;
    if (action == "deactivate") {
      operation = [&control, name](const nlohmann::json&) { return control.deactivate_connected_registry(name); };
      route = "mgmt_connected_registry_deactivate";
    } else if (action == "resync") {
      operation = [&control, name](const nlohmann::json&) { return control.resync_connected_registry(name); };
      route = "mgmt_connected_registry_resync";
    } else if (action == "permissions") {
      operation = [&control, name](const nlohmann::json& body) {
        return control.update_connected_registry_permissions(name, body);
      };
      route = "mgmt_connected_registry_permissions";
    } else if (action == "connectionString") {
      operation = [&control, name](const nlohmann::json& body) { return control.connection_string(name, body); };
      route = "mgmt_connected_registry_connection_string";
    }
    if (operation) {
      if (method != Method::Post) return answer_error(method_not_allowed(method, "POST"), route);
      return call(std::move(operation), route);
    }
  }
  return answer_error(not_found("no such management endpoint", {{"path", request.path}}), "mgmt_unknown");
}

}  // namespace outpost::control
