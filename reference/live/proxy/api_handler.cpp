#include <algorithm>
#include "reference/live/proxy/api_handler.h"

#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "reference/common/json_depth.h"
#include "reference/common/json_error.h"
#include "reference/common/json_text.h"
#include "reference/live/proxy/proxy_error.h"

namespace outpost::live::proxy {

using nlohmann::json;

namespace {

constexpr size_t kMaxBody = 1024 * 1024;  // control requests are a few hundred bytes

http::Response answer(int status, const json& body) {
  http::Response response;
  response.status = status;
  response.route = "proxy_api";
  if (status != 204) {
    response.headers.set("Content-Type", "application/json");
    // Replace, not throw: an error may quote a client's bytes that are not UTF-8.
    response.body = json_text(body) + "\n";
  }
  return response;
}

http::Response error_answer(int status, const std::string& message) {
  return answer(status, json{{"error", message}, {"status", status}});
}

std::vector<std::string> segments(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string::npos ? path.size() : slash;
    if (end > start) parts.push_back(path.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

// Deeper than any link or toxic goes (3 levels); a body nested without bound made later reads of it recurse until the
// stack ran out (a toxic's attributes nested 200,000 deep killed the proxy).
constexpr size_t kMaxBodyDepth = 32;

json parse_body(const std::string& body) {
  if (body.empty()) return json::object();
  if (json_nests_deeper_than(body, kMaxBodyDepth))
    throw ProxyError(400, "bad request body: nests deeper than " + std::to_string(kMaxBodyDepth) + " levels");
  if (json_holds_nul(body)) throw ProxyError(400, "bad request body: it holds a NUL byte");  // see json_depth.h
  try {
    return json::parse(body);
  } catch (const json::exception& error) {  // a syntax error, or a number no double holds (1e400)
    throw ProxyError(400, "bad request body: " + json_error_message(error));
  }
}

// What a link's JSON may hold: what GET shows (toxiproxy clients send a link back as they read it, so `toxics` and
// `counters` are accepted and ignored) and `bandwidth`. Anything else is most likely a misspelling, refused rather
// than ignored.
void refuse_unknown_link_fields(const json& body) {
  static constexpr std::string_view kKnown[] = {"name", "listen", "upstream", "enabled", "bandwidth", "toxics",
                                                "counters"};
  for (const auto& [key, value] : body.items())
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown))
      throw ProxyError(400, "bad request body: unknown field '" + key +
                                "' (a link has name, listen, upstream, enabled, bandwidth)");
}

std::optional<std::string> optional_string(const json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_string()) throw ProxyError(400, std::string("bad request body: '") + key + "' must be a string");
  return it->get<std::string>();
}

std::optional<bool> optional_bool(const json& body, const char* key) {
  const auto it = body.find(key);
  if (it == body.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) throw ProxyError(400, std::string("bad request body: '") + key + "' must be true or false");
  return it->get<bool>();
}

// A link's "bandwidth": {"upstream": bytes/s, "downstream": bytes/s}, either or both (0: unlimited); the streams it
// sets. Checked whole before anything is applied.
std::vector<std::pair<Stream, uint64_t>> bandwidth_field(const json& body) {
  const auto field = body.find("bandwidth");
  if (field == body.end() || field->is_null()) return {};
  if (!field->is_object())
    throw ProxyError(400, "bad request body: 'bandwidth' must be an object {\"upstream\": bytes/s, "
                          "\"downstream\": bytes/s}");
  std::vector<std::pair<Stream, uint64_t>> rates;
  for (const auto& [key, value] : field->items()) {
    const auto stream = parse_stream(key);
    if (!stream) throw ProxyError(400, "bad request body: 'bandwidth' has upstream and downstream, not '" + key + "'");
    const std::string where = "bad request body: bandwidth." + key;
    uint64_t rate = 0;
    if (value.is_number_unsigned()) {
      rate = value.get<uint64_t>();
    } else if (value.is_number()) {
      const double number = value.get<double>();
      if (!(number >= 0)) throw ProxyError(400, where + " must not be negative");
      if (number != std::floor(number)) throw ProxyError(400, where + " must be a whole number of bytes per second");
      if (number > static_cast<double>(kMaxLinkBandwidth)) rate = kMaxLinkBandwidth + 1;
      else rate = static_cast<uint64_t>(number);
    } else {
      throw ProxyError(400, where + " must be a number (bytes per second, 0: unlimited)");
    }
    if (rate > kMaxLinkBandwidth)
      throw ProxyError(400, where + " is too large (at most " + std::to_string(kMaxLinkBandwidth) + ")");
    rates.emplace_back(*stream, rate);
  }
  return rates;
}

class ApiCall final : public http::Call {
 public:
  ApiCall(FaultProxy& proxy, http::Request request) : proxy_(proxy), request_(std::move(request)) {}

  bool on_body(std::string_view piece) override {
    if (body_.size() + piece.size() > kMaxBody) {
      too_large_ = true;
      return false;
    }
    body_.append(piece);
    return true;
  }

  http::Response finish() override {
    if (too_large_) return error_answer(413, "request body too large");
    try {
      return route();
    } catch (const ProxyError& error) {
      return error_answer(error.status(), error.what());
    } catch (const std::exception& error) {
      return error_answer(500, error.what());
    }
  }

