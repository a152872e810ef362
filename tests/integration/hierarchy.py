"""Connected-registry hierarchies of real `outpost serve` processes, built through the management API only.

A test sees the nodes as a client and an operator would (SPEC 7: black box): the cloud's management API, each node's
OCI API, `/readyz`, and the JSON log lines the processes write. Nothing here reads a node's data directory.

The standard hierarchy of the acceptance checks:

    cloud ─┬─ factory (ReadWrite, ["apps/*", "base"]) ── line1 (ReadOnly, ["apps/*"])
           └─ store   (ReadOnly, ["base"])

with a client token per connected registry: `factory-client` (push and read on factory's repositories),
`factory-deleter` (all five repository actions there), `line1-client` and `store-client` (read only).

Waiting is always for a condition with a deadline (`wait_until`), never for time to pass: propagation through the
hierarchy is asynchronous, so every check of something that travels is a poll that fails with the last observation.
Every HTTP session here ignores the environment (the fixtures' NETRC would add the admin user's credentials, which a
connected registry refuses, and would even replace an explicit Bearer header).
"""

from __future__ import annotations

import dataclasses
import datetime
import os
import subprocess
import time
from pathlib import Path
from typing import Callable, Iterable, Sequence, TypeVar

import requests

from conftest import ADMIN_PASSWORD, ADMIN_USER, TEST_HASH_ITERATIONS, OutpostServer
from oci_client import OCI_INDEX, OCI_MANIFEST, OciClient, describe

T = TypeVar("T")

HTTP_TIMEOUT = 10.0         # seconds per request
PROPAGATION_TIMEOUT = 20.0  # seconds for a change made at one node to be seen at another
READY_TIMEOUT = 20.0        # seconds for a connected registry to activate and finish its first sync round
POLL_INTERVAL = 0.05        # seconds between two observations of a condition
# Seconds before the next observation after one that was a failed login (401). A node refuses a token from an address
# after 10 failed logins, then allows one more every 6 s (SPEC 4.5): 50 ms probes of a token that has not reached
# the node yet spent that budget within half a second on a slow machine.
LOGIN_POLL_INTERVAL = 0.5
SKOPEO_TIMEOUT = 50
STATUS_INTERVAL = "1s"      # how often a connected registry reports its status (the default is a minute)

ADMIN = (ADMIN_USER, ADMIN_PASSWORD)
MANIFEST_ACCEPT = {"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"}
PARENT_PLACEHOLDER = "<parent-endpoint>"  # SPEC 7.3: a parent that has not reported its login server yet

READ = ("content/read", "metadata/read")
PUSH_AND_READ = ("content/read", "content/write", "metadata/read", "metadata/write")
ALL_REPOSITORY_ACTIONS = ("content/read", "content/write", "content/delete", "metadata/read", "metadata/write")


# --- waiting ---------------------------------------------------------------------------------------------------------


class _NotYet:
    """The last observation of a `wait_until` that has observed nothing yet."""


def wait_until(predicate: Callable[[], T], timeout: float, what: str | Callable[[], str],
               interval: float | Callable[[object], float] = POLL_INTERVAL) -> T:
    """Calls `predicate` until it returns something truthy, and returns that; fails after `timeout` seconds with
    `what` (a string, or a function making one at that moment, e.g. with a node's latest log lines) and the last
    observation. A `requests` connection error or timeout counts as "not yet" (a node may be restarting); an
    AssertionError raised by the predicate is a failure at once (an invariant that must hold on every observation,
    not a condition to wait for). `interval` may be a function of the last observation."""
    deadline = time.monotonic() + timeout
    last: object = _NotYet
    while True:
        try:
            value = predicate()
        except (requests.ConnectionError, requests.Timeout) as e:
            value, last = None, f"{type(e).__name__}: {e}"
        else:
            if value:
                return value
            last = value
        if time.monotonic() >= deadline:
            shown = "nothing observed" if last is _NotYet else last
            if isinstance(shown, requests.Response):
                shown = describe(shown)
            described = what() if callable(what) else what
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {described}; last observation: {shown}")
        time.sleep(interval(last) if callable(interval) else interval)


