"""Connected registries end to end: the acceptance checks of the hierarchy, against real processes (SPEC 1-5, 7).

Everything is done as an operator and clients would do it: the cloud's management API (admin Basic), each node's OCI
API with tokens, skopeo, `/readyz`, and the JSON lines each process logs. No test reads a node's files.

Most tests share one standard hierarchy (hierarchy.py):

    cloud ─┬─ factory (ReadWrite, ["apps/*", "base"]) ── line1 (ReadOnly, ["apps/*"])
           └─ store   (ReadOnly, ["base"])

Those tests only add what they own (their own repositories and tokens), so they do not depend on each other's order.
Tests that change a node's life (disabled sync tokens, restarts, second instances, a foreign protocol version) build a
fresh hierarchy of their own.

Propagation is asynchronous: a check of something that travels is a poll with a deadline (hierarchy.wait_until), and a
check of something that must never happen is an assertion made on every observation of that poll.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import requests

from conftest import _SERVERS_KEY
from hierarchy import (
    ADMIN, LOGIN_POLL_INTERVAL, PROPAGATION_TIMEOUT, READ, Hierarchy, Observed, Skopeo, build_standard, client,
    closed_window_schedule, readyz, session, succeeded, wait_for_status, wait_until,
)
from oci_client import (
    SPEC_ERROR_CODES, Manifest, assert_oci_error, describe, make_config, make_image, make_layer, random_bytes,
)
from oci_layout import blob_path, read_ref, sha256_file

NOT_ALLOWED = "This operation is not allowed on this registry."      # SPEC 4.3 step 2
INSUFFICIENT_SCOPES = "Insufficient scopes to perform the operation"  # SPEC 4.3 step 3
CR_DISABLED = "connected registry disabled"                           # SPEC 2.6
GATEWAY_HEADER = "Outpost-Gateway-Protocol"

needs_skopeo = pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")


# --- fixtures --------------------------------------------------------------------------------------------------------


def _attach(request: pytest.FixtureRequest, hierarchy: Hierarchy) -> None:
    """Makes every process of `hierarchy` (and any it starts during the test) part of a failing test's report."""
    report: list = request.node.stash.setdefault(_SERVERS_KEY, [])
    for server in hierarchy.servers:
        if server not in report:
            report.append(server)
    hierarchy.report_to = report


@pytest.fixture(scope="module")
def shared_hierarchy(admin_credentials, outpost_bin: Path, tmp_path_factory) -> Hierarchy:
    h = build_standard(outpost_bin, tmp_path_factory.mktemp("hierarchy"))
    try:
        # A reader of both trees' repositories, accepted at line1 and store: it can ask line1 for `base`, which line1
        # does not sync, and so tells "not synced here" (404) from "not allowed to this token" (403).
        wide = h.create_token("wide-reader", {"apps/*": READ, "base": READ})
        for cr in ("line1", "store"):
            h.mgmt.add_client_token(cr, wide.name)
    except Exception as e:
        report = h.report()  # a module fixture's failure carries no process output otherwise
        h.stop()
        raise AssertionError(f"setting up the shared hierarchy failed: {e}\n{report}") from e
    yield h
    h.stop()


@pytest.fixture
def hier(request: pytest.FixtureRequest, shared_hierarchy: Hierarchy) -> Hierarchy:
    _attach(request, shared_hierarchy)
    yield shared_hierarchy
    shared_hierarchy.report_to = None


@pytest.fixture(scope="module")
def seeded(shared_hierarchy: Hierarchy) -> dict[str, Manifest]:
    """apps/web:1 and base:1 pushed at the cloud, and arrived at every node that syncs them."""
    h = shared_hierarchy
    images = {"apps/web": make_image(make_config("web"), [make_layer({"web/index.html": random_bytes(2048, "web")})]),
              "base": make_image(make_config("base"), [make_layer({"base/os": random_bytes(4096, "base")})])}
    readers = {"factory": h["factory"].client_token.auth, "line1": h.tokens["wide-reader"].auth,
               "store": h.tokens["wide-reader"].auth}
    try:
        with h.client("cloud", ADMIN) as cloud:
            for repo, image in images.items():
                cloud.push_image(repo, image, "1")
        for where, repo in (("factory", "apps/web"), ("line1", "apps/web"), ("factory", "base"), ("store", "base")):
            wait_for_status(lambda: h.get_manifest(where, readers[where], repo, "1"), 200, f"{repo}:1 at {where}")
    except Exception as e:
        raise AssertionError(f"seeding the shared hierarchy failed: {e}\n{h.report()}") from e
    return images


@pytest.fixture
def fresh(request: pytest.FixtureRequest, admin_credentials, outpost_bin: Path, tmp_path: Path):
    """Builds hierarchies owned by one test: fresh("standard") or fresh("cloud") (a cloud alone); all are stopped at
    teardown."""
    built: list[Hierarchy] = []

    def make(kind: str = "standard") -> Hierarchy:
        root = tmp_path / f"hierarchy-{len(built)}"
        h = build_standard(outpost_bin, root) if kind == "standard" else Hierarchy(outpost_bin, root)
        built.append(h)
        _attach(request, h)
        return h

    yield make
    problems = []
    for h in built:
        try:
            h.stop()
        except AssertionError as e:
            problems.append(str(e))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def skopeo(tmp_path: Path) -> Skopeo:
    return Skopeo(tmp_path / "skopeo")


