"""`outpost scope-map ...` and `outpost token ...` against a real `outpost serve` (SPEC 7.1-7.2; the CLI verbs modelled
on `az acr scope-map` and `az acr token`).

Every test starts a node with `--admin-password-file`, drives it only through the CLI (the admin credentials come from
`--password-file`, `--password` or OUTPOST_PASSWORD), and checks the exit status, stdout (the API's JSON, or a table)
and stderr (`outpost: <code>: <message>`): 0 for success, 1 for an API or transport error, 2 for a usage error, which
never reaches the node.
"""
from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

TIMEOUT = 30
ADMIN_PASSWORD = "admin-password-for-cli-tests"
SYSTEM_SCOPE_MAPS = {"_repositories_pull", "_repositories_pull_metadata_read", "_repositories_push",
                     "_repositories_push_metadata_write", "_repositories_admin"}


def _serve_takes_admin_password_file() -> bool:
    """Whether `outpost serve --help` lists --admin-password-file, i.e. the management API and auth are wired in."""
    binary = Path(os.environ.get("OUTPOST_BIN") or Path(__file__).resolve().parents[2] / "build" / "bin" / "outpost")
    if not binary.is_file():
        return True  # not skipped: the outpost_bin fixture fails loudly, since a missing binary is a build error
    result = subprocess.run([str(binary), "serve", "--help"], capture_output=True, text=True, timeout=TIMEOUT)
    return "--admin-password-file" in result.stdout


pytestmark = pytest.mark.skipif(
    not _serve_takes_admin_password_file(),
    reason="`outpost serve` does not accept --admin-password-file yet: auth and the management API are not wired into "
           "serve (remove this guard when they are)")


