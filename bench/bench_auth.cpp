// The costs of authentication, per request. The cryptography: signing an access token (token endpoint), verifying one
// (every Bearer request without a cache hit), verifying a Basic password cold (PBKDF2 at the default node cost) and
// warm (a CredentialCache hit), and a JwtCache hit. The gap between cold and warm is why the caches exist (issue 3:
// verifying a password on every request must not dominate request cost). Then the decision itself (auth::decide), and
// the whole per-request policy path a manifest GET takes in `outpost serve` (TokenAccessPolicy::authorize: header
// parsing, the control-plane snapshot, the caches, route_needs and decide) with a cached Basic credential, a cold
// one, and a Bearer access token from the token endpoint. Raw PBKDF2 and hash_password at the simulator's low cost
// (10 iterations) show the per-call set-up cost, which dominates there.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "reference/auth/base64.h"
#include "reference/auth/credential_cache.h"
#include "reference/auth/decision.h"
#include "reference/auth/jwt.h"
#include "reference/auth/password.h"
#include "reference/auth/scope_map.h"
#include "reference/common/clock.h"
#include "reference/common/random.h"
#include "reference/control/control_plane.h"
#include "reference/control/control_store.h"
#include "reference/registry/auth/authenticator.h"
#include "reference/registry/auth/signing_key_setting.h"
#include "reference/registry/auth/token_access_policy.h"
#include "reference/registry/auth/token_endpoint.h"
#include "reference/registry/route.h"

using namespace outpost;
using namespace outpost::auth;

namespace {
constexpr const char* kService = "registry.bench";

Claims typical_claims(Random& random, WallTime now) {
  return make_access_claims("outpost", "push-token", kService,
                            {{"repository", "samples/hello-world", {"pull", "push"}}}, now, std::chrono::minutes(5),
                            random);
}
}  // namespace

static void BM_JwtSign(benchmark::State& state) {
  SeededRandom random(1);
  const SigningKey key = SigningKey::generate(random);
  const Claims claims = typical_claims(random, SystemClock().now());
  for (auto _ : state) {
    std::string token = sign(claims, key);
    benchmark::DoNotOptimize(token);
  }
}

static void BM_JwtVerify(benchmark::State& state) {
  SeededRandom random(2);
  const SigningKey key = SigningKey::generate(random);
  const KeySet keys({key.verifying_key()});
  const WallTime now = SystemClock().now();
  const std::string token = sign(typical_claims(random, now), key);
  for (auto _ : state) {
    JwtResult result = verify(token, keys, kService, now);
    if (!std::holds_alternative<Claims>(result)) state.SkipWithError("token did not verify");
    benchmark::DoNotOptimize(result);
  }
}

static void BM_JwtVerifyCached(benchmark::State& state) {
  SeededRandom random(3);
  const SigningKey key = SigningKey::generate(random);
  const SystemClock clock;
  const std::string token = sign(typical_claims(random, clock.now()), key);
  JwtCache cache(clock);
  cache.remember(token, std::get<Claims>(verify(token, KeySet({key.verifying_key()}), kService, clock.now())));
  for (auto _ : state) {
    auto claims = cache.lookup(token, kService);
    if (!claims) state.SkipWithError("cache miss");
    benchmark::DoNotOptimize(claims);
  }
}

// Arg: PBKDF2 iterations (the default node cost, and a low one of the kind the simulator uses).
static void BM_PasswordVerifyCold(benchmark::State& state) {
  SeededRandom random(4);
  const std::string password = generate_password(random);
  const std::string encoded =
      hash_password(password, random, PasswordHashCost{static_cast<uint32_t>(state.range(0))});
  for (auto _ : state) {
    if (!verify_password(password, encoded)) state.SkipWithError("password did not verify");
  }
}

// Raw PBKDF2-HMAC-SHA256 at a low iteration count (the simulator's cost): per-call setup, not the iterations, is what
// this measures.
static void BM_Pbkdf2HmacSha256(benchmark::State& state) {
  const auto iterations = static_cast<uint32_t>(state.range(0));
  for (auto _ : state) {
    std::string derived = pbkdf2_hmac_sha256("bench-password", "sixteen-byte-slt", iterations, kPasswordHashBytes);
    benchmark::DoNotOptimize(derived);
  }
}