class Observed:
    """A falsy or truthy observation that keeps what was seen, so a timed-out wait can say it."""

    def __init__(self, ok: object, seen: object):
        self.ok = bool(ok)
        self.seen = seen

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return describe(self.seen) if isinstance(self.seen, requests.Response) else repr(self.seen)


def wait_for_status(call: Callable[[], requests.Response], statuses: int | Iterable[int], what: str,
                    timeout: float = PROPAGATION_TIMEOUT) -> requests.Response:
    """Repeats `call` until its answer has one of `statuses`; returns that answer. After an unwanted 401 (a failed
    login) the next call waits `LOGIN_POLL_INTERVAL`, not `POLL_INTERVAL`."""
    wanted = {statuses} if isinstance(statuses, int) else set(statuses)

    def observe() -> Observed:
        response = call()
        return Observed(response.status_code in wanted, response)

    return wait_until(observe, timeout, what, interval=after_failed_login).seen


def after_failed_login(last: object) -> float:
    """The interval after `last`: `LOGIN_POLL_INTERVAL` when it was a 401 answer, else `POLL_INTERVAL`."""
    seen = last.seen if isinstance(last, Observed) else last
    failed = isinstance(seen, requests.Response) and seen.status_code == 401
    return LOGIN_POLL_INTERVAL if failed else POLL_INTERVAL


# --- HTTP ------------------------------------------------------------------------------------------------------------


def session(auth: tuple[str, str] | None = None) -> requests.Session:
    http = requests.Session()
    http.trust_env = False
    http.auth = auth
    return http


def client(url: str, auth: tuple[str, str] | None = None) -> OciClient:
    """An OciClient that sends `auth` (Basic) and nothing from the environment."""
    oci = OciClient(url, timeout=HTTP_TIMEOUT)
    oci.session.trust_env = False
    oci.session.auth = auth
    return oci


class ManagementError(AssertionError):
    def __init__(self, response: requests.Response):
        super().__init__(f"management call failed: {describe(response)}")
        self.response = response


class Management:
    """The cloud's management API (SPEC 7.2) with the admin user's Basic credentials."""

    def __init__(self, cloud_url: str):
        self.base = cloud_url.rstrip("/") + "/mgmt/v1"
        self.http = session(ADMIN)

    def request(self, method: str, path: str, body: object = None) -> requests.Response:
        return self.http.request(method, self.base + path, json=body, timeout=HTTP_TIMEOUT)

    def call(self, method: str, path: str, body: object = None, expect: Sequence[int] = (200, 201, 204)) -> dict:
        response = self.request(method, path, body)
        if response.status_code not in expect:
            raise ManagementError(response)
        return response.json() if response.content else {}

    # scope maps and tokens (SPEC 3.1, 3.3)
    def put_scope_map(self, name: str, actions: Iterable[str]) -> dict:
        return self.call("PUT", f"/scopeMaps/{name}", {"actions": list(actions)})

    def create_token(self, name: str, scope_map: str) -> "Token":
        created = self.call("PUT", f"/tokens/{name}", {"scopeMap": scope_map}, expect=(201,))
        return Token(name, {p["name"]: p["value"] for p in created["passwords"]})

    def set_token_status(self, name: str, status: str) -> dict:
        return self.call("PATCH", f"/tokens/{name}", {"status": status})

    def generate_password(self, token: str, which: str) -> str:
        answer = self.call("POST", f"/tokens/{token}/generateCredentials", {"name": which}, expect=(200,))
        return {p["name"]: p["value"] for p in answer["passwords"]}[which]

    # connected registries (SPEC 2, 7.2)
    def create_connected_registry(self, name: str, body: dict) -> dict:
        return self.call("PUT", f"/connectedRegistries/{name}", body, expect=(201,))

    def connected_registry(self, name: str) -> dict:
        return self.call("GET", f"/connectedRegistries/{name}", expect=(200,))

    def set_client_tokens(self, cr: str, tokens: Sequence[str]) -> dict:
        return self.call("PATCH", f"/connectedRegistries/{cr}", {"clientTokens": list(tokens)}, expect=(200,))

    def add_client_token(self, cr: str, token: str) -> dict:
        current = self.connected_registry(cr)["clientTokens"]
        return self.set_client_tokens(cr, [*current, token] if token not in current else current)

    def deactivate(self, cr: str) -> requests.Response:
        return self.request("POST", f"/connectedRegistries/{cr}/deactivate")