 private:
  http::Response route() {
    const auto parts = segments(request_.path);
    const http::Method method = request_.method;
    const bool update = method == http::Method::Post || method == http::Method::Patch;
    if (parts.size() == 1 && parts[0] == "version") {
      if (method != http::Method::Get) return not_allowed();
      return answer(200, json{{"version", kProxyVersion}});
    }
    if (parts.size() == 1 && parts[0] == "populate") {
      if (method != http::Method::Post) return not_allowed();
      return populate();
    }
    if (parts.size() == 1 && parts[0] == "reset") {
      if (method != http::Method::Post) return not_allowed();
      proxy_.reset();
      return answer(204, nullptr);
    }
    if (parts.empty() || parts[0] != "proxies" || parts.size() > 4 || (parts.size() >= 3 && parts[2] != "toxics"))
      return error_answer(404, "not found");
    if (parts.size() == 1) {
      if (method == http::Method::Get) {
        json all = json::object();
        for (const auto& link : proxy_.links()) all[link.name] = to_json(link);
        return answer(200, all);
      }
      if (method == http::Method::Post) return create_link();
      return not_allowed();
    }
    const std::string& name = parts[1];
    if (parts.size() == 2) {
      if (method == http::Method::Get) return answer(200, to_json(proxy_.link(name)));
      if (update) {
        const json body = parse_body(body_);
        if (!body.is_object()) throw ProxyError(400, "bad request body: expected a JSON object");
        refuse_unknown_link_fields(body);
        if (const auto renamed = optional_string(body, "name"); renamed && *renamed != proxy_.link(name).name)
          throw ProxyError(400, "a link's name cannot change; delete the link and create it again");
        if (const auto listen = optional_string(body, "listen"); listen && *listen != proxy_.link(name).listen)
          throw ProxyError(400, "a link's listen address cannot change; delete the link and create it again");
        const auto enabled = optional_bool(body, "enabled");
        const auto upstream = optional_string(body, "upstream");
        const auto rates = bandwidth_field(body);
        LinkStatus status = proxy_.update_link(name, enabled, upstream);
        for (const auto& [stream, rate] : rates) status = proxy_.set_link_bandwidth(name, stream, rate);
        return answer(200, to_json(status));
      }
      if (method == http::Method::Delete) {
        proxy_.remove_link(name);
        return answer(204, nullptr);
      }
      return not_allowed();
    }
    if (parts.size() == 3) {
      if (method == http::Method::Get) {
        json toxics = json::array();
        for (const auto& toxic : proxy_.toxics(name)) toxics.push_back(to_json(toxic));
        return answer(200, toxics);
      }
      if (method == http::Method::Post) {
        proxy_.link(name);  // 404 for an unknown link before a 400 for its body, as toxiproxy answers
        return answer(200, to_json(proxy_.add_toxic(name, toxic_from_json(parse_body(body_)))));
      }
      return not_allowed();
    }
    const std::string& toxic = parts[3];
    if (method == http::Method::Get) return answer(200, to_json(proxy_.toxic(name, toxic)));
    if (update) return answer(200, to_json(proxy_.update_toxic(name, toxic, parse_body(body_))));
    if (method == http::Method::Delete) {
      proxy_.remove_toxic(name, toxic);
      return answer(204, nullptr);
    }
    return not_allowed();
  }

  http::Response create_link() {
    return answer(201, to_json(proxy_.create_link(link_spec_from_json(parse_body(body_)))));
  }

  // toxiproxy's POST /populate: a JSON array of links as POST /proxies takes them. 201 and {"proxies": [link, ...]}
  // in the array's order; an error answers {"error", "status", "proxies": [the links made or kept before it]}.
  http::Response populate() {
    const json body = parse_body(body_);
    if (!body.is_array()) throw ProxyError(400, "bad request body: expected a JSON array of links");
    std::vector<LinkSpec> specs;
    for (size_t i = 0; i < body.size(); ++i) {
      try {
        specs.push_back(link_spec_from_json(body[i]));
      } catch (const ProxyError& error) {
        throw ProxyError(error.status(), "proxy " + std::to_string(i + 1) + ": " + error.what());
      }
    }
    const FaultProxy::Populated populated = proxy_.populate(specs);
    json links = json::array();
    for (const LinkStatus& link : populated.links) links.push_back(to_json(link));
    if (!populated.error) return answer(201, json{{"proxies", std::move(links)}});
    const int status = populated.error->status();
    return answer(status, json{{"error", populated.error->what()}, {"status", status}, {"proxies", std::move(links)}});
  }

  http::Response not_allowed() { return error_answer(405, "method not allowed"); }

  FaultProxy& proxy_;
  http::Request request_;
  std::string body_;
  bool too_large_ = false;
};

}  // namespace

LinkSpec link_spec_from_json(const json& body) {
  if (!body.is_object()) throw ProxyError(400, "bad request body: expected a JSON object");
  refuse_unknown_link_fields(body);
  LinkSpec spec;
  const auto name = optional_string(body, "name");
  if (!name || name->empty()) throw ProxyError(400, "missing required field: name");
  spec.name = *name;
  const auto upstream = optional_string(body, "upstream");
  if (!upstream || upstream->empty()) throw ProxyError(400, "missing required field: upstream");
  spec.upstream = *upstream;
  if (const auto listen = optional_string(body, "listen"); listen && !listen->empty()) spec.listen = *listen;
  if (const auto enabled = optional_bool(body, "enabled")) spec.enabled = *enabled;
  for (const auto& [stream, rate] : bandwidth_field(body)) spec.bandwidth.of(stream) = rate;
  return spec;
}

std::unique_ptr<http::Call> ApiHandler::start(http::Request request) {
  return std::make_unique<ApiCall>(proxy_, std::move(request));
}

}  // namespace outpost::live::proxy
