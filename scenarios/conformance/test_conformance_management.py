"""The control plane through the cloud's management API (SPEC 7.2 and the rules it enforces: 1.1, 2.x, 3.1-3.3, 4.4),
and control flowing down to the connected registries (SPEC 5.2, 5.3).

Needs `cloud.admin` in the endpoints file (skipped otherwise). The checks that change something (marked "changes"
below) run only with `managementChanges` true (the default): they create scope maps, tokens and connected-registry
resources named `cf<run>...`, touch an existing registry only by adding one of those tokens to its client-token list
for the time of the check, and undo all of it, even when the check fails (the undo runs at the end of the session at
the latest). Connected-registry resources created here are never started.
"""

from __future__ import annotations

import re
import urllib.parse

import pytest
import requests

from conformance_deployment import Deployment
from conformance_endpoints import ConnectedRegistry, Credentials
from conformance_http import check, expect_error, expect_status, wait_until

SYSTEM_SCOPE_MAPS = {
    "_repositories_pull": {"content/read"},
    "_repositories_pull_metadata_read": {"content/read", "metadata/read"},
    "_repositories_push": {"content/read", "content/write"},
    "_repositories_push_metadata_write": {"content/read", "content/write", "metadata/read", "metadata/write"},
    "_repositories_admin": {"content/read", "content/write", "content/delete", "metadata/read", "metadata/write"},
}
GATEWAY_ACTIONS = ("config/read", "config/write", "message/read", "message/write")
CONNECTION_STRING = re.compile(r"^ConnectedRegistryName=(?P<name>[^;]+);SyncTokenName=(?P<token>[^;]+);"
                               r"SyncTokenPassword=(?P<password>[^;]+);ParentGatewayEndpoint=(?P<endpoint>[^;]+);"
                               r"ParentEndpointProtocol=(?P<protocol>https?)$")


class Management:
    """`/mgmt/v1` with the admin user's Basic credentials."""

    def __init__(self, deployment: Deployment, admin: Credentials):
        self.deployment = deployment
        self.client = deployment.client("cloud management API", deployment.endpoints.cloud.url, admin, "basic")

    def call(self, method: str, path: str, body: object = None, **kwargs) -> requests.Response:
        return self.client.request(method, f"/mgmt/v1{path}", json=body, **kwargs)

    def ok(self, method: str, path: str, body: object = None, status: int | tuple = (200, 201, 204)) -> dict | list:
        answer = expect_status(self.call(method, path, body), status, f"management API: {method} {path}")
        return answer.json() if answer.content else {}

    def undo(self, method: str, path: str, body: object = None) -> None:
        """Registers a call that undoes a change, run at the end of the session whatever happens."""
        self.deployment.cleanups.append(lambda: self.call(method, path, body))


@pytest.fixture
def management(deployment: Deployment) -> Management:
    return Management(deployment, deployment.require_admin("the management API is not checked"))


@pytest.fixture
def changing(deployment: Deployment) -> Management:
    return Management(deployment, deployment.require_management_changes())


def _name(deployment: Deployment, purpose: str) -> str:
    """A resource name of this run: letters and digits, starting with a letter (valid for every kind, SPEC 2.1/3.1)."""
    return f"cf{deployment.run_id}{purpose}"


# --- reading ---------------------------------------------------------------------------------------------------------