// hash_password: a salt from the Random seam, PBKDF2 and the encoding (what creating a token password costs).
static void BM_PasswordHash(benchmark::State& state) {
  SeededRandom random(6);
  const std::string password = generate_password(random);
  const PasswordHashCost cost{static_cast<uint32_t>(state.range(0))};
  for (auto _ : state) {
    std::string encoded = hash_password(password, random, cost);
    benchmark::DoNotOptimize(encoded);
  }
}

static void BM_PasswordVerifyCached(benchmark::State& state) {
  SeededRandom random(5);
  const std::string password = generate_password(random);
  const SystemClock clock;
  CredentialCache cache(clock);
  cache.remember("push-token", password, 1);
  for (auto _ : state) {
    if (!cache.lookup("push-token", password, 1)) state.SkipWithError("cache miss");
  }
}

// auth::decide for a manifest GET (content/read on samples/hello-world) by a token whose scope map has a few rules
// of each kind. Allowed by Basic, allowed by Bearer (the claim intersected with the scope map), and refused (the
// refusal builds its message and challenge scope).
namespace {
struct DecisionInputs {
  PermissionSet permissions =
      ScopeMap{"bench-map",
               "",
               {"repositories/samples/*/content/read", "repositories/samples/*/content/write",
                "repositories/tools/builder/content/read", "repositories/tools/builder/metadata/read",
                "repositories/mirror/*/content/read"},
               ScopeMapType::UserDefined}
          .permissions();
  std::vector<AccessEntry> access{{"repository", "samples/hello-world", {"pull"}}};
  GrantedAccess granted{access};
  NodeView node;  // the cloud's login server
  RouteNeeds read(std::string_view repository) const {
    RouteNeeds needs;
    needs.access = RouteAccess::ContentRead;
    needs.repository = repository;
    needs.object = RouteObject::Manifest;
    return needs;
  }
};
}  // namespace

static void BM_DecideAllowBasic(benchmark::State& state) {
  const DecisionInputs inputs;
  Credentials credentials{CredentialState::ValidToken, Presentation::Basic, &inputs.permissions, nullptr, true};
  const RouteNeeds needs = inputs.read("samples/hello-world");
  for (auto _ : state) {
    auto denial = decide(needs, credentials, inputs.node);
    if (denial) state.SkipWithError("refused");
    benchmark::DoNotOptimize(denial);
  }
}

static void BM_DecideAllowBearer(benchmark::State& state) {
  const DecisionInputs inputs;
  Credentials credentials{CredentialState::ValidToken, Presentation::Bearer, &inputs.permissions, &inputs.granted,
                          true};
  const RouteNeeds needs = inputs.read("samples/hello-world");
  for (auto _ : state) {
    auto denial = decide(needs, credentials, inputs.node);
    if (denial) state.SkipWithError("refused");
    benchmark::DoNotOptimize(denial);
  }
}

static void BM_DecideDenyBasic(benchmark::State& state) {
  const DecisionInputs inputs;
  Credentials credentials{CredentialState::ValidToken, Presentation::Basic, &inputs.permissions, nullptr, true};
  const RouteNeeds needs = inputs.read("other/x");
  for (auto _ : state) {
    auto denial = decide(needs, credentials, inputs.node);
    if (!denial) state.SkipWithError("allowed");
    benchmark::DoNotOptimize(denial);
  }
}