class Cli:
    """Runs `outpost <verb>...` against one node, with a clean OUTPOST_* environment."""

    def __init__(self, binary: Path, node, password_file: Path):
        self.binary = binary
        self.node = node
        self.password_file = password_file

    def run(self, *args: str, registry: str | None = None, password_file: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        command = [str(self.binary), *args, "--registry", registry or self.node.url]
        if password_file:
            command += ["--password-file", str(self.password_file)]
        environment = {k: v for k, v in os.environ.items() if not k.startswith("OUTPOST_")}
        environment.update(env or {})
        return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, env=environment)

    def ok(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        result = self.run(*args, **kwargs)
        assert result.returncode == 0, f"outpost {' '.join(args)} failed ({result.returncode}):\n{result.stderr}"
        return result

    def json(self, *args: str, **kwargs):
        return json.loads(self.ok(*args, **kwargs).stdout)

    def table(self, *args: str) -> list[str]:
        return self.ok(*args, "--output", "table").stdout.splitlines()

    def fails(self, code: int, *args: str, **kwargs) -> str:
        """Asserts exit status `code` and nothing on stdout; returns stderr."""
        result = self.run(*args, **kwargs)
        assert result.returncode == code, (f"outpost {' '.join(args)}: expected exit {code}, got {result.returncode}\n"
                                           f"stdout: {result.stdout}\nstderr: {result.stderr}")
        assert result.stdout == ""
        return result.stderr


@pytest.fixture
def password_file(tmp_path: Path) -> Path:
    path = tmp_path / "admin-password"
    path.write_text(ADMIN_PASSWORD + "\n")  # one trailing newline, as an editor leaves it; both sides drop it
    return path


@pytest.fixture
def node(outpost_factory, password_file: Path):
    return outpost_factory(args=["--admin-password-file", str(password_file)], name="cloud")


@pytest.fixture
def cli(outpost_bin: Path, node, password_file: Path) -> Cli:
    return Cli(outpost_bin, node, password_file)


def api_get(node, path: str):
    reply = requests.get(f"{node.url}{path}", auth=("admin", ADMIN_PASSWORD), timeout=TIMEOUT)
    assert reply.status_code == 200, reply.text
    return reply.json()


def registry_status(node, username: str, password: str) -> int:
    """The status of `GET /v2/` with these Basic credentials: 200 for any valid ones (SPEC 3.6), 401 otherwise."""
    return requests.get(f"{node.url}/v2/", auth=(username, password), timeout=TIMEOUT).status_code


def management_requests(node) -> list[dict]:
    return [e for e in node.log_entries() if e.get("msg") == "request" and e.get("target", "").startswith("/mgmt/")]


def values_of(token_answer: dict) -> dict[str, str]:
    return {p["name"]: p["value"] for p in token_answer["passwords"] if "value" in p}


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# --- scope maps ------------------------------------------------------------------------------------------------------


def test_scope_map_create_show_list_update_delete(cli, node):
    created = cli.json("scope-map", "create", "--name", "ci-push", "--description", "CI pushes",
                       "--repository", "samples/hello", "content/read", "content/write",
                       "--repository", "samples/*", "metadata/read",
                       "--gateway", "edge1", "config/read")
    assert created["name"] == "ci-push"
    assert created["description"] == "CI pushes"
    assert created["type"] == "UserDefined"
    assert set(created["actions"]) == {"repositories/samples/hello/content/read",
                                       "repositories/samples/hello/content/write",
                                       "repositories/samples/*/metadata/read", "gateway/edge1/config/read"}

    # JSON output is exactly the API's answer.
    shown = cli.json("scope-map", "show", "--name", "ci-push")
    assert shown == api_get(node, "/mgmt/v1/scopeMaps/ci-push")
    listed = cli.json("scope-map", "list")
    assert listed == api_get(node, "/mgmt/v1/scopeMaps")
    assert {m["name"] for m in listed} >= SYSTEM_SCOPE_MAPS | {"ci-push"}

    updated = cli.json("scope-map", "update", "--name", "ci-push", "--description", "CI pushes and pulls",
                       "--add-repository", "other", "content/read",
                       "--remove-repository", "samples/hello", "content/write",
                       "--remove-gateway", "edge1", "config/read")
    assert updated["description"] == "CI pushes and pulls"
    assert set(updated["actions"]) == {"repositories/samples/hello/content/read",
                                       "repositories/samples/*/metadata/read", "repositories/other/content/read"}
    assert cli.json("scope-map", "show", "--name", "ci-push") == updated

    deleted = cli.ok("scope-map", "delete", "--name", "ci-push")
    assert deleted.stdout == ""
    stderr = cli.fails(1, "scope-map", "show", "--name", "ci-push")
    assert stderr.startswith("outpost: NOT_FOUND: ")
    assert "ci-push" not in {m["name"] for m in cli.json("scope-map", "list")}


def test_scope_map_tables(cli):
    cli.ok("scope-map", "create", "--name", "pull-app", "--repository", "app", "content/read", "metadata/read")
    lines = cli.table("scope-map", "list")
    assert lines[0].split() == ["NAME", "TYPE", "DESCRIPTION", "ACTIONS"]
    assert set(lines[1]) <= {"-", " "}
    row = next(i for i, line in enumerate(lines) if line.startswith("pull-app "))
    assert "UserDefined" in lines[row]
    # One action per line: the second stacks under the first, in the ACTIONS column.
    actions_column = lines[0].index("ACTIONS")
    assert {lines[row][actions_column:], lines[row + 1][actions_column:]} == {"repositories/app/content/read",
                                                                            "repositories/app/metadata/read"}
    assert lines[row + 1][:actions_column].strip() == ""
    assert any(line.startswith("_repositories_admin ") and "SystemDefined" in line for line in lines)

    shown = cli.table("scope-map", "show", "--name", "pull-app")
    assert shown[0].split() == ["NAME", "TYPE", "DESCRIPTION", "ACTIONS"]
    assert shown[2].startswith("pull-app ")


# --- tokens ----------------------------------------------------------------------------------------------------------


def test_token_create_with_repositories_makes_its_scope_map_and_working_passwords(cli, node):
    result = cli.ok("token", "create", "--name", "ci-token", "--repository", "samples/hello", "content/read",
                    "metadata/read")
    created = json.loads(result.stdout)
    assert "ci-token-scope-map" in result.stderr  # the note that a scope map was made on the fly
    assert created["name"] == "ci-token"
    assert created["scopeMap"] == "ci-token-scope-map"
    assert created["status"] == "enabled"
    values = values_of(created)
    assert set(values) == {"password1", "password2"}
    assert all(len(v) >= 40 for v in values.values())  # >= 32 random bytes, base64 (SPEC 3.3)

    scope_map = cli.json("scope-map", "show", "--name", "ci-token-scope-map")
    assert set(scope_map["actions"]) == {"repositories/samples/hello/content/read",
                                         "repositories/samples/hello/metadata/read"}

    # Password values are shown once: never by show or list.
    shown = cli.json("token", "show", "--name", "ci-token")
    assert shown == api_get(node, "/mgmt/v1/tokens/ci-token")
    assert all("value" not in p for p in shown["passwords"])
    assert "value" not in cli.ok("token", "list").stdout

    for value in values.values():
        assert registry_status(node, "ci-token", value) == 200
    assert registry_status(node, "ci-token", "not-the-password") == 401


def test_token_create_refuses_to_change_an_existing_scope_map_of_its_name(cli):
    cli.ok("token", "create", "--name", "app-token", "--repository", "app", "content/read")
    cli.ok("token", "delete", "--name", "app-token")  # its scope map stays, still another token's to use
    stderr = cli.fails(1, "token", "create", "--name", "app-token", "--repository", "app", "content/read",
                       "content/write")
    assert stderr.startswith("outpost: CONFLICT: ")
    assert "outpost scope-map update --name app-token-scope-map" in stderr
    assert cli.json("scope-map", "show", "--name", "app-token-scope-map")["actions"] == ["repositories/app/content/read"]


def test_a_token_the_node_refuses_leaves_no_scope_map_behind(cli):
    """The node checks a token's name when the token is put, after `token create` made its scope map: the map is
    taken back, and the error is the token's."""
    before = {m["name"] for m in cli.json("scope-map", "list")}
    stderr = cli.fails(1, "token", "create", "--name", "t1", "--repository", "app", "content/read")
    assert stderr.startswith("outpost: INVALID_REQUEST: "), stderr
    assert "token names are 5-50 characters" in stderr
    assert "Created scope map" not in stderr
    assert {m["name"] for m in cli.json("scope-map", "list")} == before
    assert cli.fails(1, "scope-map", "show", "--name", "t1-scope-map").startswith("outpost: NOT_FOUND: ")


def test_token_update_rotate_disable_and_delete(cli, node):
    created = cli.json("token", "create", "--name", "rotating", "--scope-map", "_repositories_pull",
                       "--expiration-in-days", "30")
    expected_expiry = datetime.now(timezone.utc) + timedelta(days=30)
    for password in created["passwords"]:
        assert abs(parse_time(password["expiry"]) - expected_expiry) < timedelta(hours=1)
    old = values_of(created)

    generated = cli.json("token", "credential", "generate", "--name", "rotating", "--password1")
    assert generated["username"] == "rotating"
    assert [p["name"] for p in generated["passwords"]] == ["password1"]
    new_password1 = generated["passwords"][0]["value"]
    assert new_password1 != old["password1"]
    assert "expiry" not in generated["passwords"][0] or generated["passwords"][0]["expiry"] is None

    # Rotation: the new password1 works, the old one stopped, password2 was left alone.
    assert registry_status(node, "rotating", new_password1) == 200
    assert registry_status(node, "rotating", old["password1"]) == 401
    assert registry_status(node, "rotating", old["password2"]) == 200

    updated = cli.json("token", "update", "--name", "rotating", "--status", "disabled", "--scope-map", "_repositories_push")
    assert updated["status"] == "disabled"
    assert updated["scopeMap"] == "_repositories_push"
    assert registry_status(node, "rotating", new_password1) == 401
    table = cli.table("token", "show", "--name", "rotating")
    assert table[0].split() == ["NAME", "SCOPE", "MAP", "STATUS", "PASSWORD1", "EXPIRY", "PASSWORD2", "EXPIRY"]
    assert table[2].split()[:3] == ["rotating", "_repositories_push", "disabled"]
    assert table[2].split()[3] == "never"       # password1 was regenerated without an expiry
    assert table[2].split()[4].startswith(str(expected_expiry.year))  # password2 kept its 30-day expiry

    assert cli.ok("token", "delete", "--name", "rotating").stdout == ""
    assert cli.fails(1, "token", "show", "--name", "rotating").startswith("outpost: NOT_FOUND: ")
    assert "rotating" not in {t["name"] for t in cli.json("token", "list")}
    assert registry_status(node, "rotating", old["password2"]) == 401


def test_token_without_passwords_and_generating_both_with_an_expiry(cli, node):
    created = cli.json("token", "create", "--name", "late-pass", "--scope-map", "_repositories_pull", "--no-passwords",
                       "--status", "enabled")
    assert created["passwords"] == []
    row = cli.table("token", "list")
    line = next(line for line in row if line.startswith("late-pass "))
    assert line.split()[-2:] == ["-", "-"]

    generated = cli.json("token", "credential", "generate", "--name", "late-pass", "--password1", "--password2",
                         "--expiration", "2099-01-01T00:00:00Z")
    assert sorted(p["name"] for p in generated["passwords"]) == ["password1", "password2"]
    assert all(parse_time(p["expiry"]) == datetime(2099, 1, 1, tzinfo=timezone.utc) for p in generated["passwords"])
    assert registry_status(node, "late-pass", generated["passwords"][1]["value"]) == 200

    lines = cli.ok("token", "credential", "generate", "--name", "late-pass", "--password2", "-o", "table").stdout.splitlines()
    assert lines[0].split() == ["USERNAME", "PASSWORD", "VALUE", "EXPIRY"]
    assert lines[2].split()[:2] == ["late-pass", "password2"]
    assert registry_status(node, "late-pass", lines[2].split()[2]) == 200


# --- credentials and errors ------------------------------------------------------------------------------------------


def test_admin_credentials_from_flag_environment_or_file(cli):
    assert cli.ok("token", "list", password_file=False, env={"OUTPOST_PASSWORD": ADMIN_PASSWORD}).stdout.strip() == "[]"
    assert cli.ok("token", "list", "--password", ADMIN_PASSWORD, password_file=False).stdout.strip() == "[]"
    # An explicit --password-file wins over the environment.
    assert cli.ok("token", "list", env={"OUTPOST_PASSWORD": "wrong"}).stdout.strip() == "[]"

    wrong = cli.fails(1, "token", "list", "--password", "wrong", password_file=False)
    assert wrong.startswith("outpost: UNAUTHORIZED: ")
    missing = cli.fails(1, "token", "list", password_file=False)
    assert missing.startswith("outpost: UNAUTHORIZED: ")
    assert "--password-file" in missing  # says how to give one


def test_token_create_of_a_name_in_use_is_refused_and_changes_nothing(cli, node):
    # The API's PUT replaces a token: `create` once enabled a disabled token again and gave it another scope map.
    cli.ok("token", "create", "--name", "held-token", "--scope-map", "_repositories_pull", "--status", "disabled")
    stderr = cli.fails(1, "token", "create", "--name", "held-token", "--scope-map", "_repositories_admin")
    assert stderr.startswith("outpost: CONFLICT: ") and "outpost token update" in stderr
    shown = cli.json("token", "show", "--name", "held-token")
    assert shown["status"] == "disabled" and shown["scopeMap"] == "_repositories_pull"
    # Nor is a scope map made for it.
    cli.fails(1, "token", "create", "--name", "held-token", "--repository", "app", "content/read")
    assert cli.run("scope-map", "show", "--name", "held-token-scope-map").returncode == 1


def test_flags_win_over_the_environment_and_the_environment_fills_in(cli, node):
    # OUTPOST_REGISTRY once replaced an explicit --registry (every verb shares the flags, and the environment was
    # applied to the verbs not used as well), sending the admin password to the wrong host.
    elsewhere = {"OUTPOST_REGISTRY": "http://127.0.0.1:9", "OUTPOST_USERNAME": "bob"}
    assert cli.ok("token", "list", "--username", "admin", env=elsewhere).stdout.strip() == "[]"
    # Without the flags, the environment is the default.
    command = [str(cli.binary), "token", "list", "--password-file", str(cli.password_file)]
    environment = {k: v for k, v in os.environ.items() if not k.startswith("OUTPOST_")}
    environment["OUTPOST_REGISTRY"] = node.url
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, env=environment)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr
    environment["OUTPOST_USERNAME"] = "bob"
    done = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT, env=environment)
    assert done.returncode == 1 and "UNAUTHORIZED" in done.stderr