@pytest.mark.spec("7.2", "2.1", "1.1")
def test_connected_registries_are_as_the_endpoints_file_says(deployment: Deployment, management: Management):
    """SPEC 7.2, 2.1: `GET /mgmt/v1/connectedRegistries` lists each registry of the file with its mode, parent
    (null = the cloud), repositories and client tokens; the parents form a tree under the cloud (1.1)."""
    if not deployment.endpoints.connected_registries:
        pytest.skip("the endpoints file lists no connected registries")
    listed = management.ok("GET", "/connectedRegistries")
    check(isinstance(listed, list), f"GET /mgmt/v1/connectedRegistries is not a list: {str(listed)[:200]}")
    by_name = {entry.get("name"): entry for entry in listed}
    for cr in deployment.endpoints.connected_registries:
        entry = by_name.get(cr.name)
        check(entry is not None, f"{cr.name} is not listed by the management API (listed: {sorted(by_name)})")
        parent = None if cr.parent == "cloud" else cr.parent
        mismatches = [f"{key} is {entry.get(key)!r}, the file says {value!r}" for key, value in
                      (("mode", cr.mode), ("parent", parent)) if entry.get(key) != value]
        if sorted(entry.get("repositories") or []) != sorted(cr.repositories):
            mismatches.append(f"repositories are {entry.get('repositories')}, the file says {list(cr.repositories)}")
        missing = {t.name for t in cr.client_tokens} - set(entry.get("clientTokens") or [])
        if missing:
            mismatches.append(f"clientTokens {entry.get('clientTokens')} lack {sorted(missing)}")
        check(not mismatches, f"{cr.name}: " + "; ".join(mismatches))
        check(entry.get("parent") is None or entry["parent"] in by_name,
              f"{cr.name}: parent {entry.get('parent')!r} is neither null (the cloud) nor a listed registry")


@pytest.mark.spec("5.3", "2.1", "2.7")
def test_connected_registries_report_online_and_active(deployment: Deployment, management: Management,
                                                       each_cr: ConnectedRegistry):
    """SPEC 5.3: status flows up to the cloud: a running registry is `Active`, `Online`, with a last sync time and
    its login server, within the propagation deadline."""
    def observe():
        entry = management.ok("GET", f"/connectedRegistries/{each_cr.name}")
        good = (entry.get("activation") == "Active" and entry.get("connectionState") == "Online"
                and entry.get("lastSyncTime") and entry.get("loginServer"))
        return bool(good), {k: entry.get(k) for k in ("activation", "connectionState", "lastSyncTime", "loginServer",
                                                      "statusDetails")}

    wait_until(observe, deployment.timeouts.propagation, deployment.timeouts.poll,
               f"cloud: {each_cr.name} reported Active and Online with lastSyncTime and loginServer")


@pytest.mark.spec("7.2", "4.1")
def test_management_api_needs_the_admin_user(deployment: Deployment, management: Management):
    """SPEC 7.2: the management API answers the admin user only: 401 without credentials, 401/403 for a token;
    a missing resource is 404 NOT_FOUND in the OCI error format."""
    anonymous = deployment.client("cloud", deployment.endpoints.cloud.url, None)
    expect_error(anonymous.raw("GET", "/mgmt/v1/tokens"), 401, "UNAUTHORIZED",
                 "GET /mgmt/v1/tokens without credentials")
    for cr in deployment.endpoints.connected_registries:
        for token in cr.client_tokens[:1]:
            answer = deployment.cloud_as(token.credentials).get("/mgmt/v1/tokens")
            check(answer.status_code in (401, 403),
                  f"GET /mgmt/v1/tokens with client token {token.name}: expected 401 or 403, got {answer.status_code}",
                  answer)
    expect_error(management.call("GET", f"/tokens/{_name(deployment, 'missing')}"), 404, "NOT_FOUND",
                 "GET of a token that does not exist")


@pytest.mark.spec("3.2")
def test_system_scope_maps_exist(deployment: Deployment, management: Management):
    """SPEC 3.2: the five system scope maps exist, `SystemDefined`, each on `*` with its actions."""
    listed = management.ok("GET", "/scopeMaps")
    by_name = {entry.get("name"): entry for entry in listed} if isinstance(listed, list) else {}
    for name, actions in SYSTEM_SCOPE_MAPS.items():
        entry = by_name.get(name)
        check(entry is not None, f"system scope map {name} is not listed")
        check(entry.get("type") == "SystemDefined", f"{name}: type {entry.get('type')!r}, expected SystemDefined")
        expected = {f"repositories/*/{a}" for a in actions}
        check(set(entry.get("actions") or []) == expected, f"{name}: actions {entry.get('actions')}, expected "
                                                           f"{sorted(expected)}")


