#pragma once
// HTTP messages as a simulated wire sees them: how many bytes their heads take in HTTP/1.1 (what a link charges
// besides the body), the server-side Request a client's request becomes, and the body copied out of a Response, whole
// or only its first bytes (a cut transfer leaves the client what had arrived, so a Range request can resume).
#include <cstdint>
#include <exception>
#include <string>

#include "reference/common/http.h"
#include "reference/common/http_client.h"

namespace outpost::sim::wire {

// The request line, Host, the request's headers, Content-Length when it has a body, and the blank line.
uint64_t request_head_bytes(const http::ClientRequest& request);
uint64_t request_body_bytes(const http::ClientRequest& request);
// The status line, the headers (which must already carry Content-Length) and the blank line.
uint64_t response_head_bytes(int status, const http::Headers& headers);

// What the server's handler sees: the target split into path and query, Host set, the peer as `from`:1. It takes the
// request's target, headers and authority rather than copying them (a token is long): a wire counts them before the
// request is served, and whoever still needs the target keeps its own copy first.
http::Request server_request(const std::string& from, http::ClientRequest& request);
// Feeds the request body to the call piece by piece; stops when the call says it has enough.
void feed_body(http::ClientRequest& request, http::Call& call);
// The error response a handler's exception becomes (an ApiError keeps its status, body and headers; anything else is
// a 500), as the live server renders it.
http::Response failure_response(std::exception_ptr failure);

// Copies at most `limit` bytes of the response body to `sink`, or to `out` without a sink (an in-memory body that fits
// whole is moved there instead: the response gives it up).
void copy_body(http::Response& response, uint64_t limit, http::BodySink* sink, std::string& out);

}  // namespace outpost::sim::wire
