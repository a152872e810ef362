"""`outpost connected-registry ...` against a real `outpost serve` cloud node (SPEC 2, 4.1, 7.2, 7.3; the verbs modelled
on `az acr connected-registry`), and a few refusals of the management API over HTTP.

The CLI runs with a clean OUTPOST_* environment and the admin password from --password-file; exit status 0 is success,
1 an API or transport error, 2 a usage error that never reaches the node.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import requests

TIMEOUT = 30
ADMIN_PASSWORD = "admin-password-for-connected-registry-tests"
MGMT = "/mgmt/v1/connectedRegistries"
GATEWAY_VERBS = ("config/read", "config/write", "message/read", "message/write")


class Cli:
    """Runs `outpost <verb>...` against one node."""

    def __init__(self, binary: Path, node, password_file: Path):
        self.binary = binary
        self.node = node
        self.password_file = password_file

    def run(self, *args: str) -> subprocess.CompletedProcess:
        command = [str(self.binary), *args, "--registry", self.node.url, "--password-file", str(self.password_file)]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("OUTPOST_")}
        return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, env=environment)

    def ok(self, *args: str) -> subprocess.CompletedProcess:
        result = self.run(*args)
        assert result.returncode == 0, f"outpost {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
        return result

    def json(self, *args: str):
        return json.loads(self.ok(*args).stdout)

    def fails(self, code: int, *args: str) -> str:
        """Asserts exit status `code` and nothing on stdout; returns stderr."""
        result = self.run(*args)
        assert result.returncode == code, (f"outpost {' '.join(args)}: expected exit {code}, got {result.returncode}\n"
                                           f"stdout: {result.stdout}\nstderr: {result.stderr}")
        assert result.stdout == ""
        return result.stderr


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "admin-password"
    path.write_text(ADMIN_PASSWORD + "\n")
    return path


@pytest.fixture
def node(outpost_factory, password_file: Path):
    return outpost_factory(args=["--admin-password-file", str(password_file)], name="cloud")


@pytest.fixture
def cli(outpost_bin: Path, node, password_file: Path) -> Cli:
    return Cli(outpost_bin, node, password_file)


def api(node, method: str, path: str, body=None) -> requests.Response:
    return requests.request(method, f"{node.url}{path}", json=body, auth=("admin", ADMIN_PASSWORD), timeout=TIMEOUT)


def api_get(node, path: str):
    reply = api(node, "GET", path)
    assert reply.status_code == 200, reply.text
    return reply.json()


def error_of(reply: requests.Response) -> dict:
    return reply.json()["errors"][0]


def v2_status(node, username: str, password: str) -> int:
    """`GET /v2/` with Basic credentials: 200 when the cloud accepts them (SPEC 3.6, 4.1), 401 otherwise."""
    return requests.get(f"{node.url}/v2/", auth=(username, password), timeout=TIMEOUT).status_code


def parse_connection_string(text: str) -> dict[str, str]:
    """SPEC 7.3: `;`-separated key=value, each value split at its first '='; keys in order."""
    pairs = [part.split("=", 1) for part in text.split(";")]
    assert [key for key, _ in pairs] == ["ConnectedRegistryName", "SyncTokenName", "SyncTokenPassword",
                                         "ParentGatewayEndpoint", "ParentEndpointProtocol"]
    return dict(pairs)


def gateway(cr: str) -> set[str]:
    return {f"gateway/{cr}/{verb}" for verb in GATEWAY_VERBS}


def data_endpoint_of(node) -> str | None:
    """The data endpoint the node logged with "listening", if it serves one."""
    for entry in node.log_entries():
        if entry.get("msg") == "listening" and entry.get("data_endpoint"):
            return entry["data_endpoint"]
    return None


def test_create_show_list_and_the_sync_tokens(cli, node):
    cli.ok("token", "create", "--name", "pos-client", "--scope-map", "_repositories_pull")
    created = cli.json("connected-registry", "create", "--name", "EdgeOne", "--repository", "hello", "samples/*",
                       "--client-tokens", "pos-client", "--sync-schedule", "0 9 * * *", "--sync-window", "PT3H",
                       "--sync-message-ttl", "P3D", "--notifications", "hello:*", "--log-level", "warning")
    assert created["name"] == "edgeone"
    assert created["mode"] == "ReadWrite"
    assert created["parent"] is None
    assert created["repositories"] == ["hello", "samples/*"]
    assert created["clientTokens"] == ["pos-client"]
    assert created["sync"] == {"token": "edgeone-sync-token", "schedule": "0 9 * * *", "window": "PT3H",
                               "messageTtl": "P3D"}
    assert created["notifications"] == ["hello:*"]
    assert created["logging"] == {"level": "Warning"}
    assert created["connectionState"] == "Offline" and created["activation"] == "Inactive"

    # SPEC 2.4: both passwords once, and the connection string carrying password1.
    passwords = {p["name"]: p["value"] for p in created["syncToken"]["passwords"]}
    assert set(passwords) == {"password1", "password2"}
    settings = parse_connection_string(created["connectionString"])
    assert settings["ConnectedRegistryName"] == "edgeone"
    assert settings["SyncTokenName"] == "edgeone-sync-token"
    assert settings["SyncTokenPassword"] == passwords["password1"]
    assert settings["ParentGatewayEndpoint"] == (data_endpoint_of(node) or "<data-endpoint>")
    assert settings["ParentEndpointProtocol"] == "http"
    sync_map = api_get(node, "/mgmt/v1/scopeMaps/edgeone-sync-scope-map")
    assert set(sync_map["actions"]) == gateway("edgeone") | {
        f"repositories/{repo}/{verb}" for repo in ("hello", "samples/*")
        for verb in ("content/read", "content/write", "content/delete", "metadata/read", "metadata/write")}

    # A child under it: a ReadOnly CR whose gateway actions and repositories reach its parent's map.
    child = cli.json("connected-registry", "create", "-n", "edgetwo", "--mode", "ReadOnly", "--parent", "edgeone",
                     "--repository", "hello", "--repository", "world")
    assert child["parent"] == "edgeone" and child["mode"] == "ReadOnly"
    parent_map = api_get(node, "/mgmt/v1/scopeMaps/edgeone-sync-scope-map")
    assert gateway("edgetwo") <= set(parent_map["actions"])
    assert {"repositories/world/content/read", "repositories/world/metadata/read"} <= set(parent_map["actions"])
    assert "repositories/world/content/write" not in parent_map["actions"]  # the child's mode actions

    # SPEC 4.1: the top CR's sync token works at the cloud; the sync token of a CR under a CR does not.
    assert v2_status(node, "edgeone-sync-token", passwords["password1"]) == 200
    assert v2_status(node, "edgeone-sync-token", passwords["password2"]) == 200
    child_password = child["syncToken"]["passwords"][0]["value"]
    assert v2_status(node, "edgetwo-sync-token", child_password) == 401

    # show and list print exactly the API's answers; list filters.
    assert cli.json("connected-registry", "show", "--name", "edgeone") == api_get(node, f"{MGMT}/edgeone")
    listed = cli.json("connected-registry", "list")
    assert listed == api_get(node, MGMT)
    assert [cr["name"] for cr in listed] == ["edgeone", "edgetwo"]
    assert [cr["name"] for cr in cli.json("connected-registry", "list", "--parent", "edgeone")] == ["edgetwo"]
    # "cloud" lists the cloud's own children; a parent that does not exist is an error, not an empty list.
    assert [cr["name"] for cr in cli.json("connected-registry", "list", "--parent", "cloud")] == ["edgeone"]
    assert cli.fails(1, "connected-registry", "list", "--parent", "nosuch").startswith("outpost: NOT_FOUND: ")
    assert [cr["name"] for cr in cli.json("connected-registry", "list", "--mode", "ReadWrite")] == ["edgeone"]
    table = cli.ok("connected-registry", "list", "--output", "table").stdout.splitlines()
    assert table[0].split() == ["NAME", "MODE", "CONNECTION", "STATE", "PARENT", "LOGIN", "SERVER", "LAST", "SYNC",
                                "(UTC)", "SYNC", "SCHEDULE", "SYNC", "WINDOW"]
    assert table[2].split()[:4] == ["edgeone", "ReadWrite", "Offline", "0"]
    assert table[3].split()[:4] == ["edgetwo", "ReadOnly", "Offline", "edgeone"]

    # A window is removed with "none" (it could not be, from the command line).
    unwindowed = cli.json("connected-registry", "update", "--name", "edgeone", "--sync-window", "none")
    assert unwindowed["sync"]["window"] is None and unwindowed["sync"]["schedule"] == "0 9 * * *"

    # update: settings and client tokens.
    updated = cli.json("connected-registry", "update", "--name", "edgeone", "--sync-schedule", "* * * * *",
                       "--remove-client-tokens", "pos-client", "--add-notifications", "world:push")
    assert updated["sync"]["window"] is None  # continuous sync has no window
    assert updated["clientTokens"] == []
    assert updated["notifications"] == ["hello:*", "world:push"]

    # The node keeps them across a restart.
    before = api_get(node, MGMT)
    node.stop()
    node.start()
    assert api_get(node, MGMT) == before


def test_permissions_update_and_show(cli, node):
    cli.ok("connected-registry", "create", "--name", "rootregistry", "--mode", "ReadOnly", "--repository", "repo1")
    cli.ok("connected-registry", "create", "--name", "child", "--mode", "ReadOnly", "--parent", "rootregistry",
           "--repository", "repo2")
    cli.ok("connected-registry", "create", "--name", "grandchild", "--mode", "ReadOnly", "--parent", "child",
           "--repository", "repo2")

    # SPEC 2.5: add goes up, remove goes down.
    answer = cli.json("connected-registry", "permissions", "update", "--name", "grandchild", "--add", "repo1", "repo3")
    assert answer["repositories"] == ["repo1", "repo2", "repo3"]
    shown = cli.json("connected-registry", "permissions", "show", "--name", "rootregistry")
    assert shown["name"] == "rootregistry-sync-scope-map"
    assert set(shown["actions"]) == gateway("rootregistry") | gateway("child") | gateway("grandchild") | {
        f"repositories/{repo}/{verb}" for repo in ("repo1", "repo2", "repo3")
        for verb in ("content/read", "metadata/read")}

    cli.ok("connected-registry", "permissions", "update", "--name", "rootregistry", "--remove", "repo1", "repo2")
    cli.ok("connected-registry", "permissions", "update", "--name", "child", "--remove", "repo3", "--add", "repo1")
    grandchild = cli.json("connected-registry", "permissions", "show", "--name", "grandchild")
    assert set(grandchild["actions"]) == gateway("grandchild")
    assert api_get(node, f"{MGMT}/grandchild")["repositories"] == []
    table = cli.ok("connected-registry", "permissions", "show", "--name", "grandchild", "--output", "table").stdout
    assert "gateway/grandchild/config/read" in table

    assert cli.fails(1, "connected-registry", "permissions", "update", "--name", "child", "--add", "x",
                     "--remove", "x").startswith("outpost: INVALID_REQUEST: ")
    assert "nothing to update" in cli.fails(2, "connected-registry", "permissions", "update", "--name", "child")


def test_get_settings_rotates_one_password(cli, node):
    created = cli.json("connected-registry", "create", "--name", "edgeone", "--repository", "hello")
    first = {p["name"]: p["value"] for p in created["syncToken"]["passwords"]}

    settings = cli.json("connected-registry", "get-settings", "--name", "edgeone", "--generate-password", "2",
                        "--parent-protocol", "https")
    fields = parse_connection_string(settings["connectionString"])
    assert fields["ParentEndpointProtocol"] == "https"
    new_password = fields["SyncTokenPassword"]
    assert new_password == settings["syncToken"]["passwords"][0]["value"]
    assert new_password != first["password2"]
    assert v2_status(node, "edgeone-sync-token", new_password) == 200
    assert v2_status(node, "edgeone-sync-token", first["password2"]) == 401
    assert v2_status(node, "edgeone-sync-token", first["password1"]) == 200  # rotation leaves the other one

    plain = cli.ok("connected-registry", "get-settings", "--name", "edgeone")
    assert "SyncTokenPassword=<sync-token-password>;" in json.loads(plain.stdout)["connectionString"]
    assert "--generate-password" in plain.stderr
    table = cli.ok("connected-registry", "get-settings", "--name", "edgeone", "--output", "table").stdout
    assert table.splitlines()[0] == "CONNECTION STRING"
    assert table.splitlines()[2].startswith("ConnectedRegistryName=edgeone;")
    assert cli.fails(2, "connected-registry", "get-settings", "--name", "edgeone", "--generate-password", "3")


def test_deactivate_resync_and_delete(cli, node):
    cli.ok("connected-registry", "create", "--name", "parentone", "--repository", "hello")
    cli.ok("connected-registry", "create", "--name", "childone", "--parent", "parentone", "--repository", "hello")
    assert cli.json("connected-registry", "deactivate", "--name", "parentone")["activation"] == "Inactive"
    assert cli.json("connected-registry", "resync", "--name", "parentone")["name"] == "parentone"

    # SPEC 2.10: not while it has children.
    assert cli.fails(1, "connected-registry", "delete", "--name", "parentone").startswith("outpost: CONFLICT: ")
    # With cleanup: the sync token and map go, and the parent loses the child's gateway actions.
    deleted = cli.ok("connected-registry", "delete", "--name", "childone", "--cleanup")
    assert deleted.stdout == ""
    assert cli.fails(1, "token", "show", "--name", "childone-sync-token").startswith("outpost: NOT_FOUND: ")
    assert cli.fails(1, "scope-map", "show", "--name", "childone-sync-scope-map").startswith("outpost: NOT_FOUND: ")
    parent_map = api_get(node, "/mgmt/v1/scopeMaps/parentone-sync-scope-map")
    assert not gateway("childone") & set(parent_map["actions"])
    assert "repositories/hello/content/read" in parent_map["actions"]
    # Without cleanup: they stay, the token disabled.
    cli.ok("connected-registry", "delete", "--name", "parentone")
    assert cli.json("token", "show", "--name", "parentone-sync-token")["status"] == "disabled"
    assert cli.json("connected-registry", "list") == []
    assert cli.fails(1, "connected-registry", "show", "--name", "parentone").startswith("outpost: NOT_FOUND: ")


def test_refusals_over_http(node):
    reply = api(node, "PUT", f"{MGMT}/edge-one", {})
    assert reply.status_code == 400 and error_of(reply)["code"] == "INVALID_REQUEST"
    assert "5-40 characters" in error_of(reply)["message"]

    assert api(node, "PUT", f"{MGMT}/readonly1", {"mode": "Mirror"}).status_code == 201
    reply = api(node, "PUT", f"{MGMT}/writer1", {"mode": "ReadWrite", "parent": "readonly1"})
    assert reply.status_code == 400
    assert "'writer1' (ReadWrite)" in error_of(reply)["message"]
    assert "'readonly1' (ReadOnly)" in error_of(reply)["message"]

    reply = api(node, "PUT", f"{MGMT}/edgeone", {"sync": {"window": "PT10M"}})
    assert reply.status_code == 400 and "PT1H to P7D" in error_of(reply)["message"]
    reply = api(node, "PATCH", f"{MGMT}/readonly1", {"mode": "ReadWrite"})
    assert reply.status_code == 400 and "cannot change" in error_of(reply)["message"]

    # SPEC 2.6: the sync token cannot be deleted while its CR exists.
    reply = api(node, "DELETE", "/mgmt/v1/tokens/readonly1-sync-token")
    assert reply.status_code == 409 and error_of(reply)["code"] == "CONFLICT"

    # SPEC 2.9, 4.4: client tokens, at most 20, read-only for a ReadOnly CR.
    for i in range(21):
        assert api(node, "PUT", f"/mgmt/v1/tokens/client{i}",
                   {"scopeMap": "_repositories_pull", "noPasswords": True}).status_code == 201
    reply = api(node, "PATCH", f"{MGMT}/readonly1", {"clientTokens": [f"client{i}" for i in range(21)]})
    assert reply.status_code == 409 and error_of(reply)["code"] == "LIMIT_EXCEEDED"
    assert api(node, "PUT", "/mgmt/v1/tokens/pusher", {"scopeMap": "_repositories_push"}).status_code == 201
    reply = api(node, "PATCH", f"{MGMT}/readonly1", {"addClientTokens": ["pusher"]})
    assert reply.status_code == 400 and "read actions" in error_of(reply)["message"]

    reply = api(node, "DELETE", f"{MGMT}/readonly1?cleanup=maybe")
    assert reply.status_code == 400
    assert api(node, "DELETE", f"{MGMT}/readonly1?cleanup=true").status_code == 204
    assert api(node, "GET", f"{MGMT}/readonly1").status_code == 404


def test_usage_errors_exit_2(cli):
    assert "--name" in cli.fails(2, "connected-registry", "create", "--repository", "hello")
    assert "nothing to update" in cli.fails(2, "connected-registry", "update", "--name", "edgeone")


def test_create_of_a_name_in_use_is_refused_and_changes_nothing(cli, node):
    """The API's PUT replaces; `create` does not: a second create of a name once replaced the first silently (its
    repositories and client tokens, and its children's repositories in cascade)."""
    cli.json("connected-registry", "create", "--name", "keeper", "--repository", "apps/*", "base")
    stderr = cli.fails(1, "connected-registry", "create", "--name", "keeper", "--repository", "other")
    assert stderr.startswith("outpost: CONFLICT: connected registry 'keeper' already exists"), stderr
    assert "connected-registry update" in stderr
    assert cli.json("connected-registry", "show", "--name", "keeper")["repositories"] == ["apps/*", "base"]