# --- changing (managementChanges) ------------------------------------------------------------------------------------


@pytest.mark.spec("3.2")
def test_system_scope_maps_cannot_be_changed(deployment: Deployment, changing: Management):
    """SPEC 3.2: changing a system scope map is refused (403 DENIED); the attempt rewrites it with its own actions,
    so a deployment that wrongly accepts it is left as it was."""
    current = changing.ok("GET", "/scopeMaps/_repositories_pull")
    answer = changing.call("PUT", "/scopeMaps/_repositories_pull", {"actions": current.get("actions"),
                                                                     "description": current.get("description", "")})
    expect_error(answer, 403, "DENIED", "PUT /mgmt/v1/scopeMaps/_repositories_pull")


@pytest.mark.spec("3.1")
@pytest.mark.parametrize("action", ["repositories/a*b/content/read", "repositories/x/content/rea",
                                    "repositories/*/*/content/read", "registry/x/content/read"])
def test_malformed_scope_map_actions_are_refused(deployment: Deployment, changing: Management, action: str):
    """SPEC 3.1: other wildcard forms, unknown actions and malformed strings -> 400 INVALID_REQUEST."""
    name = _name(deployment, "badmap")
    changing.undo("DELETE", f"/scopeMaps/{name}")
    answer = changing.call("PUT", f"/scopeMaps/{name}", {"actions": [action]})
    expect_error(answer, 400, "INVALID_REQUEST", f"scope map with action {action!r}")


def _token(deployment: Deployment, management: Management, purpose: str, actions: list[str]) -> Credentials:
    """Creates scope map + token (changes, undone at the end); returns the token with its password1."""
    name = _name(deployment, purpose)
    management.undo("DELETE", f"/scopeMaps/{name}")
    management.undo("DELETE", f"/tokens/{name}")  # undone first: a scope map in use cannot go
    management.ok("PUT", f"/scopeMaps/{name}", {"actions": actions}, status=(200, 201))
    created = management.ok("PUT", f"/tokens/{name}", {"scopeMap": name}, status=201)
    values = {p.get("name"): p.get("value") for p in created.get("passwords") or []}
    check(values.get("password1") and values.get("password2"),
          f"creating token {name} did not return both password values: {created}")
    return Credentials(name, values["password1"])


@pytest.mark.spec("3.3", "4.1", "7.2")
def test_token_passwords_are_shown_once_and_rotate(deployment: Deployment, changing: Management):
    """SPEC 3.3: passwords are shown only when created or regenerated; either authenticates; regenerating password1
    leaves password2 valid and stops the old password1 (at the cloud, from the next request: 4.1)."""
    repository = deployment.scratch("tokens")
    token = _token(deployment, changing, "rotate", [f"repositories/{repository}/content/read"])
    shown = changing.ok("GET", f"/tokens/{token.username}")
    check("value" not in str(shown), f"GET /mgmt/v1/tokens/{token.username} shows a password value")
    cloud = deployment.client("cloud", deployment.endpoints.cloud.url, None)
    expect_status(cloud.raw("GET", "/v2/", auth=token.auth), 200, f"cloud: GET /v2/ with {token.username} password1")
    regenerated = changing.ok("POST", f"/tokens/{token.username}/generateCredentials", {"name": "password1"},
                              status=200)
    values = {p.get("name"): p.get("value") for p in regenerated.get("passwords") or []}
    check(values.get("password1") and values["password1"] != token.password,
          f"generateCredentials password1 returned no new value: {regenerated}")
    expect_status(cloud.raw("GET", "/v2/", auth=(token.username, values["password1"])), 200,
                  "cloud: GET /v2/ with the new password1")
    expect_error(cloud.raw("GET", "/v2/", auth=token.auth), 401, "UNAUTHORIZED",
                 "cloud: GET /v2/ with the old password1")


