"""The processes of a live cluster: ``outpost cluster up`` and ``down`` run as commands, and the per-node faults a
``LiveCluster`` applies to them (kill -9, a new ``outpost serve`` on the same data directory, SIGSTOP/SIGCONT).

``cluster up`` starts every daemon in a session of its own and records it in ``cluster.json`` by pid and start time
(field 22 of ``/proc/<pid>/stat``), so a recycled pid is never signalled; this module keeps that record current when
it restarts a node, so ``outpost cluster down --dir`` stops the cluster even if Python died first.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import time
from typing import Any, Callable, Dict, List, Optional

from . import errors


class LiveClusterError(errors.Error):
    """A live cluster could not be started, or a node could not be restarted; the message says why and where the
    logs are."""


def find_binary(explicit: Optional[str] = None) -> str:
    """The ``outpost`` executable: ``explicit``, else ``$OUTPOST_BIN``, else ``bin/outpost`` beside the directory this
    package was imported from (``build/python`` -> ``build/bin/outpost``). Raises :class:`LiveClusterError`."""
    candidates = _binary_candidates(explicit)
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.abspath(candidate)
    raise LiveClusterError(f"no outpost executable at {candidates[0]}: build the target `outpost`, or set OUTPOST_BIN")


def binary_for_commands() -> str:
    """The ``outpost`` executable a command shown to a user should name (a replay command): the one
    :func:`find_binary` finds, else where it looked first, so the command says what is missing."""
    try:
        return find_binary()
    except LiveClusterError:
        return _binary_candidates(None)[0]


def _binary_candidates(explicit: Optional[str]) -> List[str]:
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    candidates = [explicit] if explicit else []
    if not explicit and os.environ.get("OUTPOST_BIN"):
        from_env = os.environ["OUTPOST_BIN"]
        candidates.append(from_env)
        if not os.path.isabs(from_env) and os.environ.get("PWD"):
            # Relative to where the program was started (the shell's $PWD), should it have changed directory since.
            candidates.append(os.path.join(os.environ["PWD"], from_env))
    if not candidates:
        candidates.append(os.path.join(os.path.dirname(package_root), "bin", "outpost"))
    return candidates


def sanitizer(binary: str) -> Optional[str]:
    """The sanitizer ``binary`` was built with (``"ThreadSanitizer"``, ``"AddressSanitizer"``), or None for a plain
    build, read from its ``--version`` line. A sanitizer build runs several times slower: its live timings say
    nothing about a model's."""
    line = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True, timeout=30).stdout
    start = line.find("(built with ")
    return line[start + len("(built with "):line.index(")", start)] if start >= 0 else None