# --- helpers ---------------------------------------------------------------------------------------------------------


def unique_image(name: str) -> Manifest:
    return make_image(make_config(name), [make_layer({f"{name}.bin": random_bytes(1024, name)})])


def assert_error(response: requests.Response, status: int, code: str | tuple[str, ...],
                 message: str | None = None) -> None:
    """The status, the OCI error shape and the first error's code (one of `code`, when a tuple), and its message when
    given. Codes outside the OCI list (UNAVAILABLE, the management API's INVALID_REQUEST) get the same shape check."""
    codes = (code,) if isinstance(code, str) else code
    if all(c in SPEC_ERROR_CODES for c in codes):
        errors = assert_oci_error(response, status, *codes)
    else:
        assert response.status_code == status, describe(response)
        assert response.headers.get("Content-Type", "").split(";")[0].strip() == "application/json", describe(response)
        errors = response.json().get("errors")
        assert errors and errors[0].get("code") in codes, describe(response)
        assert isinstance(errors[0].get("message"), str), describe(response)
    if message is not None:
        assert errors[0]["message"] == message, describe(response)


def bearer_token(url: str, auth: tuple[str, str], scope: str) -> str:
    """The Docker token flow at `url` (SPEC 3.4): the realm and service come from the node's own challenge."""
    challenge = session().get(url + "/v2/", timeout=10).headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer "), challenge
    params = dict(part.split("=", 1) for part in challenge[len("Bearer "):].split(","))
    params = {k.strip(): v.strip().strip('"') for k, v in params.items()}
    answer = session(auth).get(params["realm"], params={"service": params["service"], "scope": scope}, timeout=10)
    assert answer.status_code == 200, describe(answer)
    return answer.json()["token"]


def cr_view(h: Hierarchy, name: str) -> dict:
    return h.mgmt.connected_registry(name)


# --- 1. content flows down the tree --------------------------------------------------------------------------------


@needs_skopeo
def test_cloud_push_is_pulled_with_skopeo_at_line1_with_its_client_token(hier, seeded, skopeo, tmp_path):
    """SPEC 5.1 (parent -> child, two hops), 4.2a (a client token in the CR's list), 3.4 (skopeo follows line1's own
    challenge to line1's token endpoint)."""
    web = seeded["apps/web"]
    out = tmp_path / "pulled"
    succeeded(skopeo.copy(f"docker://{hier['line1'].address}/apps/web:1", f"oci:{out}:1",
                          src_creds=hier["line1"].client_token.creds))
    assert read_ref(out, "1")["digest"] == web.digest
    assert blob_path(out, web.digest).read_bytes() == web.body
    for blob in web.blobs:
        assert sha256_file(blob_path(out, blob.digest)) == blob.digest


def test_base_reaches_store_but_not_line1(hier, seeded):
    """SPEC 5.1 and 2.1: each CR syncs its own repositories only. At line1, a token that may read `base` asks for it:
    line1 does not sync `base`, so the answer is 404 (SPEC 4.3 step 4), not 403."""
    base = seeded["base"]
    at_store = hier.get_manifest("store", hier["store"].client_token.auth, "base", "1")
    assert at_store.status_code == 200 and at_store.content == base.body, describe(at_store)

    wide = hier.tokens["wide-reader"].auth
    by_tag = hier.get_manifest("line1", wide, "base", "1")
    assert_error(by_tag, 404, ("NAME_UNKNOWN", "MANIFEST_UNKNOWN"))
    by_digest = hier.get_manifest("line1", wide, "base", base.digest)
    assert_error(by_digest, 404, ("NAME_UNKNOWN", "MANIFEST_UNKNOWN"))
    with hier.client("line1", wide) as line1:
        assert_error(line1.get_blob("base", base.blobs[0].digest), 404, ("NAME_UNKNOWN", "BLOB_UNKNOWN"))
        assert_error(line1.list_tags("base"), 404, "NAME_UNKNOWN")
    # line1's own client token lacks `base` altogether: refused for scope before anything is looked up.
    assert_error(hier.get_manifest("line1", hier["line1"].client_token.auth, "base", "1"), 403, "DENIED",
                 INSUFFICIENT_SCOPES)
    # ...while line1 does hold what it syncs, for the same wide token.
    assert hier.get_manifest("line1", wide, "apps/web", "1").status_code == 200


# --- 2. content flows up from a ReadWrite registry, deletes too -------------------------------------------------------