// The policy path of `outpost serve` for GET /v2/samples/hello-world/manifests/latest: a control plane on the memory
// store at the default hash cost, the admin user, the node's signing key, and a pull token on samples/*. The route is
// matched once outside the loop (routing is the registry's cost with or without tokens).
namespace {
constexpr const char* kHost = "127.0.0.1:5000";
constexpr const char* kManifestTarget = "/v2/samples/hello-world/manifests/latest";

struct PolicyNode {
  explicit PolicyNode(Nanoseconds cache_ttl = kDefaultPasswordCacheTtl) {
    control.ensure_admin(std::string("bench-admin-password"));
    control.put_scope_map("pull-map", {{"actions", {"repositories/samples/*/content/read"}}});
    const auto created = control.put_token("pull-token", {{"scopeMap", "pull-map"}});
    for (const auto& entry : created.body.at("passwords"))
      if (entry.at("name") == "password1") password = entry.at("value").get<std::string>();
    registry::AuthenticatorOptions options{PasswordHashCost{}};
    options.cache_ttl = cache_ttl;
    options.password_cache_ttl = cache_ttl;
    authenticator = std::make_unique<registry::Authenticator>([this] { return control.snapshot(); },
                                                              KeySet({key.verifying_key()}), clock, options);
    policy = std::make_unique<registry::TokenAccessPolicy>(*authenticator, registry::ServiceNaming{});
    endpoint = std::make_unique<registry::TokenEndpoint>(*authenticator, key, registry::ServiceNaming{},
                                                         registry::NodeFacts{}, random);
  }

  http::Request request(const std::string& authorization) const {
    http::Request request;
    request.method = http::Method::Get;
    request.target = kManifestTarget;
    request.path = kManifestTarget;
    request.headers.set("Host", kHost);
    request.headers.set("Authorization", authorization);
    request.remote_address = "127.0.0.1:40000";
    return request;
  }
  std::string basic() const { return "Basic " + base64_encode("pull-token:" + password); }
  // An access token from GET /oauth2/token, as a Docker client gets it after the 401 challenge.
  std::string bearer() {
    http::Request token_request = request(basic());
    token_request.target = "/oauth2/token?service=127.0.0.1:5000&scope=repository:samples/hello-world:pull";
    token_request.path = "/oauth2/token";
    token_request.query = "service=127.0.0.1:5000&scope=repository:samples/hello-world:pull";
    const http::Response response = endpoint->start(token_request)->finish();
    if (response.status != 200) throw std::runtime_error("token endpoint answered " + response.body);
    return "Bearer " + nlohmann::json::parse(response.body).at("token").get<std::string>();
  }

  SystemClock clock;
  SeededRandom random{9};
  std::unique_ptr<control::ControlStore> store = control::open_memory_control_store();
  control::ControlPlane control{*store, clock, random, {PasswordHashCost{}}};
  SigningKey key = registry::load_or_create_signing_key(control, random);
  std::string password;
  std::unique_ptr<registry::Authenticator> authenticator;
  std::unique_ptr<registry::TokenAccessPolicy> policy;
  std::unique_ptr<registry::TokenEndpoint> endpoint;
};

void authorize_loop(benchmark::State& state, PolicyNode& node, const http::Request& request) {
  const registry::Route route = registry::match_route(request);
  node.policy->authorize(request, route);  // warms the caches (a no-op for them when their TTL is zero)
  for (auto _ : state) node.policy->authorize(request, route);
}
}  // namespace

static void BM_PolicyBasicCached(benchmark::State& state) {
  PolicyNode node;
  authorize_loop(state, node, node.request(node.basic()));
}

// Cache entries that expire at once: every request verifies the password (PBKDF2-HMAC-SHA256, default cost).
static void BM_PolicyBasicCold(benchmark::State& state) {
  PolicyNode node(Nanoseconds::zero());
  authorize_loop(state, node, node.request(node.basic()));
}

static void BM_PolicyBearer(benchmark::State& state) {
  PolicyNode node;
  authorize_loop(state, node, node.request(node.bearer()));
}

BENCHMARK(BM_JwtSign);
BENCHMARK(BM_JwtVerify);
BENCHMARK(BM_JwtVerifyCached);
BENCHMARK(BM_PasswordVerifyCold)
    ->Arg(PasswordHashCost::kDefaultIterations)
    ->Arg(1000)
    ->Arg(10)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Pbkdf2HmacSha256)->Arg(10);
BENCHMARK(BM_PasswordHash)->Arg(10);
BENCHMARK(BM_PasswordVerifyCached);
BENCHMARK(BM_DecideAllowBasic);
BENCHMARK(BM_DecideAllowBearer);
BENCHMARK(BM_DecideDenyBasic);
BENCHMARK(BM_PolicyBasicCached);
BENCHMARK(BM_PolicyBasicCold)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_PolicyBearer);

BENCHMARK_MAIN();