@pytest.mark.spec("5.2", "4.2", "4.1", "3.3")
def test_token_changes_reach_the_registry(deployment: Deployment, changing: Management, each_cr: ConnectedRegistry):
    """SPEC 5.2: a token added to a registry's client tokens at the cloud becomes usable there (and reads the seed
    image), a regenerated password replaces the old one there, and a disabled token is refused there (401), each
    within the propagation deadline. The registry's client-token list is restored afterwards."""
    repository = deployment.test_repository(each_cr)
    image = deployment.require_arrival(each_cr)
    current = changing.ok("GET", f"/connectedRegistries/{each_cr.name}")
    original = list(current.get("clientTokens") or [])
    if len(original) >= 20:
        pytest.skip(f"{each_cr.name} already has 20 client tokens (SPEC 2.9)")
    token = _token(deployment, changing, f"c{each_cr.name[:6]}",
                   [f"repositories/{repository}/content/read", f"repositories/{repository}/metadata/read"])
    changing.undo("PATCH", f"/connectedRegistries/{each_cr.name}", {"clientTokens": original})
    changing.ok("PATCH", f"/connectedRegistries/{each_cr.name}", {"clientTokens": [*original, token.username]},
                status=200)
    at_cr = deployment.client(each_cr.name, each_cr.url, None)

    def reads_with(password: str):
        def observe():
            answer = at_cr.raw("GET", f"/v2/{repository}/manifests/{deployment.seed_tag}",
                               auth=(token.username, password), headers={"Accept": image.media_type})
            return answer.status_code == 200 and answer.content == image.manifest, answer
        return observe

    wait_until(reads_with(token.password), deployment.timeouts.propagation, deployment.timeouts.poll,
               f"{each_cr.name}: the new client token {token.username} reads {repository}:{deployment.seed_tag}")
    regenerated = changing.ok("POST", f"/tokens/{token.username}/generateCredentials", {"name": "password1"},
                              status=200)
    new_password = {p.get("name"): p.get("value") for p in regenerated.get("passwords") or []}.get("password1")
    wait_until(reads_with(new_password), deployment.timeouts.propagation, deployment.timeouts.poll,
               f"{each_cr.name}: {token.username} with its regenerated password1")
    expect_error(at_cr.raw("GET", "/v2/", auth=token.auth), 401, "UNAUTHORIZED",
                 f"{each_cr.name}: {token.username} with its old password1 once the new one works there")
    changing.ok("PATCH", f"/tokens/{token.username}", {"status": "disabled"}, status=200)

    def refused():
        answer = at_cr.raw("GET", "/v2/", auth=(token.username, new_password))
        return answer.status_code == 401, answer

    wait_until(refused, deployment.timeouts.propagation, deployment.timeouts.poll,
               f"{each_cr.name}: {token.username} refused after it was disabled at the cloud")
    changing.ok("PATCH", f"/connectedRegistries/{each_cr.name}", {"clientTokens": original}, status=200)


