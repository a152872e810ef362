"""Shared fixtures for integration tests: real `outpost serve` processes on 127.0.0.1.

A server is ready when it says so: it logs one JSON line per event on stderr, and the line
`{"msg": "listening", "address": "127.0.0.1:PORT", ...}` carries the port the kernel chose for `--listen 127.0.0.1:0`.
The fixtures wait for that line (bounded by READY_TIMEOUT), never for time to pass.

Each server's stdout and stderr are drained by background threads into lists for the whole life of the process, so a
chatty server can never block on a full pipe, and the last lines are attached to the report of a failing test.

Fixtures:
  outpost_bin      (session)  path of the binary: $OUTPOST_BIN, else <repo>/build/bin/outpost. A missing binary fails
                              every test that needs it (it is a build error, not a reason to skip).
  outpost_factory  (function) start(data_dir=None, args=(), name=None) -> OutpostServer; every server started through it
                              is stopped at teardown, whatever the test's outcome.
  registry         (function) one server on a fresh data directory under tmp_path.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, Sequence

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
READY_TIMEOUT = 20.0  # seconds for a server to log "listening"
STOP_TIMEOUT = 10.0   # seconds for a server to exit after SIGTERM (or SIGKILL)
TAIL_LINES = 60       # log lines attached to a failing test's report

_SERVERS_KEY = pytest.StashKey[list]()

# Every node the fixtures start has this admin password (SPEC 7.1) unless a test passes its own
# --admin-password-file, and a low password-hash cost so tests spend no time stretching passwords.
ADMIN_USER = "admin"
ADMIN_PASSWORD = "outpost-integration-admin"
TEST_HASH_ITERATIONS = "1000"


@pytest.fixture(scope="session", autouse=True)
def admin_credentials(tmp_path_factory) -> tuple[str, str]:
    """Writes the admin password file and a netrc naming it for 127.0.0.1, so `requests` authenticates as admin
    by default (a test that wants other credentials passes `auth=`; one that wants none uses a Session with
    trust_env=False)."""
    home = tmp_path_factory.mktemp("admin")
    (home / "admin-password").write_text(ADMIN_PASSWORD + "\n")
    netrc = home / "netrc"
    netrc.write_text(f"machine 127.0.0.1 login {ADMIN_USER} password {ADMIN_PASSWORD}\n")
    netrc.chmod(0o600)
    previous = os.environ.get("NETRC")
    os.environ["NETRC"] = str(netrc)
    os.environ["OUTPOST_TEST_ADMIN_PASSWORD_FILE"] = str(home / "admin-password")
    yield ADMIN_USER, ADMIN_PASSWORD
    if previous is None:
        os.environ.pop("NETRC", None)
    else:
        os.environ["NETRC"] = previous


class ServerStartError(AssertionError):
    pass


class _Stream:
    """Drains one pipe of one process into a shared list, line by line, until EOF."""

    def __init__(self, pipe, lines: list[str], lock: threading.Condition, on_line: Callable[[str], None] | None):
        self.eof = False
        self._pipe = pipe
        self._lines = lines
        self._lock = lock
        self._on_line = on_line
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        try:
            for raw in iter(self._pipe.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                with self._lock:
                    self._lines.append(line)
                    if self._on_line is not None:
                        self._on_line(line)
                    self._lock.notify_all()
        finally:
            self._pipe.close()
            with self._lock:
                self.eof = True
                self._lock.notify_all()


def parse_listening(line: str) -> str | None:
    """The `address` of a `"msg": "listening"` JSON log line, or None for any other line."""
    try:
        entry = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict) or entry.get("msg") != "listening":
        return None
    address = entry.get("address")
    if not isinstance(address, str):
        return None
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit() or int(port) == 0:
        return None
    return address


class OutpostServer:
    """One `outpost serve` process (restartable on the same data directory)."""

    def __init__(self, binary: Path, data_dir: Path, args: Sequence[str] = (), name: str = "outpost"):
        self.binary = Path(binary)
        self.data_dir = Path(data_dir)
        self.args = list(args)
        self.name = name
        self.process: subprocess.Popen | None = None
        self.address: str | None = None
        self.stderr_lines: list[str] = []   # every stderr line of every run, in order
        self.stdout_lines: list[str] = []
        self._cond = threading.Condition()
        self._streams: list[_Stream] = []

    # --- properties ------------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self._require_address()}"

    @property
    def host(self) -> str:
        return self._require_address().rpartition(":")[0]

    @property
    def port(self) -> int:
        return int(self._require_address().rpartition(":")[2])

    def _require_address(self) -> str:
        if self.address is None:
            raise RuntimeError(f"{self.name} is not running")
        return self.address

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def command(self) -> list[str]:
        defaults = []
        if "--admin-password-file" not in self.args and os.environ.get("OUTPOST_TEST_ADMIN_PASSWORD_FILE"):
            defaults += ["--admin-password-file", os.environ["OUTPOST_TEST_ADMIN_PASSWORD_FILE"]]
        if "--password-hash-iterations" not in self.args:
            defaults += ["--password-hash-iterations", TEST_HASH_ITERATIONS]
        return [str(self.binary), "serve", "--listen", "127.0.0.1:0", "--data", str(self.data_dir), *defaults,
                *self.args]

    # --- lifecycle -------------------------------------------------------------------------------------------------

    def start(self) -> "OutpostServer":
        """Starts the process and returns once it has logged its listening address (a new port on every start)."""
        if self.running:
            raise RuntimeError(f"{self.name} is already running")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._join_streams()
        self.address = None
        found: dict[str, str] = {}

        def on_stderr_line(line: str) -> None:
            if "address" not in found:
                address = parse_listening(line)
                if address is not None:
                    found["address"] = address

        with self._cond:
            self.stderr_lines.append(f"--- {self.name}: {' '.join(self.command())}")
        self.process = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, cwd=self.data_dir.parent)
        err = _Stream(self.process.stderr, self.stderr_lines, self._cond, on_stderr_line)
        out = _Stream(self.process.stdout, self.stdout_lines, self._cond, None)
        self._streams = [err, out]

        deadline = time.monotonic() + READY_TIMEOUT
        with self._cond:
            ready = self._cond.wait_for(lambda: "address" in found or err.eof,
                                        timeout=max(0.0, deadline - time.monotonic()))
        if "address" in found:
            self.address = found["address"]
            return self
        # Not ready: either stderr closed (the process is exiting) or the deadline passed.
        if ready:
            try:
                code = self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                code = self._force_kill()
            reason = f"exited with status {code} before logging \"listening\""
        else:
            code = self._force_kill()
            reason = f"did not log \"listening\" within {READY_TIMEOUT:.0f} s (killed, status {code})"
        self._join_streams()
        raise ServerStartError(f"{self.name} {reason}\ncommand: {' '.join(self.command())}\n{self.tail()}")

    def stop(self) -> int:
        """SIGTERM and wait; returns the exit status. A server that ignores SIGTERM is killed and reported."""
        if self.process is None:
            raise RuntimeError(f"{self.name} was never started")
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                code = self._force_kill()
                self._join_streams()
                raise AssertionError(f"{self.name} did not exit within {STOP_TIMEOUT:.0f} s of SIGTERM "
                                     f"(killed, status {code})\n{self.tail()}") from None
        self._join_streams()
        return self.process.returncode

    def kill(self) -> int:
        """SIGKILL and wait (a crash, as far as the data directory can tell); returns the exit status."""
        if self.process is None:
            raise RuntimeError(f"{self.name} was never started")
        code = self._force_kill()
        self._join_streams()
        return code

    def _force_kill(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.kill()
        return self.process.wait(timeout=STOP_TIMEOUT)

    def _join_streams(self) -> None:
        # Pipes reach EOF when the process (and anything that inherited them) is gone.
        for stream in self._streams:
            stream.thread.join(timeout=STOP_TIMEOUT)
        self._streams = []

    # --- output ----------------------------------------------------------------------------------------------------

    def log_entries(self) -> list[dict]:
        """The stderr lines that are JSON objects, parsed."""
        with self._cond:
            lines = list(self.stderr_lines)
        entries = []
        for line in lines:
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    def tail(self, n: int = TAIL_LINES) -> str:
        with self._cond:
            err = self.stderr_lines[-n:]
            out = self.stdout_lines[-n:]
        text = f"last {len(err)} stderr lines of {self.name}:\n" + "\n".join(err)
        if out:
            text += f"\nlast {len(out)} stdout lines of {self.name}:\n" + "\n".join(out)
        return text


# ---------------------------------------------------------------------------------------------------------------------
# Fixtures


@pytest.fixture(scope="session")
def outpost_bin() -> Path:
    # Absolute: servers start in their test's temporary directory, where a relative OUTPOST_BIN would not resolve.
    path = Path(os.environ.get("OUTPOST_BIN") or REPO_ROOT / "build" / "bin" / "outpost").absolute()
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(f"outpost binary not found or not executable: {path}\n"
                    f"Build the 'outpost' target, or point OUTPOST_BIN at the binary.", pytrace=False)
    return path


@pytest.fixture
def outpost_factory(request: pytest.FixtureRequest, outpost_bin: Path, tmp_path: Path):
    servers: list[OutpostServer] = request.node.stash.setdefault(_SERVERS_KEY, [])

    def start(data_dir: Path | None = None, args: Sequence[str] = (), name: str | None = None) -> OutpostServer:
        name = name or f"outpost-{len(servers)}"
        server = OutpostServer(outpost_bin, data_dir or tmp_path / name / "data", args, name)
        servers.append(server)  # registered before starting, so a failed start is still cleaned up and reported
        try:
            return server.start()
        except ServerStartError as e:
            failure = str(e)
        pytest.fail(failure, pytrace=False)  # outside the except: the report shows the reason once, unchained

    yield start

    problems = []
    for server in servers:
        if server.running:
            try:
                server.stop()
            except AssertionError as e:
                problems.append(str(e))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def registry(outpost_factory, tmp_path: Path) -> OutpostServer:
    """One Outpost server on <tmp_path>/data. Attributes: url, address, data_dir, process; stop(), kill(), start()."""
    return outpost_factory(data_dir=tmp_path / "data", name="registry")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for server in item.stash.get(_SERVERS_KEY, []):
            report.sections.append((f"{server.name} output ({report.when})", server.tail()))
