"""A connected registry under a parent that answers its gateway calls with documents nested far deeper than real ones
(docs/protocol.md: theirs reach 6 levels). Parsing is iterative, but a child copies and writes out parts of its
configuration and inventory, which recurses once per level: a parent nesting a value 200,000 levels deep crashed the
child with SIGSEGV before such answers were refused unread (reference/gateway/protocol.h, kMaxDocumentDepth). The
child must stay up, say what is wrong in its log, and sync once the parent answers sanely again.

The parent here is a few lines of Python speaking the gateway protocol, not an Outpost process: no Outpost parent
sends such documents."""
from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path
from typing import Iterator

import pytest
import requests

from conftest import _SERVERS_KEY
from hierarchy import ConnectedRegistryServer, readyz, wait_until

DEEP = "[" * 200_000 + "]" * 200_000
CR = "edge"


def sane_config(login_server: str) -> dict:
    return {"version": 5, "loginServer": login_server, "descendants": [], "config": {
        "name": CR, "mode": "ReadOnly", "parent": None, "repositories": ["apps/*"], "clientTokens": [],
        "sync": {"token": f"{CR}-sync", "schedule": "* * * * *", "window": None, "messageTtl": "P1D"},
        "notifications": [], "logging": {"level": "info"}, "gc": {"enabled": False, "schedule": "0 0 * * *"},
        "enabled": True, "resync": 0, "children": [], "tokens": [], "scopeMaps": []}}


class ScriptedParent(http.server.ThreadingHTTPServer):
    """Answers a child's gateway calls: activation and status are accepted, config, inventory and messages are sane
    documents unless `hostile` names that operation, which then gets one with a value nested 200,000 deep."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _ParentHandler)
        self.hostile: str | None = None
        self.served: dict[str, int] = {}  # operation -> hostile answers given
        self.lock = threading.Lock()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server_address[1]}"

    def document(self, operation: str) -> str:
        hostile = self.hostile == operation
        if hostile:
            with self.lock:
                self.served[operation] = self.served.get(operation, 0) + 1
        if operation == "config":
            sane = json.dumps(sane_config(self.address))
            return sane.replace('"descendants": []', '"descendants": [], "extra": ' + DEEP) if hostile else sane
        if operation == "inventory":
            tags = DEEP if hostile else "{}"
            return '{"repositories":{"apps/web":{"tags":' + tags + ',"manifests":[]}},"listsManifests":true}'
        if operation == "messages":
            return '{"cursor":"1.0","configVersion":5,"messages":' + ('{"x":' + DEEP + "}" if hostile else "[]") + "}"
        raise KeyError(operation)


class _ParentHandler(http.server.BaseHTTPRequestHandler):
    server: ScriptedParent

    def log_message(self, *args) -> None:  # the child's log says what happened
        pass

    def answer(self, body: str, status: int = 200) -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Outpost-Gateway-Protocol", "1")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.answer('{"activated":true}' if self.path.endswith("/activate") else '{"accepted":1}')

    def do_GET(self) -> None:
        operation = self.path.split("?")[0].rsplit("/", 1)[-1]
        try:
            self.answer(self.server.document(operation))
        except KeyError:
            self.answer('{"errors":[{"code":"NOT_FOUND","message":"no such resource"}]}', 404)


@pytest.fixture
def parent() -> Iterator[ScriptedParent]:
    server = ScriptedParent()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


@pytest.fixture
def start_child(request: pytest.FixtureRequest, outpost_bin: Path, tmp_path: Path):
    servers: list = request.node.stash.setdefault(_SERVERS_KEY, [])

    def start(parent: ScriptedParent) -> ConnectedRegistryServer:
        connection_string = (f"ConnectedRegistryName={CR};SyncTokenName={CR}-sync;SyncTokenPassword=unused;"
                             f"ParentGatewayEndpoint={parent.address};ParentEndpointProtocol=http")
        child = ConnectedRegistryServer(outpost_bin, tmp_path / CR, ["--connection-string", connection_string],
                                        name=CR)
        servers.append(child)  # registered before starting: reported if the test fails
        return child.start()

    yield start
    for server in servers:
        if server.running:
            server.stop()


def refusals(child: ConnectedRegistryServer, operation: str) -> list[dict]:
    """The child's logged refusals of a too deep `operation` answer; fails at once if the child is gone."""
    assert child.running, f"the child exited\n{child.tail()}"
    expected = f"gateway {operation} at "
    return [entry for entry in child.log_entries() if entry.get("msg") == "sync failed"
            and entry.get("error", "").startswith(expected)
            and entry["error"].endswith("the answer nests deeper than 32 levels")]


@pytest.mark.parametrize("operation", ["config", "inventory", "messages"])
def test_a_parent_document_nested_200000_deep_is_refused_and_the_child_stays_up(parent, start_child, operation):
    parent.hostile = operation
    child = start_child(parent)
    wait_until(lambda: len(refusals(child, operation)) >= 2, 60,
               lambda: f"two refusals of the {operation} answer\n{child.tail()}")
    assert child.running, child.tail()
    assert parent.served.get(operation, 0) >= 2
    # Still serving its clients (anonymous: 401 with a challenge), and not ready: no round has gone through.
    assert requests.get(f"{child.url}/v2/", timeout=10).status_code == 401
    assert readyz(child.url) == 503

    parent.hostile = None  # the parent mends: the child syncs on its next round, without a restart
    wait_until(lambda: readyz(child.url) == 200, 60,
               lambda: f"the child ready once the parent answers sanely\n{child.tail()}")
    assert child.running, child.tail()