@pytest.mark.spec("2.5", "5.1", "4.3")
def test_registry_holds_only_what_it_syncs(deployment: Deployment, changing: Management, each_cr: ConnectedRegistry):
    """SPEC 2.5, 5.1, 4.3 (4): through a temporary client token that may read every repository (`*`), a registry
    answers 404 (NAME_UNKNOWN or MANIFEST_UNKNOWN) for the seed images of repositories it does not sync (the
    intersection of its patterns and its ancestors'), once they reached the registries that do sync them."""
    seeded = deployment.seeded()
    foreign = [r for r in seeded if not deployment.endpoints.syncs(each_cr, r)]
    if not foreign:
        pytest.skip(f"{each_cr.name} syncs every repository this run seeded")
    for cr in deployment.endpoints.connected_registries:
        if deployment.endpoints.test_repository(cr, deployment.run_id) in foreign:
            deployment.require_arrival(cr)
    original = list(changing.ok("GET", f"/connectedRegistries/{each_cr.name}").get("clientTokens") or [])
    if len(original) >= 20:
        pytest.skip(f"{each_cr.name} already has 20 client tokens (SPEC 2.9)")
    token = _token(deployment, changing, f"a{each_cr.name[:6]}",
                   ["repositories/*/content/read", "repositories/*/metadata/read"])
    changing.undo("PATCH", f"/connectedRegistries/{each_cr.name}", {"clientTokens": original})
    changing.ok("PATCH", f"/connectedRegistries/{each_cr.name}", {"clientTokens": [*original, token.username]},
                status=200)
    at_cr = deployment.client(each_cr.name, each_cr.url, None)

    def accepted():
        answer = at_cr.raw("GET", "/v2/", auth=token.auth)
        return answer.status_code == 200, answer

    wait_until(accepted, deployment.timeouts.propagation, deployment.timeouts.poll,
               f"{each_cr.name}: the new client token {token.username} accepted")
    for repository in foreign:
        answer = at_cr.raw("GET", f"/v2/{repository}/manifests/{deployment.seed_tag}", auth=token.auth)
        expect_error(answer, 404, ("NAME_UNKNOWN", "MANIFEST_UNKNOWN"),
                     f"{each_cr.name}: {repository}:{deployment.seed_tag}, a repository it does not sync")
    changing.ok("PATCH", f"/connectedRegistries/{each_cr.name}", {"clientTokens": original}, status=200)


@pytest.mark.spec("4.4")
def test_read_only_registry_refuses_a_client_token_that_may_write(deployment: Deployment, changing: Management,
                                                                   each_read_only_cr: ConnectedRegistry):
    """SPEC 4.4: adding a token with write actions to a ReadOnly registry's client tokens is refused (400)."""
    cr = each_read_only_cr
    current = changing.ok("GET", f"/connectedRegistries/{cr.name}")
    original = list(current.get("clientTokens") or [])
    if len(original) >= 20:
        pytest.skip(f"{cr.name} already has 20 client tokens (SPEC 2.9)")
    repository = cr.repositories[0]
    token = _token(deployment, changing, f"w{cr.name[:6]}",
                   [f"repositories/{repository}/content/read", f"repositories/{repository}/content/write"])
    changing.undo("PATCH", f"/connectedRegistries/{cr.name}", {"clientTokens": original})
    answer = changing.call("PATCH", f"/connectedRegistries/{cr.name}", {"clientTokens": [*original, token.username]})
    expect_error(answer, 400, "INVALID_REQUEST", f"adding {token.username} (content/write) to ReadOnly {cr.name}")