def test_push_at_factory_reaches_cloud_and_line1_and_a_delete_follows(hier):
    """SPEC 5.1: a push at a ReadWrite CR goes up hop by hop to the cloud and down to the CR's other children; its
    delete propagates the same ways. SPEC 3.6: deleting a manifest needs content/delete."""
    tool = unique_image("tool")
    factory_client = hier["factory"].client_token.auth
    with hier.client("factory", factory_client) as factory:
        factory.push_image("apps/tool", tool, "1")

    at_cloud = wait_for_status(lambda: hier.get_manifest("cloud", ADMIN, "apps/tool", "1"), 200, "apps/tool:1 at cloud")
    assert at_cloud.content == tool.body
    at_line1 = wait_for_status(lambda: hier.get_manifest("line1", hier["line1"].client_token.auth, "apps/tool", "1"),
                               200, "apps/tool:1 at line1")
    assert at_line1.content == tool.body
    with hier.client("line1", hier["line1"].client_token.auth) as line1:
        for blob in tool.blobs:
            got = line1.get_blob("apps/tool", blob.digest)
            assert got.status_code == 200 and got.content == blob.data, describe(got)

    # The push token may not delete; the delete token may.
    with hier.client("factory", factory_client) as factory:
        assert_error(factory.delete(f"/v2/apps/tool/manifests/{tool.digest}"), 403, "DENIED", INSUFFICIENT_SCOPES)
    with hier.client("factory", hier.tokens["factory-deleter"].auth) as factory:
        deleted = factory.delete(f"/v2/apps/tool/manifests/{tool.digest}")
        assert deleted.status_code == 202, describe(deleted)
        assert_error(factory.get_manifest("apps/tool", tool.digest), 404, "MANIFEST_UNKNOWN")

    for where, auth in (("cloud", ADMIN), ("line1", hier["line1"].client_token.auth)):
        gone = wait_for_status(lambda: hier.get_manifest(where, auth, "apps/tool", tool.digest), 404,
                               f"the delete of apps/tool@{tool.digest} at {where}")
        assert_error(gone, 404, "MANIFEST_UNKNOWN")
        assert_error(hier.get_manifest(where, auth, "apps/tool", "1"), 404, "MANIFEST_UNKNOWN")


# --- 3. a ReadOnly registry takes no write ---------------------------------------------------------------------------


def _writes(repo: str, image: Manifest, source_repo: str) -> list[tuple[str, str, str, dict]]:
    blob = image.blobs[0]
    return [
        ("upload start", "POST", f"/v2/{repo}/blobs/uploads/", {"data": b""}),
        ("monolithic upload", "POST", f"/v2/{repo}/blobs/uploads/",
         {"params": {"digest": blob.digest}, "data": blob.data,
          "headers": {"Content-Type": "application/octet-stream"}}),
        ("mount", "POST", f"/v2/{repo}/blobs/uploads/", {"params": {"mount": blob.digest, "from": source_repo}}),
        ("upload chunk", "PATCH", f"/v2/{repo}/blobs/uploads/0123456789abcdef", {"data": b"x"}),
        ("upload close", "PUT", f"/v2/{repo}/blobs/uploads/0123456789abcdef", {"params": {"digest": blob.digest}}),
        ("manifest put", "PUT", f"/v2/{repo}/manifests/2",
         {"data": image.body, "headers": {"Content-Type": image.media_type}}),
        ("manifest delete", "DELETE", f"/v2/{repo}/manifests/{image.digest}", {}),
        ("untag", "DELETE", f"/v2/{repo}/manifests/1", {}),
        ("blob delete", "DELETE", f"/v2/{repo}/blobs/{blob.digest}", {}),
    ]


@pytest.mark.parametrize("cr, repos", [("line1", ["apps/web", "apps/not-yet", "base"]),
                                       ("store", ["base", "apps/web"])])
def test_every_write_at_a_read_only_registry_is_denied_whatever_the_token(hier, seeded, cr, repos):
    """SPEC 4.3 step 2: any write (push, mount, delete, untag) at a ReadOnly CR is 403 DENIED "This operation is not
    allowed on this registry.", checked before the token's actions (step 3) and the repository (step 4). The tokens a
    ReadOnly CR accepts can only hold read actions (SPEC 4.4, checked below), so "whatever the token" is every token it
    accepts, with Basic credentials and with a Bearer JWT that asked for push and delete."""
    image = seeded["apps/web"] if cr == "line1" else seeded["base"]
    node = hier[cr]
    tokens = [node.client_token, hier.tokens["wide-reader"]]
    for token in tokens:
        for repo in repos:
            jwt = bearer_token(node.url, token.auth, f"repository:{repo}:pull,push,delete,metadata_write")
            for label, method, path, kwargs in _writes(repo, image, "apps/web" if cr == "line1" else "base"):
                with client(node.url, token.auth) as basic:
                    assert_error(basic.request(method, path, **kwargs), 403, "DENIED", NOT_ALLOWED)
                with client(node.url, None) as bearer:
                    answer = bearer.request(method, path, headers={"Authorization": f"Bearer {jwt}",
                                                                   **kwargs.get("headers", {})},
                                            **{k: v for k, v in kwargs.items() if k != "headers"})
                    assert_error(answer, 403, "DENIED", NOT_ALLOWED)
    # Nothing was written: the content is still what the cloud pushed.
    still = hier.get_manifest(cr, node.client_token.auth, repos[0], "1")
    assert still.status_code == 200 and still.content == image.body, describe(still)
    with hier.client(cr, node.client_token.auth) as reader:
        assert_error(reader.get_manifest(repos[0], "2"), 404, "MANIFEST_UNKNOWN")

    # The control plane keeps write actions away from this CR's tokens (SPEC 4.4).
    widened = hier.mgmt.request("PUT", f"/scopeMaps/{node.client_token.name}-map",
                                {"actions": [f"repositories/{repos[0]}/content/read",
                                             f"repositories/{repos[0]}/content/write"]})
    assert_error(widened, 400, "INVALID_REQUEST")
    pusher = hier.mgmt.request("PATCH", f"/connectedRegistries/{cr}",
                               {"clientTokens": [*cr_view(hier, cr)["clientTokens"], "factory-client"]})
    assert_error(pusher, 400, "INVALID_REQUEST")


# --- 4. tokens -------------------------------------------------------------------------------------------------------


