#pragma once
// SPEC 3.6: the Docker scope a route needs, as its 401 challenge names it, e.g. `repository:samples/app:pull,push`.
// Empty for routes whose needs no Docker scope expresses (GET /v2/, metrics, management, gateway, probes).
#include <string>

#include "reference/auth/route_needs.h"

namespace outpost::auth {

// pull for reads, tags/list and referrers; pull,push for uploads and manifest PUT (a mount adds
// ` repository:<src>:pull`); delete for deletes by digest; metadata_write for untag; registry:catalog:* for the
// catalog.
std::string challenge_scope(const RouteNeeds& route);

}  // namespace outpost::auth