# --- nodes -----------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Token:
    name: str
    passwords: dict[str, str]  # password1 / password2 -> value

    @property
    def auth(self) -> tuple[str, str]:
        return self.name, self.passwords["password1"]

    def with_password(self, which: str) -> tuple[str, str]:
        return self.name, self.passwords[which]

    @property
    def creds(self) -> str:
        """user:password, as skopeo takes it."""
        return f"{self.name}:{self.passwords['password1']}"


class QuietProbesServer(OutpostServer):
    """A server whose report leaves out the request lines of `/readyz`, which the waits here poll many times a second
    and which would otherwise push everything else out of a failing test's tail."""

    def tail(self, n: int = 60) -> str:
        with self._cond:
            lines = [line for line in self.stderr_lines if '"route":"readyz"' not in line]
        return f"last {min(n, len(lines))} stderr lines of {self.name} (readyz requests left out):\n" + \
            "\n".join(lines[-n:])


class CloudServer(QuietProbesServer):
    """The cloud: a login server plus a data endpoint, whose address the "listening" line names."""

    def __init__(self, binary: Path, data_dir: Path, extra_args: Sequence[str] = ()):
        super().__init__(binary, data_dir, ["--data-endpoint", "127.0.0.1:0", *extra_args], name="cloud")

    @property
    def data_endpoint(self) -> str:
        for entry in reversed(self.log_entries()):
            if entry.get("msg") == "listening" and entry.get("data_endpoint"):
                return entry["data_endpoint"]
        raise AssertionError(f"the cloud logged no data endpoint\n{self.tail()}")


class ConnectedRegistryServer(QuietProbesServer):
    """A connected registry process. Unlike the fixtures' default command it passes no admin password file: the admin
    user belongs to the cloud alone (SPEC 7.1), and a connected registry refuses that option."""

    def command(self) -> list[str]:
        return [str(self.binary), "serve", "--listen", "127.0.0.1:0", "--data", str(self.data_dir),
                "--password-hash-iterations", TEST_HASH_ITERATIONS, *self.args]

    def logged(self, msg: str, **fields: object) -> list[dict]:
        """The JSON log entries with this `msg` and these field values."""
        return [entry for entry in self.log_entries()
                if entry.get("msg") == msg and all(entry.get(k) == v for k, v in fields.items())]


def closed_window_schedule() -> str:
    """A daily schedule whose one-hour window opens 12 hours from now: closed for the whole test, whenever it runs."""
    opens = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=12)
    return f"{opens.minute} {opens.hour} * * *"


def readyz(url: str) -> int:
    return session().get(url + "/readyz", timeout=HTTP_TIMEOUT).status_code


@dataclasses.dataclass
class ConnectedRegistry:
    name: str
    mode: str
    parent: str | None
    repositories: list[str]
    connection_string: str    # as the cloud returned it (maybe naming PARENT_PLACEHOLDER)
    sync_token: Token
    client_tokens: dict[str, Token] = dataclasses.field(default_factory=dict)
    server: ConnectedRegistryServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None, f"{self.name} was never started"
        return self.server.url

    @property
    def address(self) -> str:
        assert self.server is not None, f"{self.name} was never started"
        return self.server.address

    @property
    def client_token(self) -> Token:
        return self.client_tokens[f"{self.name}-client"]