def test_factory_client_token_is_refused_at_line1_and_store(hier, seeded):
    """SPEC 4.2: a CR accepts its own client tokens and its children's sync tokens, nothing else (401)."""
    factory_client = hier["factory"].client_token
    assert hier.get_manifest("factory", factory_client.auth, "apps/web", "1").status_code == 200  # valid where listed
    for cr, repo in (("line1", "apps/web"), ("store", "base")):
        assert_error(hier.get_manifest(cr, factory_client.auth, repo, "1"), 401, "UNAUTHORIZED")
        with hier.client(cr, factory_client.auth) as other:
            assert_error(other.get("/v2/"), 401, "UNAUTHORIZED")
        for password in ("password1", "password2"):
            assert_error(hier.get_manifest(cr, factory_client.with_password(password), repo, "1"), 401,
                         "UNAUTHORIZED")


def test_line1_sync_token_works_only_at_factory(hier, seeded):
    """SPEC 4.1: the sync token of a CR whose parent is a CR is 401 at the cloud; SPEC 4.2b: it is accepted at its
    parent (factory) with its actions (line1's repositories only); everywhere else, line1 itself included, 401."""
    sync = hier["line1"].sync_token
    for password in ("password1", "password2"):
        auth = sync.with_password(password)
        assert_error(hier.get_manifest("cloud", auth, "apps/web", "1"), 401, "UNAUTHORIZED")
        with hier.client("cloud", auth) as cloud:
            assert_error(cloud.get("/v2/"), 401, "UNAUTHORIZED")
            assert_error(cloud.get_blob("apps/web", seeded["apps/web"].blobs[0].digest), 401, "UNAUTHORIZED")

        at_factory = hier.get_manifest("factory", auth, "apps/web", "1")
        assert at_factory.status_code == 200 and at_factory.content == seeded["apps/web"].body, describe(at_factory)
        assert_error(hier.get_manifest("factory", auth, "base", "1"), 403, "DENIED", INSUFFICIENT_SCOPES)

        assert_error(hier.get_manifest("line1", auth, "apps/web", "1"), 401, "UNAUTHORIZED")
        assert_error(hier.get_manifest("store", auth, "base", "1"), 401, "UNAUTHORIZED")


def test_a_client_token_disabled_at_the_cloud_is_refused_at_line1_until_enabled(hier, seeded):
    """SPEC 5.2 (token status flows down to every accepting node), 4.5 (a disabled token is 401 like any other bad
    credential)."""
    token = hier.create_token("toggled-reader", {"apps/*": READ})
    hier.mgmt.add_client_token("line1", token.name)
    read = lambda: hier.get_manifest("line1", token.auth, "apps/web", "1")  # noqa: E731
    wait_for_status(read, 200, "the new client token accepted at line1")

    hier.mgmt.set_token_status(token.name, "disabled")
    assert_error(hier.get_manifest("cloud", token.auth, "apps/web", "1"), 401, "UNAUTHORIZED")  # the next request
    assert_error(wait_for_status(read, 401, "the disabled token refused at line1"), 401, "UNAUTHORIZED")

    hier.mgmt.set_token_status(token.name, "enabled")
    again = wait_for_status(read, 200, "the re-enabled token accepted at line1")
    assert again.content == seeded["apps/web"].body


def test_regenerating_password1_leaves_password2_working_at_every_node(hier, seeded):
    """SPEC 3.3 (rotation: regenerating one password leaves the other valid) at every node of the tree: the cloud
    (SPEC 4.1) and three CRs listing the token. Password 2 must work on every observation while the change travels."""
    token = hier.create_token("rotating-reader", {"apps/*": READ, "base": READ})
    for cr in ("factory", "line1", "store"):
        hier.mgmt.add_client_token(cr, token.name)
    targets = {"cloud": ("apps/web", "1"), "factory": ("apps/web", "1"), "line1": ("apps/web", "1"),
               "store": ("base", "1")}
    for where, (repo, ref) in targets.items():
        for password in ("password1", "password2"):
            wait_for_status(lambda: hier.get_manifest(where, token.with_password(password), repo, ref), 200,
                            f"{token.name} {password} accepted at {where}")

    old = token.passwords["password1"]
    new = hier.mgmt.generate_password(token.name, "password1")
    assert new != old

    # Every probe of a password a node does not (or no longer) accept is a failed login there, and a node refuses a
    # token after 10 (SPEC 4.5): a node seen rotated is not probed again until the end, and rounds are 0.5 s apart.
    seen: dict = {}

    def rotated_everywhere() -> Observed:
        for where, (repo, ref) in targets.items():
            if seen.get(where) == (401, 200):
                continue
            second = hier.get_manifest(where, token.with_password("password2"), repo, ref)
            assert second.status_code == 200, f"password2 refused at {where} during the rotation: {describe(second)}"
            seen[where] = (hier.get_manifest(where, (token.name, old), repo, ref).status_code,
                           hier.get_manifest(where, (token.name, new), repo, ref).status_code)
        return Observed(all(codes == (401, 200) for codes in seen.values()), {"(old, new) password1": dict(seen)})

    wait_until(rotated_everywhere, PROPAGATION_TIMEOUT, "old password1 refused and new password1 accepted everywhere",
               interval=LOGIN_POLL_INTERVAL)
    for where, (repo, ref) in targets.items():   # and it stays so
        assert hier.get_manifest(where, (token.name, old), repo, ref).status_code == 401, where
        assert hier.get_manifest(where, (token.name, new), repo, ref).status_code == 200, where
        assert hier.get_manifest(where, token.with_password("password2"), repo, ref).status_code == 200, where