def process_start_time(pid: int) -> Optional[int]:
    """Field 22 of ``/proc/<pid>/stat`` (None when the process is gone or a zombie)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            text = handle.read()
    except OSError:
        return None
    fields = text[text.rfind(")") + 1:].split()  # the command name may hold spaces and parentheses
    if len(fields) < 20 or fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def alive(pid: int, start_time: int) -> bool:
    """That very process still runs (a zombie or a recycled pid counts as gone)."""
    if pid <= 0:
        return False
    now = process_start_time(pid)
    return now is not None and (start_time == 0 or now == start_time)


def poll(check: Callable[[], bool], deadline: float, every: float = 0.05) -> bool:
    """Calls ``check`` every ``every`` seconds until it holds (True) or the monotonic ``deadline`` passes (False)."""
    while True:
        if check():
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(every, remaining))


def log_tail(path: str, lines: int = 15) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            kept = [line.rstrip("\n") for line in handle if '"route":"readyz"' not in line
                    and '"route":"healthz"' not in line]
    except OSError:
        return ""
    return "\n".join("  " + line for line in kept[-lines:])


def _daemon_environment() -> Dict[str, str]:
    # As `cluster up` starts daemons: every option is in serve.json, none comes from the caller's OUTPOST_* variables.
    return {key: value for key, value in os.environ.items() if not key.startswith("OUTPOST_")}


class ClusterProcesses:
    """One cluster directory's processes. Holds no reference to the ``LiveCluster`` (its finalizer calls
    :meth:`shutdown`), so a cluster nobody closed is still stopped when it is collected or at interpreter exit."""

    def __init__(self, binary: str, directory: str, keep: bool) -> None:
        self.binary = binary
        self.directory = directory          # holds topology.json and the cluster directory `cluster/`
        self.cluster_dir = os.path.join(directory, "cluster")
        self.keep = keep
        self.document: Dict[str, Any] = {}  # cluster.json as last read or written
        self.paused: Dict[str, bool] = {}
        self.crashes: Dict[str, int] = {}
        self._children: List[subprocess.Popen] = []  # nodes this module restarted (its own children, to reap)
        self._stopped = False

    # ------------------------------------------------------------------ the whole cluster
    def claim(self) -> None:
        """Raises :class:`LiveClusterError` when the cluster directory already holds something (a cluster started
        there, by this process or another): it is not this object's, so it is neither stopped nor removed, and this
        object will stop nothing at all. ``cluster up`` refuses such a directory too, but its failure would be
        cleaned up as this object's own, and that cleanup would stop the cluster that lives there."""
        try:
            held = bool(os.listdir(self.cluster_dir))
        except FileNotFoundError:
            return
        except OSError:  # not a directory, or unreadable: not a place to start a cluster either
            held = True
        if not held:
            return
        self._stopped = True  # nothing here was started by this object: shutdown() must leave it alone
        started = os.path.exists(os.path.join(self.cluster_dir, "cluster.json"))
        raise LiveClusterError(
            f"{self.cluster_dir} is not empty" +
            (f": a cluster was started there (`outpost cluster down --dir {self.cluster_dir} --purge` stops it and "
             "removes the directory)" if started else "") +
            "; nothing was started and the directory was left as it was: give another directory")

    def up(self, topology_file: str, timeout: float) -> Dict[str, Any]:
        """``outpost cluster up``; the cluster.json it wrote. On failure everything it started is stopped (by the
        command itself, and again here) and :class:`LiveClusterError` carries its output and where its logs are:
        the directory is kept then, ``keep`` or not, since the logs say why. A cluster directory that is not empty
        is refused first (:meth:`claim`), and left alone. ``timeout`` is in seconds: ``cluster up`` counts whole
        ones, so it gets the next whole second (a restart waits ``timeout`` as given)."""
        self.claim()
        command = [self.binary, "cluster", "up", topology_file, "--dir", self.cluster_dir,
                   "--timeout", str(max(1, math.ceil(timeout)))]
        try:
            finished = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                      timeout=timeout + 30, env=_daemon_environment())
        except subprocess.TimeoutExpired as expired:
            self._stop_keeping_logs()
            raise LiveClusterError(f"`outpost cluster up` did not return within {timeout + 30:.0f} s; logs in "
                                   f"{self.cluster_dir}/logs (kept; remove {self.directory} when done)\n"
                                   f"{expired.stdout or ''}{expired.stderr or ''}") from None
        if finished.returncode != 0:
            self._stop_keeping_logs()
            raise LiveClusterError(f"`outpost cluster up` failed (exit status {finished.returncode}); logs in "
                                   f"{self.cluster_dir}/logs (kept; remove {self.directory} when done)\n"
                                   f"{finished.stderr.strip() or finished.stdout.strip()}")
        self.document = self.read()
        return self.document

    def _stop_keeping_logs(self) -> None:
        self.keep = True  # the error names the logs: they must still be there when it is read
        self.shutdown()

    def read(self) -> Dict[str, Any]:
        with open(os.path.join(self.cluster_dir, "cluster.json"), encoding="utf-8") as handle:
            return json.load(handle)

    def save(self) -> None:
        """cluster.json rewritten beside and renamed over (0600: it holds every password), as `cluster up` writes
        it."""
        path = os.path.join(self.cluster_dir, "cluster.json")
        temporary = path + ".tmp"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(self.document, indent=2) + "\n")
        os.replace(temporary, path)

    def shutdown(self, grace: float = 5.0) -> None:
        """Stops every process of the cluster (paused ones are resumed first, so SIGTERM reaches them), then removes
        the directory unless ``keep``. Safe to call twice and after a failed start."""
        if self._stopped:
            return
        self._stopped = True
        entries = self._entries()
        for name, entry in entries.items():
            if self.paused.get(name) and alive(entry["pid"], entry["startTime"]):
                _signal(entry["pid"], signal.SIGCONT)
        if os.path.exists(os.path.join(self.cluster_dir, "cluster.json")):
            try:
                subprocess.run([self.binary, "cluster", "down", "--dir", self.cluster_dir, "--grace", str(int(grace))],
                               stdin=subprocess.DEVNULL, capture_output=True, timeout=grace + 20)
            except (OSError, subprocess.TimeoutExpired):
                pass
        # Whatever `down` could not stop (or the record it could not read): SIGKILL by pid and start time.
        for entry in self._entries().values():
            if alive(entry["pid"], entry["startTime"]):
                _signal(entry["pid"], signal.SIGKILL)
        for child in self._children:
            if child.poll() is None:
                child.kill()
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        if not self.keep:
            import shutil
            shutil.rmtree(self.directory, ignore_errors=True)

    def _entries(self) -> Dict[str, Dict[str, int]]:
        """name -> {pid, startTime} of every process the record names (the proxy as "proxy")."""
        document = self.document
        try:
            document = self.read()
        except (OSError, ValueError):
            pass
        out: Dict[str, Dict[str, int]] = {}
        for name, entry in (document.get("nodes") or {}).items():
            if isinstance(entry, dict) and entry.get("pid"):
                out[name] = {"pid": int(entry["pid"]), "startTime": int(entry.get("startTime", 0))}
        proxy = document.get("proxy")
        if isinstance(proxy, dict) and proxy.get("pid"):
            out["proxy"] = {"pid": int(proxy["pid"]), "startTime": int(proxy.get("startTime", 0))}
        return out

    # ------------------------------------------------------------------ one node
    def entry(self, name: str) -> Dict[str, Any]:
        return self.document["nodes"][name]

    def running(self, name: str) -> bool:
        entry = self.entry(name)
        return alive(int(entry.get("pid", 0)), int(entry.get("startTime", 0)))

    def crash(self, name: str, timeout: float = 10.0) -> None:
        """kill -9, then waits (bounded) until the process is gone: its listening socket is closed then."""
        entry = self.entry(name)
        pid, start = int(entry.get("pid", 0)), int(entry.get("startTime", 0))
        if alive(pid, start):
            _signal(pid, signal.SIGKILL)
            self.crashes[name] = self.crashes.get(name, 0) + 1
        self.paused[name] = False
        for child in self._children:
            if child.pid == pid:
                child.wait(timeout=timeout)
        if not poll(lambda: not alive(pid, start), time.monotonic() + timeout):
            raise LiveClusterError(f"{name} (pid {pid}) is still running {timeout:.0f} s after SIGKILL")

    def restart(self, name: str, ready: Callable[[], bool], timeout: float) -> None:
        """A new ``outpost serve --config <node>/serve.json`` (the addresses it bound first, the same data
        directory), its output appended to the node's log, recorded in cluster.json; returns once ``ready()``
        holds. Does nothing while the node runs (as the simulator's restart)."""
        if self.running(name):
            return
        entry = self.entry(name)
        log_path = entry["log"]
        with open(log_path, "ab") as log:
            child = subprocess.Popen([self.binary, "serve", "--config", entry["config"]], stdin=subprocess.DEVNULL,
                                     stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                     close_fds=True, env=_daemon_environment())
        self._children.append(child)
        poll(lambda: process_start_time(child.pid) is not None or child.poll() is not None,
             time.monotonic() + timeout)
        start_time = process_start_time(child.pid) or 0
        entry["pid"] = child.pid
        entry["startTime"] = start_time
        self.paused[name] = False
        self.save()  # from here on `outpost cluster down --dir` stops the new process too
        deadline = time.monotonic() + timeout
        if not poll(lambda: child.poll() is not None or ready(), deadline, every=0.05) or child.poll() is not None:
            how = f"exited with status {child.returncode}" if child.poll() is not None else \
                f"did not answer within {timeout:.0f} s"
            raise LiveClusterError(f"{name} restarted (pid {child.pid}) {how}; last lines of {log_path}:\n"
                                   f"{log_tail(log_path)}")

    def pause(self, name: str) -> None:
        if self.running(name) and not self.paused.get(name):
            _signal(int(self.entry(name)["pid"]), signal.SIGSTOP)
            self.paused[name] = True

    def resume(self, name: str) -> None:
        if self.paused.get(name):
            if self.running(name):
                _signal(int(self.entry(name)["pid"]), signal.SIGCONT)
            self.paused[name] = False


def _signal(pid: int, number: int) -> None:
    try:
        os.kill(pid, number)
    except ProcessLookupError:
        pass