def test_api_errors_exit_1_with_the_nodes_code_and_message(cli):
    assert cli.fails(1, "token", "show", "--name", "nobody").startswith("outpost: NOT_FOUND: ")
    invalid = cli.fails(1, "scope-map", "create", "--name", "bad-wildcard", "--repository", "sample/*/teamA",
                        "content/read")
    assert invalid.startswith("outpost: INVALID_REQUEST: ")
    assert cli.fails(1, "scope-map", "delete", "--name", "_repositories_pull").startswith("outpost: DENIED: ")
    assert cli.fails(1, "token", "create", "--name", "orphan-token", "--scope-map", "no-such-map").startswith("outpost: ")

    cli.ok("token", "create", "--name", "holder", "--scope-map", "_repositories_pull", "--no-passwords")
    cli.ok("scope-map", "create", "--name", "in-use", "--repository", "app", "content/read")
    cli.ok("token", "update", "--name", "holder", "--scope-map", "in-use")
    assert cli.fails(1, "scope-map", "delete", "--name", "in-use").startswith("outpost: CONFLICT: ")


def test_an_unreachable_registry_exits_1(cli, node):
    stderr = cli.fails(1, "token", "list", registry="http://127.0.0.1:9")
    assert stderr.startswith("outpost: error: cannot connect to 127.0.0.1:9")