def test_a_scope_map_change_narrows_access_at_line1(hier, seeded):
    """SPEC 5.2 (scope maps of client tokens flow down), 4.3 step 3 (missing actions with Basic: 403 DENIED)."""
    token = hier.create_token("narrowed-reader", {"apps/*": READ})
    hier.mgmt.add_client_token("line1", token.name)
    read_web = lambda: hier.get_manifest("line1", token.auth, "apps/web", "1")  # noqa: E731
    wait_for_status(read_web, 200, "the new client token reading apps/web at line1")

    hier.mgmt.put_scope_map(f"{token.name}-map", ["repositories/apps/other/content/read"])
    narrowed = wait_for_status(read_web, 403, "apps/web refused to the narrowed token at line1")
    assert_error(narrowed, 403, "DENIED", INSUFFICIENT_SCOPES)
    with hier.client("line1", token.auth) as line1:
        assert line1.get("/v2/").status_code == 200  # still a valid token at line1, with less access
        assert_error(line1.get_manifest("apps/other", "1"), 404, "MANIFEST_UNKNOWN")  # what it kept: read apps/other


# --- SPEC 1.2: the gateway is served at the data endpoint only --------------------------------------------------------


@pytest.mark.parametrize("credentials", ["factory sync token", "none"])
def test_gateway_requests_at_the_cloud_login_server_name_the_data_endpoint(hier, credentials):
    """SPEC 1.2: a gateway request that reaches the cloud's login server is 403 DENIED naming the data endpoint."""
    auth = hier["factory"].sync_token.auth if credentials != "none" else None
    data_endpoint = hier.cloud.data_endpoint
    http = session(auth)
    for method, operation in (("GET", "config"), ("GET", "messages"), ("POST", "status"), ("POST", "activate")):
        answer = http.request(method, f"{hier.cloud.url}/gateway/v1/factory/{operation}", timeout=10,
                              headers={GATEWAY_HEADER: "1"}, json={"reports": []} if method == "POST" else None)
        assert_error(answer, 403, "DENIED")
        assert data_endpoint in answer.json()["errors"][0]["message"], describe(answer)
    # The same request at the data endpoint is served.
    served = http.get(f"http://{data_endpoint}/gateway/v1/factory/config", headers={GATEWAY_HEADER: "1"}, timeout=10)
    assert served.status_code == (200 if auth else 401), describe(served)


def test_hostile_status_reports_are_ignored_and_the_cloud_stays_up(hier):
    """docs/protocol.md: a report the cloud cannot read is ignored. Notifications nested 200,000 levels deep once
    overflowed the cloud's stack (any sync token could send them, and relays pass them up as they are); a loginServer
    with ';' went into the children's connection strings as an extra key."""
    http = session(hier["factory"].sync_token.auth)
    status_url = f"http://{hier.cloud.data_endpoint}/gateway/v1/factory/status"
    deep = "[" * 200_000 + "]" * 200_000
    for report in ('{"name":"factory","notifications":' + deep + "}",
                   '{"name":"factory","notifications":[{"action":' + deep + "}]}",
                   '{"name":"factory","notifications":[{"action":"push","size":18446744073709551616}]}',
                   '{"name":"factory","loginServer":"evil:443;ParentEndpointProtocol=https"}'):
        answer = http.post(status_url, data='{"reports":[' + report + "]}", timeout=30,
                           headers={GATEWAY_HEADER: "1", "Content-Type": "application/json"})
        assert answer.status_code == 200, describe(answer)
    assert readyz(hier.cloud.url) == 200
    assert "evil" not in hier.mgmt.connected_registry("factory").get("loginServer", "")
    notifications = hier.mgmt.call("GET", "/connectedRegistries/factory/notifications")
    assert all(isinstance(entry, dict) and all(isinstance(v, str) for v in entry.values())
               for entry in (notifications if isinstance(notifications, list) else notifications.get("value", []))), \
        notifications


def test_the_gateway_takes_only_its_own_path_and_a_protocol_version_written_as_digits(hier):
    """SPEC 5.9 and docs/protocol.md: the version is the header's digits; "1.0", "01" or "1,1" were read as 1. The
    resources are under /gateway/v1/: /gateway/v9/... was served as v1, and a path shorter than the prefix was a 500."""
    http = session(hier["factory"].sync_token.auth)
    gateway = f"http://{hier.cloud.data_endpoint}/gateway"
    assert http.get(f"{gateway}/v1/factory/config", headers={GATEWAY_HEADER: "1"}, timeout=10).status_code == 200
    for version in ("1.0", "01", "1,1", "+1", "1x", "0", "-1", "99999999999"):
        answer = http.get(f"{gateway}/v1/factory/config", headers={GATEWAY_HEADER: version}, timeout=10)
        assert_error(answer, 400, "UNSUPPORTED")
    for path in ("/v9/factory/config", "/v2/factory/config", "/x", "/", "/v1"):
        answer = http.get(f"{gateway}{path}", headers={GATEWAY_HEADER: "1"}, timeout=10)
        assert_error(answer, 404, "NOT_FOUND")
        assert "/gateway/v1/" in answer.json()["errors"][0]["message"], describe(answer)
    # An activation's protocolVersion, when given, is a version; its instance is printable ASCII of 128 at most.
    activate = f"{gateway}/v1/factory/activate"
    for body in ({"instanceId": "a" * 129}, {"instanceId": "tab\there"}, {"instanceId": "ok", "protocolVersion": "1"},
                 {"instanceId": "ok", "protocolVersion": 0}, {"instanceId": "ok", "protocolVersion": [1]}):
        answer = http.post(activate, json=body, headers={GATEWAY_HEADER: "1"}, timeout=10)
        assert_error(answer, 400, "INVALID_REQUEST")
    # A NUL byte ends the parser's input: these were read as the JSON before it, the rest ignored.
    headers = {GATEWAY_HEADER: "1", "Content-Type": "application/json"}
    for resource, body in (("activate", b'{"instanceId": "ok"}\x00garbage'), ("status", b'{"reports": []}\x00[')):
        answer = http.post(f"{gateway}/v1/factory/{resource}", data=body, headers=headers, timeout=10)
        assert_error(answer, 400, "INVALID_REQUEST")
    assert readyz(hier.cloud.url) == 200