class Hierarchy:
    """A cloud and the connected registries created under it. Servers it starts are stopped by `stop()` (leaves
    first); `servers` lists every process it ever started, for failure reports."""

    def __init__(self, binary: Path, root: Path, cloud_args: Sequence[str] = ()):
        self.binary = Path(binary)
        self.root = Path(root)
        self.servers: list[OutpostServer] = []
        self.report_to: list[OutpostServer] | None = None  # a test's report list, while a test is using us
        self.cloud = CloudServer(self.binary, self.root / "cloud", cloud_args)
        self._started(self.cloud)
        self.cloud.start()
        self.mgmt = Management(self.cloud.url)
        self.nodes: dict[str, ConnectedRegistry] = {}
        self.tokens: dict[str, Token] = {}

    def _started(self, server: OutpostServer) -> None:
        self.servers.append(server)
        if self.report_to is not None and server not in self.report_to:
            self.report_to.append(server)

    def __getitem__(self, name: str) -> ConnectedRegistry:
        return self.nodes[name]

    # --- control plane -------------------------------------------------------------------------------------------

    def create_token(self, name: str, actions_by_repository: dict[str, Iterable[str]]) -> Token:
        """A scope map `<name>-map` with those actions, and a token `<name>` on it."""
        actions = [f"repositories/{repo}/{action}" for repo, repo_actions in actions_by_repository.items()
                   for action in repo_actions]
        self.mgmt.put_scope_map(f"{name}-map", actions)
        token = self.mgmt.create_token(name, f"{name}-map")
        self.tokens[name] = token
        return token

    def create_connected_registry(self, name: str, mode: str, parent: str | None, repositories: list[str],
                                  client_tokens: Sequence[Token] = ()) -> ConnectedRegistry:
        created = self.mgmt.create_connected_registry(name, {
            "mode": mode, "parent": parent, "repositories": repositories,
            "clientTokens": [t.name for t in client_tokens],
            "sync": {"schedule": "* * * * *", "messageTtl": "P2D"},
        })
        sync = created["syncToken"]
        node = ConnectedRegistry(name, mode, parent, repositories, created["connectionString"],
                                 Token(sync["name"], {p["name"]: p["value"] for p in sync["passwords"]}),
                                 {t.name: t for t in client_tokens})
        self.nodes[name] = node
        return node

    # --- processes -----------------------------------------------------------------------------------------------

    def connection_string(self, name: str) -> str:
        """The node's connection string, with the parent's address filled in where the cloud did not know it yet."""
        node = self.nodes[name]
        if PARENT_PLACEHOLDER not in node.connection_string:
            return node.connection_string
        parent = self.nodes[node.parent]
        assert parent.server is not None and parent.server.running, f"start {parent.name} before {name}"
        return node.connection_string.replace(PARENT_PLACEHOLDER, parent.address)

    def new_instance(self, name: str, data_dir: Path | None = None, extra_args: Sequence[str] = (),
                     connection_string: str | None = None, label: str | None = None) -> ConnectedRegistryServer:
        """A process for connected registry `name` (not started). The default data directory is the node's own."""
        args = ["--connection-string", connection_string or self.connection_string(name),
                "--sync-status-interval", STATUS_INTERVAL, *extra_args]
        return ConnectedRegistryServer(self.binary, data_dir or self.root / name, args, name=label or name)

    def start_instance(self, server: ConnectedRegistryServer) -> ConnectedRegistryServer:
        self._started(server)
        server.start()
        return server

    def start(self, name: str, extra_args: Sequence[str] = ()) -> ConnectedRegistryServer:
        node = self.nodes[name]
        node.server = self.start_instance(self.new_instance(name, extra_args=extra_args))
        return node.server

    def wait_ready(self, name: str, timeout: float = READY_TIMEOUT) -> None:
        """SPEC 1.4: /readyz is 200 once the node is activated and has finished its first sync round."""
        node = self.nodes[name]
        wait_until(lambda: Observed(readyz(node.url) == 200, f"/readyz of {name} is not 200"), timeout,
                   lambda: f"{name} to be ready\n{node.server.tail(20)}")

    def wait_reported(self, name: str, timeout: float = READY_TIMEOUT) -> dict:
        """Until the cloud shows the node Active and Online with its login server (SPEC 2.1 status fields)."""
        def reported() -> Observed:
            view = self.mgmt.connected_registry(name)
            ok = (view["activation"] == "Active" and view["connectionState"] == "Online"
                  and view["loginServer"] == self.nodes[name].address)
            return Observed(ok, {k: view.get(k) for k in ("activation", "connectionState", "loginServer",
                                                           "lastSyncTime", "statusDetails")})
        return wait_until(reported, timeout, f"the cloud to show {name} Active, Online, at its address").seen

    def stop(self) -> None:
        """Stops every running process, deepest nodes first, then the cloud; reports the ones that would not stop."""
        problems = []
        depth = {name: self.depth(name) for name in self.nodes}
        others = [s for s in self.servers if s is not self.cloud]
        others.sort(key=lambda s: -depth.get(s.name, 0))
        for server in [*others, self.cloud]:
            if server.running:
                try:
                    server.stop()
                except AssertionError as e:
                    problems.append(str(e))
        if problems:
            raise AssertionError("\n".join(problems))

    def report(self) -> str:
        """The latest output of every process, for a failure that happens outside a test (a shared fixture)."""
        return "\n".join(server.tail(30) for server in self.servers)

    def depth(self, name: str) -> int:
        node = self.nodes.get(name)
        return 0 if node is None else 1 + (self.depth(node.parent) if node.parent else 0)

    # --- clients -------------------------------------------------------------------------------------------------

    def url_of(self, where: str) -> str:
        return self.cloud.url if where == "cloud" else self.nodes[where].url

    def client(self, where: str, auth: tuple[str, str] | None) -> OciClient:
        return client(self.url_of(where), auth)

    def get_manifest(self, where: str, auth: tuple[str, str] | None, repo: str, reference: str,
                     method: str = "GET") -> requests.Response:
        with self.client(where, auth) as oci:
            return oci.request(method, f"/v2/{repo}/manifests/{reference}", headers=MANIFEST_ACCEPT)


