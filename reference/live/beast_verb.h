#pragma once
// Our HTTP methods in Beast's words, for the live clients (blocking_client.cpp, live_http_client.cpp). Inside
// reference/live only: Beast stays out of every other layer.
#include <stdexcept>

#include <boost/beast/http/verb.hpp>

#include "reference/common/http.h"

namespace outpost::live {

inline boost::beast::http::verb to_verb(http::Method method) {
  namespace bhttp = boost::beast::http;
  switch (method) {
    case http::Method::Get: return bhttp::verb::get;
    case http::Method::Head: return bhttp::verb::head;
    case http::Method::Post: return bhttp::verb::post;
    case http::Method::Put: return bhttp::verb::put;
    case http::Method::Patch: return bhttp::verb::patch;
    case http::Method::Delete: return bhttp::verb::delete_;
    case http::Method::Other: break;
  }
  throw std::invalid_argument("unsupported HTTP method");
}

}  // namespace outpost::live