def test_a_gateway_request_without_protocol_header_at_the_login_server_names_the_data_endpoint(hier):
    """SPEC 1.2 says every gateway request reaching the login server is refused so: a client that mixed up the two
    addresses is told which one to use, whatever else is wrong with its request."""
    answer = session(hier["factory"].sync_token.auth).get(f"{hier.cloud.url}/gateway/v1/factory/config", timeout=10)
    assert_error(answer, 403, "DENIED")
    assert hier.cloud.data_endpoint in answer.json()["errors"][0]["message"], describe(answer)


# --- 7 and SPEC 2.6: a disabled sync token disables its registry -----------------------------------------------------


TREE = {"line1": ("factory", "apps/web"), "store": ("cloud", "base")}  # CR -> (its parent, a repository it syncs)


def _seed_fresh(h: Hierarchy) -> dict[str, Manifest]:
    images = {"apps/web": unique_image("web-fresh"), "base": unique_image("base-fresh")}
    with h.client("cloud", ADMIN) as cloud:
        for repo, image in images.items():
            cloud.push_image(repo, image, "1")
    for cr, (_, repo) in TREE.items():
        wait_for_status(lambda: h.get_manifest(cr, h[cr].client_token.auth, repo, "1"), 200, f"{repo}:1 at {cr}")
    return images


def _parent_url(h: Hierarchy, parent: str) -> str:
    return h.cloud.url if parent == "cloud" else h[parent].url


def _gateway_url(h: Hierarchy, parent: str, cr: str) -> str:
    base = f"http://{h.cloud.data_endpoint}" if parent == "cloud" else h[parent].url
    return f"{base}/gateway/v1/{cr}/config"


@pytest.mark.parametrize("cr", ["line1", "store"])
def test_a_disabled_sync_token_makes_the_registry_unavailable_until_enabled(fresh, cr):
    """SPEC 2.6: with its sync token disabled, the CR's parent answers that token, with its right password, 403 DENIED
    "connected registry disabled" (and a wrong password 401, SPEC 4.5); the CR answers its clients 503 UNAVAILABLE
    "connected registry disabled", logs its state Unhealthy and is shown Unhealthy by the management API, and recovers
    (serving, syncing, Online) once the token is enabled again."""
    h = fresh("standard")
    images = _seed_fresh(h)
    parent, repo = TREE[cr]
    node = h[cr]
    client_read = lambda: h.get_manifest(cr, node.client_token.auth, repo, "1")  # noqa: E731

    h.mgmt.set_token_status(node.sync_token.name, "disabled")
    assert_error(wait_for_status(client_read, 503, f"{cr} refusing its clients"), 503, "UNAVAILABLE", CR_DISABLED)
    with h.client(cr, node.client_token.auth) as clients:
        assert_error(clients.get("/v2/"), 503, "UNAVAILABLE", CR_DISABLED)
    # Not ready either (SPEC 1.4): it had synced before, and /readyz answered 200 while it refused every client.
    assert readyz(node.url) == 503

    for password in ("password1", "password2"):
        auth = node.sync_token.with_password(password)
        # The CR's own requests to its parent are refused this way (SPEC 2.6)...
        gateway = session(auth).get(_gateway_url(h, parent, cr), headers={GATEWAY_HEADER: "1"}, timeout=10)
        assert_error(gateway, 403, "DENIED", CR_DISABLED)
        # ...and so is content read with that token at the parent (where it is accepted when enabled; for a CR under
        # the cloud, that is the cloud's login server).
        assert_error(h.get_manifest(parent, auth, repo, "1"), 403, "DENIED", CR_DISABLED)
    wrong = (node.sync_token.name, "not-" + node.sync_token.passwords["password1"])
    assert_error(session(wrong).get(_gateway_url(h, parent, cr), headers={GATEWAY_HEADER: "1"}, timeout=10),
                 401, "UNAUTHORIZED")

    wait_until(lambda: Observed(node.server.logged("connection state", state="Unhealthy"), node.server.tail(5)),
               PROPAGATION_TIMEOUT, f"{cr} to log its connection state Unhealthy")
    # The operator's view: the CR "reports Unhealthy where it can" (its parent refuses its own reports).
    wait_until(lambda: Observed(cr_view(h, cr)["connectionState"] == "Unhealthy", cr_view(h, cr)),
               PROPAGATION_TIMEOUT, f"the cloud to show {cr} Unhealthy")

    h.mgmt.set_token_status(node.sync_token.name, "enabled")
    back = wait_for_status(client_read, 200, f"{cr} serving its clients again")
    assert back.content == images[repo].body
    assert readyz(node.url) == 200
    gateway = session(node.sync_token.auth).get(_gateway_url(h, parent, cr), headers={GATEWAY_HEADER: "1"}, timeout=10)
    assert gateway.status_code == 200, describe(gateway)
    # It syncs again: a new push at the cloud arrives.
    later = unique_image(f"{cr}-after")
    with h.client("cloud", ADMIN) as cloud:
        cloud.push_image(repo, later, "2")
    wait_for_status(lambda: h.get_manifest(cr, node.client_token.auth, repo, "2"), 200, f"{repo}:2 at {cr}")
    wait_until(lambda: Observed(cr_view(h, cr)["connectionState"] == "Online", cr_view(h, cr)),
               PROPAGATION_TIMEOUT, f"the cloud to show {cr} Online again")