@pytest.mark.parametrize("args", [
    ["token", "create", "--name", "t-user"],                                              # no scope map given
    ["token", "create", "--name", "t-user", "--scope-map", "m", "--repository", "app", "content/read"],
    ["token", "create", "--name", "t-user", "--scope-map", "m", "--no-passwords", "--expiration-in-days", "3"],
    ["token", "create", "--name", "t-user", "--scope-map", "m", "--expiration-in-days", "0"],
    ["token", "create", "--name", "t-user", "--scope-map", "m", "--expiration", "next week"],
    ["token", "update", "--name", "t-user", "--status", "paused"],
    ["token", "update", "--name", "t-user"],                                              # nothing to change
    ["token", "credential", "generate", "--name", "t-user"],                              # which password?
    ["token", "show"],                                                                    # no --name
    ["token"],                                                                            # no verb
    ["scope-map", "create", "--name", "m-user", "--repository", "app", "content/raed"],
    ["scope-map", "create", "--name", "m-user", "--repository", "app"],
    ["scope-map", "create", "--name", "m-user"],                                          # no actions
    ["scope-map", "update", "--name", "m-user", "--add-gateway", "edge1", "content/read"],
    ["scope-map", "list", "--output", "yaml"],
    ["scope-map", "list", "--unknown-flag"],
])
def test_usage_errors_exit_2_and_never_reach_the_node(cli, node, args):
    before = len(management_requests(node))
    stderr = cli.fails(2, *args)
    assert stderr.startswith("outpost: usage: ")
    assert len(management_requests(node)) == before