@pytest.mark.spec("2.1", "2.3", "2.4", "2.6", "2.10", "7.2", "7.3")
def test_connected_registry_resource_rules(deployment: Deployment, changing: Management):
    """A registry resource created and deleted through the API (never started):
    2.1 an invalid name is refused; 2.4 creating one makes `<name>-sync-scope-map` (its repositories' read actions
    and its gateway actions) and `<name>-sync-token`, with the passwords and the connection string (7.3) in the
    answer; 2.3 a ReadOnly parent refuses a ReadWrite child, naming both, and a child needs no running parent; 2.4 a
    child's gateway actions are added to its parent's sync scope map; 2.6 a sync token cannot be deleted while its
    registry exists (409); 2.10 a registry with children cannot be deleted (409), `cleanup` deletes the sync token
    and scope map and removes the child's gateway actions from its ancestors."""
    parent, child, wrong = (_name(deployment, suffix) for suffix in ("p", "c", "w"))
    repository = deployment.scratch("resource")
    for name in (parent, wrong, child):  # undone in reverse order: children before their parent
        changing.undo("DELETE", f"/connectedRegistries/{name}?cleanup=true")

    expect_error(changing.call("PUT", "/connectedRegistries/9bad", {"mode": "ReadOnly", "repositories": [repository]}),
                 400, "INVALID_REQUEST", "creating a connected registry named '9bad'")

    created = changing.ok("PUT", f"/connectedRegistries/{parent}",
                          {"mode": "ReadOnly", "parent": None, "repositories": [repository]}, status=201)
    sync = created.get("syncToken") or {}
    check(sync.get("name") == f"{parent}-sync-token" and all(p.get("value") for p in sync.get("passwords") or [{}]),
          f"creating {parent} did not return its sync token with passwords: {sync}")
    match = CONNECTION_STRING.match(created.get("connectionString") or "")
    check(match and match["name"] == parent and match["token"] == f"{parent}-sync-token",
          f"connection string {created.get('connectionString')!r} does not follow SPEC 7.3")
    data_endpoint = deployment.endpoints.cloud.data_endpoint
    if data_endpoint:
        check(match["endpoint"] == urllib.parse.urlsplit(data_endpoint).netloc,
              f"ParentGatewayEndpoint {match['endpoint']!r} is not the cloud's data endpoint {data_endpoint}")
    scope_map = changing.ok("GET", f"/scopeMaps/{parent}-sync-scope-map")
    expected = {f"repositories/{repository}/content/read", f"repositories/{repository}/metadata/read",
                *(f"gateway/{parent}/{a}" for a in GATEWAY_ACTIONS)}
    check(set(scope_map.get("actions") or []) == expected,
          f"{parent}-sync-scope-map has {scope_map.get('actions')}, expected {sorted(expected)}")

    refused = changing.call("PUT", f"/connectedRegistries/{wrong}",
                            {"mode": "ReadWrite", "parent": parent, "repositories": [repository]})
    expect_error(refused, 400, "INVALID_REQUEST", f"a ReadWrite child {wrong} under ReadOnly {parent}")
    message = refused.json()["errors"][0].get("message", "")
    check(all(word in message for word in (wrong, parent, "ReadWrite", "ReadOnly")),
          f"the refusal does not name both registries and modes: {message!r}", refused)

    made = changing.ok("PUT", f"/connectedRegistries/{child}",
                       {"mode": "ReadOnly", "parent": parent, "repositories": [repository]}, status=201)
    child_string = made.get("connectionString") or ""
    child_match = CONNECTION_STRING.match(child_string)
    check(child_match and child_match["endpoint"] == "<parent-endpoint>",
          f"{child}'s connection string is {child_string!r}: expected ParentGatewayEndpoint=<parent-endpoint> (its "
          "parent never reported a login server, SPEC 7.3)")
    widened = set(changing.ok("GET", f"/scopeMaps/{parent}-sync-scope-map").get("actions") or [])
    check({f"gateway/{child}/{a}" for a in GATEWAY_ACTIONS} <= widened,
          f"{parent}-sync-scope-map lacks {child}'s gateway actions: {sorted(widened)}")

    expect_error(changing.call("DELETE", f"/connectedRegistries/{parent}"), 409, "CONFLICT",
                 f"deleting {parent}, which has a child")
    expect_error(changing.call("DELETE", f"/tokens/{child}-sync-token"), 409, "CONFLICT",
                 f"deleting {child}-sync-token while {child} exists")

    expect_status(changing.call("DELETE", f"/connectedRegistries/{child}?cleanup=true"), 204,
                  f"deleting {child} with cleanup")
    for path in (f"/tokens/{child}-sync-token", f"/scopeMaps/{child}-sync-scope-map"):
        expect_error(changing.call("GET", path), 404, "NOT_FOUND", f"GET {path} after the cleanup delete")
    narrowed = set(changing.ok("GET", f"/scopeMaps/{parent}-sync-scope-map").get("actions") or [])
    check(not any(a.startswith(f"gateway/{child}/") for a in narrowed),
          f"{parent}-sync-scope-map keeps {child}'s gateway actions after its cleanup delete: {sorted(narrowed)}")
    expect_status(changing.call("DELETE", f"/connectedRegistries/{parent}?cleanup=true"), 204,
                  f"deleting {parent} with cleanup")