# --- 8 and SPEC 2.7: activation ---------------------------------------------------------------------------------------


def _single_store(h: Hierarchy):
    token = h.create_token("store-client", {"base": READ})
    h.create_connected_registry("store", "ReadOnly", None, ["base"], [token])
    return token


def _refusals(server, code: str) -> int:
    return sum(1 for e in server.log_entries() if code in str(e.get("error", "")))


def test_activation_restart_second_instance_and_deactivate(fresh):
    """SPEC 2.7: a restart on the same data directory is the same instance and re-activates; another instance (other
    data directory, same connection string) is refused 409 ALREADY_ACTIVATED and stays not ready (SPEC 1.4) for as long
    as it is refused; after `deactivate` it activates and becomes ready, and the first one is then the other instance.

    What a second instance shows, black box: its /readyz stays 503, its log says why (the parent's 409
    ALREADY_ACTIVATED answer, and its connection state Unhealthy). What the cloud's view shows meanwhile is the
    subject of test_a_refused_instance_does_not_take_over_the_registrys_status."""
    h = fresh("cloud")
    token = _single_store(h)
    first = h.start("store")
    h.wait_ready("store")
    h.wait_reported("store")
    activated = first.logged("activated")
    assert len(activated) == 1, activated

    first.stop()
    first.start()  # same data directory, same instance
    h.wait_ready("store")
    activated = first.logged("activated")
    assert len(activated) == 2 and activated[0]["instance"] == activated[1]["instance"], activated
    h.wait_reported("store")

    second = h.start_instance(h.new_instance("store", data_dir=h.root / "store-second", label="store-second"))
    wait_until(lambda: Observed(_refusals(second, "ALREADY_ACTIVATED") >= 2, second.tail(5)), PROPAGATION_TIMEOUT,
               "the second instance to be refused ALREADY_ACTIVATED twice")
    assert readyz(second.url) == 503
    assert second.logged("connection state", state="Unhealthy"), \
        second.tail(10)
    assert not second.logged("activated"), second.tail(10)
    assert cr_view(h, "store")["activation"] == "Active"
    assert readyz(first.url) == 200  # the active instance is undisturbed

    first.stop()
    deactivated = h.mgmt.deactivate("store")
    assert deactivated.status_code == 200, describe(deactivated)
    assert deactivated.json()["activation"] == "Inactive", describe(deactivated)
    wait_until(lambda: Observed(readyz(second.url) == 200, second.tail(5)), PROPAGATION_TIMEOUT,
               "the second instance ready after deactivate")
    wait_until(lambda: Observed(cr_view(h, "store")["loginServer"] == second.address, cr_view(h, "store")),
               PROPAGATION_TIMEOUT, "the cloud to show the second instance's address")
    assert cr_view(h, "store")["activation"] == "Active"
    with client(second.url, token.auth) as clients:
        assert clients.get("/v2/").status_code == 200

    # Now the first instance is "another instance": refused until the next deactivate.
    refused_before = _refusals(first, "ALREADY_ACTIVATED")
    first.start()
    wait_until(lambda: Observed(_refusals(first, "ALREADY_ACTIVATED") >= refused_before + 2, first.tail(5)),
               PROPAGATION_TIMEOUT, "the first instance refused once the second one is active")
    assert readyz(first.url) == 503


def test_a_restart_outside_the_sync_window_activates_at_once_and_says_it_waits_for_the_window(fresh):
    """docs/protocol.md ("Schedules and windows"): a node activates at startup, window or not. One restarted on its
    data directory, whose saved configuration has a closed window, waited for the window unactivated, and its /readyz
    said "not activated yet" instead of when the window opens."""
    h = fresh("cloud")
    _single_store(h)
    first = h.start("store")
    h.wait_ready("store")
    h.mgmt.call("PATCH", "/connectedRegistries/store", {"sync": {"schedule": closed_window_schedule(), "window": "PT1H"}})
    wait_until(lambda: Observed(first.logged("waiting for the sync window"), first.tail(5)), PROPAGATION_TIMEOUT,
               "the running node to see its window closed")
    first.stop()
    first.start()

    def reason() -> Observed:
        answer = session().get(first.url + "/readyz", timeout=10)
        return Observed(answer.status_code == 503 and "waiting for its sync window" in answer.text, answer.text)

    wait_until(reason, PROPAGATION_TIMEOUT, "the restarted node to say it waits for its window")
    activated = first.logged("activated")
    assert len(activated) == 2 and activated[0]["instance"] == activated[1]["instance"], activated


