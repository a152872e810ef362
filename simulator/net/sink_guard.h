#pragma once
// A response body sink may throw (a blob download whose disk is full). The live client then stops reading and ends
// the exchange with a transport error carrying the exception's message (reference/live/live_http_client.cpp), and the
// caller retries as after any cut. The simulated clients must do the same rather than let the exception escape into
// the event loop from whichever event happened to deliver the body.
#include <functional>
#include <memory>
#include <string>

#include "reference/common/http_client.h"

namespace outpost::sim::wire {

// Replaces `sink` (when there is one) with a sink that passes pieces on until the first exception, and drops the rest;
// and `done` with one that then reports "<what> (http://<authority>)" as a transport error instead of the response.
void guard_sink(const std::string& authority, std::shared_ptr<http::BodySink>& sink,
                std::function<void(http::ClientResult)>& done);

}  // namespace outpost::sim::wire