def build_standard(binary: Path, root: Path) -> Hierarchy:
    """cloud -> factory -> line1 and cloud -> store, every node ready and reported at the cloud."""
    h = Hierarchy(binary, root)
    try:
        factory_client = h.create_token("factory-client", {"apps/*": PUSH_AND_READ, "base": PUSH_AND_READ})
        factory_deleter = h.create_token("factory-deleter", {"apps/*": ALL_REPOSITORY_ACTIONS,
                                                             "base": ALL_REPOSITORY_ACTIONS})
        line1_client = h.create_token("line1-client", {"apps/*": READ})
        store_client = h.create_token("store-client", {"base": READ})
        h.create_connected_registry("factory", "ReadWrite", None, ["apps/*", "base"],
                                    [factory_client, factory_deleter])
        h.create_connected_registry("line1", "ReadOnly", "factory", ["apps/*"], [line1_client])
        h.create_connected_registry("store", "ReadOnly", None, ["base"], [store_client])
        h.start("factory")
        h.start("store")
        h.start("line1")  # after factory: its connection string names factory's address
        for name in ("factory", "store", "line1"):
            h.wait_ready(name)
    except Exception as e:
        report = h.report()
        h.stop()
        raise AssertionError(f"building the standard hierarchy failed: {e}\n{report}") from e
    return h


# --- skopeo ----------------------------------------------------------------------------------------------------------


class Skopeo:
    """skopeo with a cache and auth file of its own (as in test_skopeo.py), against plain-HTTP registries."""

    def __init__(self, home: Path):
        (home / "xdg").mkdir(parents=True, exist_ok=True)
        auth = home / "auth.json"
        auth.write_text('{"auths": {}}')
        self.env = dict(os.environ)
        self.env.update({"XDG_DATA_HOME": str(home / "xdg"), "_CONTAINERS_ROOTLESS_UID": "1000",
                         "REGISTRY_AUTH_FILE": str(auth)})
        self.env.pop("NETRC", None)

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["skopeo", *args], env=self.env, capture_output=True, text=True, timeout=SKOPEO_TIMEOUT)

    def copy(self, source: str, destination: str, *, src_creds: str | None = None,
             dest_creds: str | None = None) -> subprocess.CompletedProcess:
        args = ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--preserve-digests"]
        if src_creds:
            args += ["--src-creds", src_creds]
        if dest_creds:
            args += ["--dest-creds", dest_creds]
        return self.run(*args, source, destination)


def succeeded(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, (f"{' '.join(result.args)} exited {result.returncode}\n"
                                    f"stdout: {result.stdout}\nstderr: {result.stderr}")
    return result