def test_a_running_instance_stops_syncing_once_deactivated_and_another_activates(fresh):
    """SPEC 2.7, one running instance per CR: after `deactivate`, a new instance activates while the old one is still
    running. The old one is turned down at its next request to the parent (409 ALREADY_ACTIVATED: it names its
    instance on every request), stops syncing, is not ready and answers its clients 503, so content pushed afterwards
    reaches the new instance only. Before, only activation checked the instance, and the old one went on syncing beside the new one."""
    h = fresh("cloud")
    token = _single_store(h)
    first = h.start("store")
    h.wait_ready("store")
    deactivated = h.mgmt.deactivate("store")
    assert deactivated.status_code == 200, describe(deactivated)
    wait_until(lambda: Observed(_refusals(first, "ALREADY_ACTIVATED") >= 1, first.tail(5)), PROPAGATION_TIMEOUT,
               "the running instance turned down once its activation was freed")
    assert readyz(first.url) == 503
    assert first.logged("connection state", state="Unhealthy"), first.tail(10)

    second = h.start_instance(h.new_instance("store", data_dir=h.root / "store-second", label="store-second"))
    wait_until(lambda: Observed(readyz(second.url) == 200, second.tail(5)), PROPAGATION_TIMEOUT,
               "the new instance ready")
    moved = unique_image("after-the-move")
    with h.client("cloud", ADMIN) as cloud:
        cloud.push_image("base", moved, "moved")
    with client(second.url, token.auth) as clients:
        wait_for_status(lambda: clients.get_manifest("base", "moved"), 200, "base:moved at the new instance")
    with client(first.url, token.auth) as clients:
        # It serves no one: a push there could never go up, and what it holds is no longer kept in sync.
        assert_error(clients.get_manifest("base", "moved"), 503, "UNAVAILABLE", CR_DISABLED)
    assert readyz(first.url) == 503


def test_a_refused_instance_does_not_take_over_the_registrys_status(fresh):
    """SPEC 2.7 (one running instance per CR) and 2.1/5.3 (status is what the node reports): while a second instance is
    refused, the cloud's view of the CR stays the active instance's: Online, at its login server (which SPEC 7.3 hands
    to the CR's children as their parent endpoint). Observed throughout four refusals of the second instance."""
    h = fresh("cloud")
    _single_store(h)
    first = h.start("store")
    h.wait_ready("store")
    h.wait_reported("store")
    second = h.start_instance(h.new_instance("store", data_dir=h.root / "store-second", label="store-second"))

    def refused_four_times() -> Observed:
        view = cr_view(h, "store")
        seen = {k: view[k] for k in ("activation", "connectionState", "loginServer", "lastSyncTime")}
        assert (seen["activation"], seen["connectionState"], seen["loginServer"]) == ("Active", "Online",
                                                                                      first.address), \
            f"the refused instance {second.address} changed the view of the active one {first.address}: {seen}"
        return Observed(_refusals(second, "ALREADY_ACTIVATED") >= 4, second.tail(3))

    wait_until(refused_four_times, PROPAGATION_TIMEOUT, "four refusals of the second instance")


def test_an_instance_that_never_activated_answers_its_clients_without_an_internal_error(fresh):
    """SPEC 4.2: before it has any configuration an instance knows no client token, so even the CR's own client token
    is 401 there (SPEC 5.6: it serves anyway, and it must not fail on its missing configuration)."""
    h = fresh("cloud")
    token = _single_store(h)
    h.start("store")
    h.wait_ready("store")
    second = h.start_instance(h.new_instance("store", data_dir=h.root / "store-second", label="store-second"))
    wait_until(lambda: Observed(_refusals(second, "ALREADY_ACTIVATED") >= 1, second.tail(5)), PROPAGATION_TIMEOUT,
               "the second instance to be refused ALREADY_ACTIVATED")
    with client(second.url, token.auth) as clients:
        assert_error(clients.get("/v2/"), 401, "UNAUTHORIZED")
        assert_error(clients.get_manifest("base", "1"), 401, "UNAUTHORIZED")
    assert readyz(second.url) == 503


# --- SPEC 5.9: protocol versions ------------------------------------------------------------------------------------


def test_a_registry_speaking_an_unknown_gateway_protocol_is_refused(fresh):
    """SPEC 5.9: the parent refuses a peer speaking a version it does not know, with a clear error; the CR does not
    activate (not ready, SPEC 1.4) and says why in its log; the cloud's view shows it never activated."""
    h = fresh("cloud")
    _single_store(h)
    node = h.start("store", extra_args=["--gateway-protocol", "99"])

    def refused() -> Observed:
        errors = [str(e.get("error", "")) for e in node.log_entries() if e.get("msg") == "sync failed"]
        return Observed(any("version 99" in error and "not supported" in error for error in errors), errors[-3:])

    wait_until(refused, PROPAGATION_TIMEOUT, "the CR to log the parent's refusal of protocol version 99")
    assert readyz(node.url) == 503
    assert not node.logged("activated"), node.tail(10)
    view = cr_view(h, "store")
    assert view["activation"] == "Inactive" and view["loginServer"] == "", view
