#!/usr/bin/python3
"""Outpost's registry and CNCF Distribution side by side, on this machine, with the same clients and workloads.

    /usr/bin/python3 bench/compare_distribution.py [--runs 3] [--quick] [--work DIR] [--json FILE]

Both registries run on 127.0.0.1 with plain HTTP and on-disk storage: `outpost serve --log-level warn` and the Debian
package `docker-registry` (Distribution 2.8) with filesystem storage, delete enabled, the inmemory blob-descriptor
cache, log level warn and no access log. The method is the one the project's baseline research used for Distribution,
so its figures can be compared with these:

  big   one image of 4 x 256 MiB random layers (gzip level 0, so nothing is recompressed):
        push  `skopeo copy oci:LAYOUT:v1 docker://HOST/big:v1`
        pull  `skopeo copy docker://HOST/big:v1 oci:DIR:v1`
  many  200 images (tags t000..t199 of one repository), each 5 x 16 KiB random layers and its own config:
        push  one `skopeo sync --src dir --dest docker` (the research's headline figure; `--many-method copy` runs
              its other variant, one `skopeo copy` process per image)
        pull  one `skopeo sync --src docker --dest dir`
  wrk   `wrk -t2 -c32 -d10s --latency` on a registry holding 'many': manifest GET by tag with an OCI Accept header,
        and GET of one 16 KiB layer blob.

Every push starts from an empty registry (data wiped, server restarted); every timed step starts a fresh server
process (so its VmHWM is the peak of that step alone), a fresh skopeo cache (XDG_DATA_HOME, _CONTAINERS_ROOTLESS_UID)
and page-cached inputs. skopeo's `--*-tls-verify=false` tries HTTPS first and falls back to HTTP, as users of an HTTP
registry get. The order of the two registries alternates from run to run.

Measured per step: wall seconds (whole client process), MB/s (10^6 bytes) or images/s, the server's CPU seconds
(utime+stime from /proc/PID/stat before and after), its peak RSS (VmHWM from /proc/PID/status), the client's CPU
seconds, and the CPU seconds that other processes on the machine used meanwhile (a shared machine's noise). Each figure
is the median of --runs runs with min-max.

The script installs nothing: it checks its tools and names the Debian package that provides a missing one.
Only the standard library and requests are used; layouts come from tests/integration/oci_layout.py.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime
import json
import os
import platform
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT / "tests" / "integration"))

import oci_layout  # noqa: E402  (lives beside the integration tests)

try:
    import requests
except ImportError:  # reported by check_tools with the package to install
    requests = None

# --- sizes and fixed settings ----------------------------------------------------------------------------------------

MIB = 1 << 20
BIG_LAYERS, BIG_LAYER_SIZE = 4, 256 * MIB
MANY_IMAGES, MANY_LAYERS, MANY_LAYER_SIZE = 200, 5, 16 * 1024
QUICK_SCALE = 16  # --quick: big layers 16x smaller, 16x fewer 'many' images (the 16 KiB layer size stays)
BIG_REPO, BIG_TAG = "big", "v1"
MANY_REPO = "many"
LAYOUT_FORMAT = 1  # bump when what generate_layouts() writes changes, so a reused --work is regenerated

MANIFEST_ACCEPT = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"
WRK_THREADS, WRK_CONNECTIONS, WRK_DURATION = 2, 32, 10
# Outpost nodes always require credentials (SPEC 3.4): both registries get the same admin Basic credentials; Distribution
# runs without auth and ignores them, so each side does the work its users would see.
BENCH_ADMIN_USER = "admin"
BENCH_ADMIN_PASSWORD = "outpost-bench-admin"
BENCH_AUTH = (BENCH_ADMIN_USER, BENCH_ADMIN_PASSWORD)
BENCH_CREDS = f"{BENCH_ADMIN_USER}:{BENCH_ADMIN_PASSWORD}"
BENCH_BASIC = "Basic " + __import__("base64").b64encode(BENCH_CREDS.encode()).decode()
WRK_WARMUP = 2  # seconds of untimed load before the first measured wrk run against a fresh server process

SERVER_READY_TIMEOUT = 30.0
SERVER_STOP_TIMEOUT = 15.0
SKOPEO_BIG_TIMEOUT = 900
SKOPEO_MANY_TIMEOUT = 1800
SKOPEO_ONE_TIMEOUT = 120
HTTP_TIMEOUT = 30
TOOL_QUERY_TIMEOUT = 20

GOAL_CPU_PER_GB = 1.0       # Outpost CPU-s per GB received on the big push
GOAL_RSS_MIB = 64.0         # Outpost peak RSS during the big push and the big pull
GOAL_MANIFEST_RATIO = 10.0  # manifest GET req/s, Outpost / Distribution
GOAL_MANIFEST_P99_MS = 10.0
GOAL_BLOB_RATIO = 5.0       # 16 KiB blob GET req/s, Outpost / Distribution

SERVERS = ("outpost", "distribution")
LABEL = {"outpost": "Outpost", "distribution": "Distribution"}

CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- tools -----------------------------------------------------------------------------------------------------------


def default_outpost_bin() -> Path:
    release = REPO_ROOT / "build-release" / "bin" / "outpost"
    return release if release.is_file() else REPO_ROOT / "build" / "bin" / "outpost"


def check_tools(args: argparse.Namespace) -> dict[str, str]:
    """Paths of the tools, or exit 2 naming what to install."""
    missing = []
    found = {}
    for tool, package in (("skopeo", "skopeo"), ("wrk", "wrk"), ("docker-registry", "docker-registry")):
        path = args.distribution_bin if tool == "docker-registry" and args.distribution_bin else shutil.which(tool)
        if not path or not os.access(path, os.X_OK):
            missing.append(f"  {tool}: not found; install the Debian package '{package}' (apt-get install {package})")
        else:
            found[tool] = str(path)
    if requests is None:
        missing.append("  python requests: not importable; install the Debian package 'python3-requests'")
    outpost = Path(args.outpost_bin)
    if not outpost.is_file() or not os.access(outpost, os.X_OK):
        missing.append(f"  outpost: {outpost} is not an executable; build it (Release, for measuring):\n"
                       f"    cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DOUTPOST_BENCH=OFF\n"
                       f"    cmake --build build-release --target outpost -j2")
    else:
        found["outpost"] = str(outpost.resolve())
    if missing:
        print("compare_distribution: missing tools:\n" + "\n".join(missing), file=sys.stderr)
        sys.exit(2)
    return found


def tool_versions(tools: dict[str, str]) -> dict[str, str]:
    def first_line(command: list[str]) -> str:
        try:
            done = subprocess.run(command, capture_output=True, timeout=TOOL_QUERY_TIMEOUT, text=True)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"unknown ({e})"
        text = (done.stdout or done.stderr).strip()
        return text.splitlines()[0] if text else "unknown"

    versions = {
        "skopeo": first_line([tools["skopeo"], "--version"]),
        "docker-registry": first_line([tools["docker-registry"], "--version"]),
        "wrk": first_line([tools["wrk"], "-v"]),
    }
    revision = first_line(["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=TOOL_QUERY_TIMEOUT).stdout.strip()
    versions["outpost"] = f"git {revision}" + (" + uncommitted changes" if dirty else "")
    return versions


def machine_description() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu_model": model, "memory_gib": round(mem_kib / MIB, 1),
            "kernel": platform.release(), "loadavg_at_start": os.getloadavg()}


# --- /proc readings --------------------------------------------------------------------------------------------------


def process_cpu_seconds(pid: int) -> tuple[float, float]:
    """(utime, stime) of a live process (all its threads), from /proc/PID/stat."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2:].split()  # the command name may hold spaces; fields restart after ')'
    return int(fields[11]) / CLK_TCK, int(fields[12]) / CLK_TCK  # fields 14 and 15 of proc(5)


def process_peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for pid {pid}")


def machine_cpu() -> tuple[float, float, float]:
    """(process time, irq + softirq time, iowait) CPU seconds of the whole machine since boot, from /proc/stat.

    Interrupt and softirq time (where loopback TCP is mostly processed) is kept apart: the kernel does not charge it
    to the processes' utime/stime, so it belongs neither to the server nor to "other processes".
    """
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
    return (user + nice + system + steal) / CLK_TCK, (irq + softirq) / CLK_TCK, iowait / CLK_TCK


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# --- servers ---------------------------------------------------------------------------------------------------------


try:  # looked up here, not in the child: between fork and exec the child should only make the call
    _PRCTL = ctypes.CDLL("libc.so.6", use_errno=True).prctl
except (OSError, AttributeError):
    _PRCTL = None
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """Runs in the child before exec: SIGTERM it if this script dies without cleaning up (e.g. SIGKILL)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, int(signal.SIGTERM))


def free_port() -> int:
    """A port the kernel considers free on 127.0.0.1 now (Distribution cannot be told to pick one itself)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One registry process with a data directory of its own; its output is drained to a log file."""

    name = "server"

    def __init__(self, binary: str, home: Path):
        self.binary = binary
        self.home = home
        self.data = home / "data"
        self.log_path = home / "server.log"
        self.process: subprocess.Popen | None = None
        self.address: str | None = None
        self._drain: threading.Thread | None = None

    # what a subclass provides
    def command(self) -> list[str]:
        raise NotImplementedError

    def _on_line(self, line: str) -> None:
        pass

    def _wait_ready(self, deadline: float) -> None:
        raise NotImplementedError

    # lifecycle
    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def wipe(self) -> None:
        if self.running():
            raise RuntimeError(f"{self.name}: wipe while running")
        shutil.rmtree(self.data, ignore_errors=True)

    def start(self) -> None:
        if self.running():
            raise RuntimeError(f"{self.name} is already running")
        self.home.mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        self.address = None
        command = self.command()
        with open(self.log_path, "a") as f:
            f.write(f"--- {' '.join(command)}\n")
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, cwd=self.home, start_new_session=True,
                                        preexec_fn=_die_with_parent)
        self._drain = threading.Thread(target=self._drain_output, args=(self.process.stdout,), daemon=True)
        self._drain.start()
        try:
            self._wait_ready(time.monotonic() + SERVER_READY_TIMEOUT)
        except BaseException:
            self.stop()
            raise

    def _drain_output(self, pipe) -> None:
        with open(self.log_path, "a") as f:
            for raw in iter(pipe.readline, b""):
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                f.write(line + "\n")
                f.flush()
                self._on_line(line)
        pipe.close()

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=SERVER_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                log(f"{self.name} ignored SIGTERM for {SERVER_STOP_TIMEOUT:.0f} s: killing it")
                self.process.kill()
                self.process.wait(timeout=SERVER_STOP_TIMEOUT)
        if self._drain is not None:
            self._drain.join(timeout=SERVER_STOP_TIMEOUT)
            self._drain = None
        self.process = None
        self.address = None

    def restart(self, wipe: bool) -> None:
        """A fresh process (so VmHWM restarts), on an empty data directory when `wipe`."""
        self.stop()
        if wipe:
            self.wipe()
        self.start()

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def _failed_start(self, why: str) -> RuntimeError:
        return RuntimeError(f"{self.name} {why}\ncommand: {' '.join(self.command())}\n"
                            f"last lines of {self.log_path}:\n{self.tail()}")


class OutpostServer(Server):
    name = "outpost"

    def __init__(self, binary: str, home: Path):
        super().__init__(binary, home)
        self._listening = threading.Event()
        self._found: str | None = None

    def command(self) -> list[str]:
        password_file = self.home / "admin-password"
        password_file.write_text(BENCH_ADMIN_PASSWORD + "\n")
        return [self.binary, "serve", "--listen", "127.0.0.1:0", "--data", str(self.data), "--log-level", "warn",
                "--admin-password-file", str(password_file)]

    def start(self) -> None:
        self._listening.clear()
        self._found = None
        super().start()

    def _on_line(self, line: str) -> None:
        if self._listening.is_set():
            return
        try:
            entry = json.loads(line)
        except ValueError:
            return
        if isinstance(entry, dict) and entry.get("msg") == "listening" and isinstance(entry.get("address"), str):
            self._found = entry["address"]
            self._listening.set()

    def _wait_ready(self, deadline: float) -> None:
        # The "listening" line carries the port the kernel chose; the drain thread sets the event when it sees it.
        while not self._listening.wait(timeout=0.2):
            if self.process.poll() is not None:
                raise self._failed_start(f"exited with status {self.process.returncode} before logging \"listening\"")
            if time.monotonic() > deadline:
                raise self._failed_start(f"did not log \"listening\" within {SERVER_READY_TIMEOUT:.0f} s")
        host = self._found.rpartition(":")[0]
        if host != "127.0.0.1":
            raise self._failed_start(f"listens on {self._found}, not on 127.0.0.1")
        self.address = self._found


class DistributionServer(Server):
    name = "distribution"
    START_ATTEMPTS = 3  # the port is chosen before the process binds it, so another process may take it meanwhile

    def __init__(self, binary: str, home: Path):
        super().__init__(binary, home)
        self.port = 0
        self.config_path = home / "config.yml"

    def command(self) -> list[str]:
        return [self.binary, "serve", str(self.config_path)]

    def write_config(self) -> None:
        # The research's configuration: Debian's storage defaults, no auth, quiet logs, no upload purging.
        self.config_path.write_text(f"""version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {self.data}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:{self.port}
  secret: outpost-benchmark-not-a-secret
""")

    def start(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        for attempt in range(1, self.START_ATTEMPTS + 1):
            self.port = free_port()
            self.write_config()
            try:
                super().start()
                return
            except RuntimeError:
                if attempt == self.START_ATTEMPTS:
                    raise
                log(f"distribution did not start on port {self.port}; trying another port")

    def _wait_ready(self, deadline: float) -> None:
        # Distribution logs nothing at level warn when it is ready: ask it, until it answers or the deadline passes.
        url = f"http://127.0.0.1:{self.port}/v2/"
        while True:
            if self.process.poll() is not None:
                raise self._failed_start(f"exited with status {self.process.returncode} before answering /v2/")
            try:
                if requests.get(url, timeout=2).status_code == 200:
                    self.address = f"127.0.0.1:{self.port}"
                    return
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise self._failed_start(f"did not answer GET /v2/ within {SERVER_READY_TIMEOUT:.0f} s")
            time.sleep(0.05)


# --- layouts ---------------------------------------------------------------------------------------------------------


@dataclass
class Layouts:
    big_dir: Path
    big_bytes: int                  # blob bytes of the big image (config + layers)
    big_manifest_digest: str
    many_dir: Path                  # OCI layout with refs t000..
    many_sync_dir: Path             # the same images in skopeo's `dir:` form, as <many_sync_dir>/many:tNNN/
    many_tags: list[str]
    many_blobs: int                 # unique blobs (configs + layers)
    many_bytes: int
    small_blob_digest: str          # one 16 KiB layer of many:t000, for the blob GET
    small_blob_size: int
    first_manifest_digest: str


def generate_layouts(work: Path, quick: bool) -> Layouts:
    """Writes (or reuses, when --work already holds the same) the OCI layouts both registries are fed."""
    big_layer = BIG_LAYER_SIZE // (QUICK_SCALE if quick else 1)
    images = max(1, round(MANY_IMAGES / (QUICK_SCALE if quick else 1)))
    spec = {"format": LAYOUT_FORMAT, "big": [BIG_LAYERS, big_layer], "many": [images, MANY_LAYERS, MANY_LAYER_SIZE]}
    root = work / "layouts"
    record = root / "layouts.json"
    if record.is_file():
        saved = json.loads(record.read_text())
        if saved.get("spec") == spec:
            log(f"reusing the layouts in {root}")
            return _layouts_from_record(root, saved)
        log(f"{root} holds other layouts: regenerating")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)

    log(f"generating 'big': {BIG_LAYERS} x {big_layer // MIB} MiB layers")
    started = time.monotonic()
    big = oci_layout.OciLayout(root / "big")
    big_image = big.add_image([big_layer] * BIG_LAYERS, ref=BIG_TAG, seed="outpost-bench-big")
    log(f"  done in {time.monotonic() - started:.1f} s")

    log(f"generating 'many': {images} images x {MANY_LAYERS} x {MANY_LAYER_SIZE // 1024} KiB layers")
    many = oci_layout.OciLayout(root / "many")
    tags = [f"t{i:03d}" for i in range(images)]
    many_images = [many.add_image([MANY_LAYER_SIZE] * MANY_LAYERS, ref=tag, seed=f"outpost-bench-many-{tag}")
                   for tag in tags]
    _write_dir_form(root / "many", root / "many-sync", many_images, tags)

    blobs: dict[str, int] = {}
    for image in many_images:
        blobs[image.config.digest] = image.config.size
        for layer in image.layers:
            blobs[layer.descriptor.digest] = layer.descriptor.size
    saved = {
        "spec": spec,
        "big_bytes": big_image.config.size + sum(layer.descriptor.size for layer in big_image.layers),
        "big_manifest_digest": big_image.manifest.digest,
        "many_tags": tags,
        "many_blobs": len(blobs),
        "many_bytes": sum(blobs.values()) + sum(image.manifest.size for image in many_images),
        "small_blob_digest": many_images[0].layers[0].descriptor.digest,
        "small_blob_size": many_images[0].layers[0].descriptor.size,
        "first_manifest_digest": many_images[0].manifest.digest,
    }
    record.write_text(json.dumps(saved, indent=1))
    return _layouts_from_record(root, saved)


def _layouts_from_record(root: Path, saved: dict) -> Layouts:
    return Layouts(root / "big", saved["big_bytes"], saved["big_manifest_digest"], root / "many", root / "many-sync",
                   saved["many_tags"], saved["many_blobs"], saved["many_bytes"], saved["small_blob_digest"],
                   saved["small_blob_size"], saved["first_manifest_digest"])


def _write_dir_form(oci_root: Path, out: Path, images: list, tags: list[str]) -> None:
    """skopeo's `dir:` transport layout of each image (manifest.json, blobs named by hex digest, version), which is what
    `skopeo sync --src dir` reads. Blobs are hard links into the OCI layout."""
    for image, tag in zip(images, tags):
        target = out / f"{MANY_REPO}:{tag}"
        target.mkdir(parents=True)
        (target / "version").write_text("Directory Transport Version: 1.1\n")
        (target / "manifest.json").write_bytes(image.manifest_bytes)
        for digest in image.blob_digests:
            source = oci_layout.blob_path(oci_root, digest)
            destination = target / digest.partition(":")[2]
            try:
                os.link(source, destination)
            except OSError:
                shutil.copyfile(source, destination)


def read_tree(path: Path) -> None:
    """Reads every file under `path`, so a timed step finds its inputs in the page cache."""
    for directory, _, files in os.walk(path):
        for name in files:
            try:
                with open(os.path.join(directory, name), "rb") as f:
                    while f.read(8 * MIB):
                        pass
            except OSError:
                pass


# --- clients ---------------------------------------------------------------------------------------------------------


class Skopeo:
    """skopeo with a cache and auth file of its own, emptied before every timed command."""

    def __init__(self, binary: str, home: Path):
        self.binary = binary
        self.home = home
        self.env = dict(os.environ)
        self.env.update({"XDG_DATA_HOME": str(home / "xdg"), "_CONTAINERS_ROOTLESS_UID": "1000",
                         "REGISTRY_AUTH_FILE": str(home / "auth.json")})

    def fresh_cache(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)
        (self.home / "xdg").mkdir(parents=True)
        (self.home / "auth.json").write_text('{"auths": {}}')

    def run(self, args: list[str], timeout: float) -> None:
        if args and args[0] in ("copy", "sync"):  # log in (Bearer token flow) where the registry asks for it
            args = [args[0], "--src-creds", BENCH_CREDS, "--dest-creds", BENCH_CREDS, *args[1:]]
        command = [self.binary, *args]
        try:
            done = subprocess.run(command, env=self.env, capture_output=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"timed out after {timeout:.0f} s: {' '.join(command)}") from None
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited {done.returncode}\n"
                               f"{done.stderr.decode(errors='replace')[-2000:]}")


@dataclass
class Step:
    """What one timed client step cost."""
    wall_s: float
    server_cpu_s: float
    server_user_s: float  # the server's own code (hashing, HTTP parsing, the event loop)
    server_sys_s: float   # the kernel working for it (socket reads, page-cache writes, fsync, wake-ups)
    server_peak_rss_mib: float
    client_cpu_s: float
    others_cpu_s: float   # process CPU of everything else on the machine: other users, kernel threads (writeback)
    irq_cpu_s: float      # interrupt + softirq CPU of the whole machine (network stack on loopback, disk completion)
    iowait_s: float

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def timed(server: Server, action: Callable[[], None]) -> Step:
    """Runs `action` (which starts and waits for client processes) and measures it, the server and the machine."""
    user0, sys0 = process_cpu_seconds(server.pid)
    client_cpu0 = children_cpu_seconds()
    busy0, irq0, iowait0 = machine_cpu()
    started = time.perf_counter()
    action()
    wall = time.perf_counter() - started
    busy1, irq1, iowait1 = machine_cpu()
    client_cpu = children_cpu_seconds() - client_cpu0
    user1, sys1 = process_cpu_seconds(server.pid)
    server_cpu = (user1 - user0) + (sys1 - sys0)
    if not server.running():
        raise RuntimeError(f"{server.name} exited during the step\n{server.tail()}")
    return Step(wall, server_cpu, user1 - user0, sys1 - sys0, process_peak_rss_mib(server.pid), client_cpu,
                max(0.0, (busy1 - busy0) - server_cpu - client_cpu), irq1 - irq0, iowait1 - iowait0)


# --- workloads -------------------------------------------------------------------------------------------------------


def settle(paths: Iterable[Path]) -> None:
    """Untimed set-up shared by every step: inputs in the page cache, earlier writes flushed."""
    for path in paths:
        read_tree(path)
    os.sync()


def run_big(server: Server, skopeo: Skopeo, layouts: Layouts, work: Path) -> dict:
    gb = layouts.big_bytes / 1e9
    server.restart(wipe=True)
    skopeo.fresh_cache()
    settle([layouts.big_dir])
    push = timed(server, lambda: skopeo.run(
        ["copy", "--dest-tls-verify=false", f"oci:{layouts.big_dir}:{BIG_TAG}",
         f"docker://{server.address}/{BIG_REPO}:{BIG_TAG}"], SKOPEO_BIG_TIMEOUT))

    pulled = work / "pull-big"
    shutil.rmtree(pulled, ignore_errors=True)
    server.restart(wipe=False)
    skopeo.fresh_cache()
    settle([server.data])
    pull = timed(server, lambda: skopeo.run(
        ["copy", "--src-tls-verify=false", f"docker://{server.address}/{BIG_REPO}:{BIG_TAG}",
         f"oci:{pulled}:{BIG_TAG}"], SKOPEO_BIG_TIMEOUT))
    got = oci_layout.read_ref(pulled, BIG_TAG)["digest"]
    if got != layouts.big_manifest_digest:
        raise RuntimeError(f"{server.name}: pulled manifest {got}, pushed {layouts.big_manifest_digest}")
    shutil.rmtree(pulled, ignore_errors=True)
    return {name: dict(step.as_dict(), mb_s=layouts.big_bytes / 1e6 / step.wall_s,
                       server_cpu_s_per_gb=step.server_cpu_s / gb)
            for name, step in (("push", push), ("pull", pull))}


def run_many(server: Server, skopeo: Skopeo, layouts: Layouts, work: Path, method: str) -> dict:
    count = len(layouts.many_tags)
    server.restart(wipe=True)
    skopeo.fresh_cache()
    settle([layouts.many_dir, layouts.many_sync_dir])
    if method == "sync":
        push_action = lambda: skopeo.run(  # noqa: E731
            ["sync", "--dest-tls-verify=false", "--src", "dir", "--dest", "docker", str(layouts.many_sync_dir),
             server.address], SKOPEO_MANY_TIMEOUT)
    else:
        def push_action() -> None:
            for tag in layouts.many_tags:
                skopeo.run(["copy", "-q", "--dest-tls-verify=false", f"oci:{layouts.many_dir}:{tag}",
                            f"docker://{server.address}/{MANY_REPO}:{tag}"], SKOPEO_ONE_TIMEOUT)
    push = timed(server, push_action)
    check_many_pushed(server, layouts)

    pulled = work / "pull-many"
    shutil.rmtree(pulled, ignore_errors=True)
    server.restart(wipe=False)
    skopeo.fresh_cache()
    settle([server.data])
    if method == "sync":
        pull_action = lambda: skopeo.run(  # noqa: E731
            ["sync", "--src-tls-verify=false", "--src", "docker", "--dest", "dir",
             f"{server.address}/{MANY_REPO}", str(pulled)], SKOPEO_MANY_TIMEOUT)
    else:
        def pull_action() -> None:
            for tag in layouts.many_tags:
                skopeo.run(["copy", "-q", "--src-tls-verify=false", f"docker://{server.address}/{MANY_REPO}:{tag}",
                            f"oci:{pulled}:{tag}"], SKOPEO_ONE_TIMEOUT)
    pull = timed(server, pull_action)
    if method == "sync":  # skopeo sync writes one dir: image per tag, named <repository>:<tag>
        got = len([p for p in pulled.iterdir() if (p / "manifest.json").is_file()]) if pulled.is_dir() else 0
    else:
        got = len(json.loads((pulled / "index.json").read_text())["manifests"])
    if got != count:
        raise RuntimeError(f"{server.name}: pulled {got} images of 'many', expected {count}")
    shutil.rmtree(pulled, ignore_errors=True)
    objects = layouts.many_blobs + count
    return {name: dict(step.as_dict(), images_s=count / step.wall_s, blobs_s=layouts.many_blobs / step.wall_s,
                       server_cpu_ms_per_object=1000 * step.server_cpu_s / objects)
            for name, step in (("push", push), ("pull", pull))}


def get_manifest(server: Server, tag: str):
    return requests.get(f"{server.url}/v2/{MANY_REPO}/manifests/{tag}", headers={"Accept": MANIFEST_ACCEPT}, auth=BENCH_AUTH,
                        timeout=HTTP_TIMEOUT)


def check_many_pushed(server: Server, layouts: Layouts) -> None:
    for tag in (layouts.many_tags[0], layouts.many_tags[-1]):
        response = get_manifest(server, tag)
        if response.status_code != 200:
            raise RuntimeError(f"{server.name}: GET manifest {MANY_REPO}:{tag} after the push: {response.status_code}")


def holds_many(server: Server, layouts: Layouts) -> bool:
    return all(get_manifest(server, tag).status_code == 200 for tag in (layouts.many_tags[0], layouts.many_tags[-1]))


WRK_LUA_MANIFEST = f"""-- manifest GET by tag, as an OCI client asks for it
wrk.method = "GET"
wrk.headers["Accept"] = "{MANIFEST_ACCEPT}"
wrk.headers["Authorization"] = "{BENCH_BASIC}"
"""

WRK_LUA_BLOB = f"""-- blob GET with the same credentials
wrk.method = "GET"
wrk.headers["Authorization"] = "{BENCH_BASIC}"
"""


def parse_duration_ms(text: str) -> float:
    match = re.fullmatch(r"([0-9.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        raise ValueError(f"unreadable wrk duration {text!r}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0, "h": 3600000.0}[match.group(2)]
    return float(match.group(1)) * scale


def parse_wrk(output: str) -> dict:
    """Requests/s, p50/p99 (ms), request count and error counts from `wrk --latency` output."""
    result: dict = {"non_2xx": 0, "socket_errors": 0}
    rate = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    count = re.search(r"^\s+(\d+) requests in ", output, re.M)
    if not (rate and p50 and p99 and count):
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    result.update(req_s=float(rate.group(1)), p50_ms=parse_duration_ms(p50.group(1)),
                  p99_ms=parse_duration_ms(p99.group(1)), requests=int(count.group(1)))
    if bad := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output):
        result["non_2xx"] = int(bad.group(1))
    if errors := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        result["socket_errors"] = sum(int(v) for v in errors.groups())
    return result


def run_wrk(wrk: str, server: Server, url: str, lua: Path | None, duration: int) -> dict:
    command = [wrk, f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{duration}s", "--latency"]
    if lua is not None:
        command += ["-s", str(lua)]
    command.append(url)
    outputs: list[str] = []

    def action() -> None:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60)
        except subprocess.TimeoutExpired:
            raise RuntimeError(f"timed out: {' '.join(command)}") from None
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} exited {done.returncode}\n{done.stderr}")
        outputs.append(done.stdout)

    step = timed(server, action)
    figures = parse_wrk(outputs[0])
    if figures["non_2xx"] or figures["socket_errors"]:
        log(f"  WARNING {server.name}: {figures['non_2xx']} non-2xx responses, "
            f"{figures['socket_errors']} socket errors: {url}")
    figures.update(wall_s=step.wall_s, server_cpu_s=step.server_cpu_s, server_peak_rss_mib=step.server_peak_rss_mib,
                   client_cpu_s=step.client_cpu_s, others_cpu_s=step.others_cpu_s, irq_cpu_s=step.irq_cpu_s,
                   server_cpu_ms_per_request=1000 * step.server_cpu_s / max(1, figures["requests"]))
    return figures


def prepare_wrk_target(server: Server, skopeo: Skopeo, layouts: Layouts, work: Path, wrk: str) -> dict[str, str]:
    """A fresh process on a data directory holding 'many' (pushed now, untimed, if it is not there); the URLs."""
    server.restart(wipe=False)
    if not holds_many(server, layouts):
        log(f"  {server.name} does not hold '{MANY_REPO}': pushing it (untimed)")
        server.restart(wipe=True)
        skopeo.fresh_cache()
        skopeo.run(["sync", "--dest-tls-verify=false", "--src", "dir", "--dest", "docker", str(layouts.many_sync_dir),
                    server.address], SKOPEO_MANY_TIMEOUT)
        server.restart(wipe=False)
    tag = layouts.many_tags[0]
    manifest = get_manifest(server, tag)
    if manifest.status_code != 200 or manifest.headers.get("Docker-Content-Digest") not in (
            None, layouts.first_manifest_digest):
        raise RuntimeError(f"{server.name}: manifest {MANY_REPO}:{tag}: {manifest.status_code} "
                           f"{manifest.headers.get('Docker-Content-Digest')}")
    blob_url = f"{server.url}/v2/{MANY_REPO}/blobs/{layouts.small_blob_digest}"
    blob = requests.get(blob_url, auth=BENCH_AUTH, timeout=HTTP_TIMEOUT)
    if blob.status_code != 200 or len(blob.content) != layouts.small_blob_size:
        raise RuntimeError(f"{server.name}: blob GET {blob.status_code}, {len(blob.content)} bytes")
    urls = {"manifest": f"{server.url}/v2/{MANY_REPO}/manifests/{tag}", "blob": blob_url}
    subprocess.run([wrk, f"-t{WRK_THREADS}", f"-c{WRK_CONNECTIONS}", f"-d{WRK_WARMUP}s", "-s",
                    str(work / "wrk-manifest.lua"), urls["manifest"]], capture_output=True, timeout=WRK_WARMUP + 60)
    return urls


# --- summary ---------------------------------------------------------------------------------------------------------


@dataclass
class Row:
    section: str
    label: str
    path: tuple[str, ...]     # keys into one run's record of a section
    digits: int = 2
    better: str = ""          # "higher" / "lower": which way is better, shown beside the ratio
    goal: str = ""
    judge: Callable[[dict, dict, float | None], bool] | None = None  # (outpost summary, distribution summary, ratio)
    values: dict = field(default_factory=dict)


def summarise(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values),
            "runs": values}


def rows_for(results: dict) -> list[Row]:
    ratio_goal = lambda target: (lambda o, d, r: r is not None and r >= target)  # noqa: E731
    rows = [
        Row("big", "push wall s", ("push", "wall_s"), 2, "lower"),
        Row("big", "push MB/s", ("push", "mb_s"), 0, "higher"),
        Row("big", "push server CPU-s", ("push", "server_cpu_s"), 2, "lower"),
        Row("big", "push server CPU-s per GB received", ("push", "server_cpu_s_per_gb"), 2, "lower",
            f"Outpost <= {GOAL_CPU_PER_GB:g}", lambda o, d, r: o["median"] <= GOAL_CPU_PER_GB),
        Row("big", "push server user CPU-s", ("push", "server_user_s"), 2, "lower"),
        Row("big", "push server system CPU-s", ("push", "server_sys_s"), 2, "lower"),
        Row("big", "push server peak RSS MiB", ("push", "server_peak_rss_mib"), 1, "lower",
            f"Outpost < {GOAL_RSS_MIB:g} (max of runs)", lambda o, d, r: o["max"] < GOAL_RSS_MIB),
        Row("big", "push skopeo CPU-s", ("push", "client_cpu_s"), 2),
        Row("big", "push other processes' CPU-s (noise)", ("push", "others_cpu_s"), 2),
        Row("big", "push machine irq+softirq CPU-s", ("push", "irq_cpu_s"), 2),
        Row("big", "pull wall s", ("pull", "wall_s"), 2, "lower"),
        Row("big", "pull MB/s", ("pull", "mb_s"), 0, "higher"),
        Row("big", "pull server CPU-s", ("pull", "server_cpu_s"), 2, "lower"),
        Row("big", "pull server CPU-s per GB sent", ("pull", "server_cpu_s_per_gb"), 2, "lower"),
        Row("big", "pull server peak RSS MiB", ("pull", "server_peak_rss_mib"), 1, "lower",
            f"Outpost < {GOAL_RSS_MIB:g} (max of runs)", lambda o, d, r: o["max"] < GOAL_RSS_MIB),
        Row("big", "pull skopeo CPU-s", ("pull", "client_cpu_s"), 2),
        Row("big", "pull other processes' CPU-s (noise)", ("pull", "others_cpu_s"), 2),
        Row("big", "pull machine irq+softirq CPU-s", ("pull", "irq_cpu_s"), 2),
    ]
    for step in ("push", "pull"):
        rows += [
            Row("many", f"{step} wall s", (step, "wall_s"), 2, "lower"),
            Row("many", f"{step} images/s", (step, "images_s"), 2, "higher"),
            Row("many", f"{step} blobs/s", (step, "blobs_s"), 1, "higher"),
            Row("many", f"{step} server CPU-s", (step, "server_cpu_s"), 2, "lower"),
            Row("many", f"{step} server CPU ms per object", (step, "server_cpu_ms_per_object"), 2, "lower"),
            Row("many", f"{step} server peak RSS MiB", (step, "server_peak_rss_mib"), 1, "lower"),
            Row("many", f"{step} skopeo CPU-s", (step, "client_cpu_s"), 2),
            Row("many", f"{step} other processes' CPU-s (noise)", (step, "others_cpu_s"), 2),
            Row("many", f"{step} machine irq+softirq CPU-s", (step, "irq_cpu_s"), 2),
        ]
    rows += [
        Row("wrk", "manifest GET req/s", ("manifest", "req_s"), 0, "higher",
            f"ratio >= {GOAL_MANIFEST_RATIO:g}", ratio_goal(GOAL_MANIFEST_RATIO)),
        Row("wrk", "manifest GET p50 ms", ("manifest", "p50_ms"), 2, "lower"),
        Row("wrk", "manifest GET p99 ms", ("manifest", "p99_ms"), 2, "lower",
            f"Outpost <= {GOAL_MANIFEST_P99_MS:g}", lambda o, d, r: o["median"] <= GOAL_MANIFEST_P99_MS),
        Row("wrk", "manifest GET server CPU ms/request", ("manifest", "server_cpu_ms_per_request"), 3, "lower"),
        Row("wrk", "server peak RSS MiB (manifest then blob run)", ("blob", "server_peak_rss_mib"), 1, "lower"),
        Row("wrk", "16 KiB blob GET req/s", ("blob", "req_s"), 0, "higher",
            f"ratio >= {GOAL_BLOB_RATIO:g}", ratio_goal(GOAL_BLOB_RATIO)),
        Row("wrk", "16 KiB blob GET p50 ms", ("blob", "p50_ms"), 2, "lower"),
        Row("wrk", "16 KiB blob GET p99 ms", ("blob", "p99_ms"), 2, "lower"),
        Row("wrk", "16 KiB blob GET server CPU ms/request", ("blob", "server_cpu_ms_per_request"), 3, "lower"),
        Row("wrk", "manifest GET wrk CPU-s", ("manifest", "client_cpu_s"), 2),
        Row("wrk", "manifest GET other processes' CPU-s (noise)", ("manifest", "others_cpu_s"), 2),
        Row("wrk", "manifest GET machine irq+softirq CPU-s", ("manifest", "irq_cpu_s"), 2),
    ]
    kept = []
    for row in rows:
        runs = results.get(row.section)
        if not runs:
            continue
        for server in SERVERS:
            values = []
            for record in runs[server]:
                value = record
                for key in row.path:
                    value = value[key]
                values.append(value)
            row.values[server] = summarise(values)
        kept.append(row)
    return kept


def format_cell(summary: dict, digits: int) -> str:
    median, low, high = summary["median"], summary["min"], summary["max"]
    if summary["n"] == 1:
        return f"{median:.{digits}f}"
    return f"{median:.{digits}f} ({low:.{digits}f}–{high:.{digits}f})"


def ratio_of(row: Row) -> float | None:
    d = row.values["distribution"]["median"]
    return row.values["outpost"]["median"] / d if d else None


SECTION_TITLES = {
    "big": "big: one image, 4 x {layer} layers ({gb:.3f} GB of blobs), skopeo copy oci: <-> docker://",
    "many": "many: {images} images x 5 x 16 KiB layers ({blobs} blobs + {images} manifests), skopeo {method}",
    "wrk": "request rate: wrk -t2 -c32 -d{duration}s --latency, registry holding 'many'",
}


def render(rows: list[Row], context: dict) -> tuple[str, list[dict]]:
    """Markdown tables (readable in a terminal too) and the goal verdicts."""
    out: list[str] = []
    verdicts: list[dict] = []
    for section in ("big", "many", "wrk"):
        section_rows = [r for r in rows if r.section == section]
        if not section_rows:
            continue
        out.append("")
        out.append("### " + SECTION_TITLES[section].format(**context))
        out.append("")
        out.append("| metric | Outpost | Distribution | Outpost / Distribution | goal | met |")
        out.append("|---|---|---|---|---|---|")
        for row in section_rows:
            ratio = ratio_of(row)
            if not row.better:  # context figures (client CPU, noise): a ratio would suggest a comparison
                ratio_text = ""
            elif ratio is None:
                ratio_text = "–"
            else:
                ratio_text = f"{ratio:.2f} ({row.better} is better)"
            met = ""
            if row.judge is not None:
                ok = row.judge(row.values["outpost"], row.values["distribution"], ratio)
                met = "yes" if ok else "**no**"
                verdicts.append({"section": section, "metric": row.label, "goal": row.goal, "met": ok,
                                 "outpost_median": row.values["outpost"]["median"],
                                 "outpost_max": row.values["outpost"]["max"],
                                 "distribution_median": row.values["distribution"]["median"], "ratio": ratio})
            out.append(f"| {row.label} | {format_cell(row.values['outpost'], row.digits)} | "
                       f"{format_cell(row.values['distribution'], row.digits)} | {ratio_text} | {row.goal} | {met} |")
    return "\n".join(out), verdicts


NOISE_SHARE = 0.10  # a timed step during which other processes used more than this share of the machine is flagged


def noise_notes(results: dict) -> list[str]:
    """Timed steps during which other processes took a noticeable share of the machine (a shared machine's noise)."""
    cpus = os.cpu_count() or 1
    notes = []
    for section, by_server in results.items():
        for server, runs in by_server.items():
            for number, record in enumerate(runs, 1):
                for step, figures in record.items():
                    share = figures["others_cpu_s"] / (figures["wall_s"] * cpus)
                    if share > NOISE_SHARE:
                        notes.append(f"- {section} {step} on {LABEL[server]}, run {number}: other processes used "
                                     f"{figures['others_cpu_s']:.1f} CPU-s in {figures['wall_s']:.1f} s "
                                     f"({100 * share:.0f}% of the {cpus} CPUs)")
    return notes


# --- main ------------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outpost-bin", default=str(default_outpost_bin()),
                        help="outpost binary (default: build-release/bin/outpost, else build/bin/outpost)")
    parser.add_argument("--distribution-bin", default=None, help="docker-registry binary (default: from PATH)")
    parser.add_argument("--work", default=None,
                        help="work directory, kept afterwards; reused layouts are not regenerated (default: a "
                             "temporary directory, removed at the end)")
    parser.add_argument("--runs", type=int, default=3, help="runs of every workload (default 3); medians reported")
    parser.add_argument("--quick", action="store_true",
                        help=f"smoke run: layouts {QUICK_SCALE}x smaller, wrk runs of 3 s")
    parser.add_argument("--only", default="big,many,wrk", help="comma-separated subset of big,many,wrk")
    parser.add_argument("--many-method", choices=("sync", "copy"), default="sync",
                        help="'many' with one skopeo sync (default) or one skopeo copy per image")
    parser.add_argument("--wrk-duration", type=int, default=None,
                        help=f"seconds per wrk run (default {WRK_DURATION}, 3 with --quick)")
    parser.add_argument("--json", default=None, help="write every figure to this JSON file")
    args = parser.parse_args(argv)
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.sections) - {"big", "many", "wrk"}
    if unknown or not args.sections:
        parser.error(f"--only takes big, many and wrk, not {','.join(sorted(unknown)) or 'nothing'}")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    if args.wrk_duration is None:
        args.wrk_duration = 3 if args.quick else WRK_DURATION
    return args


def _terminate_on_sigterm() -> None:
    def handler(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGHUP, handler)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tools = check_tools(args)
    _terminate_on_sigterm()
    temporary = args.work is None
    work = Path(tempfile.mkdtemp(prefix="outpost-vs-distribution-") if temporary else args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    log(f"work directory: {work}")
    meta = {
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": machine_description(), "versions": tool_versions(tools), "outpost_bin": tools["outpost"],
        "runs": args.runs, "quick": args.quick, "many_method": args.many_method, "wrk_duration_s": args.wrk_duration,
    }
    servers = {"outpost": OutpostServer(tools["outpost"], work / "outpost"),
               "distribution": DistributionServer(tools["docker-registry"], work / "distribution")}
    skopeo = Skopeo(tools["skopeo"], work / "skopeo")
    results: dict[str, dict[str, list]] = {}
    try:
        layouts = generate_layouts(work, args.quick)
        meta["layouts"] = {"big_bytes": layouts.big_bytes, "many_images": len(layouts.many_tags),
                           "many_blobs": layouts.many_blobs, "many_bytes": layouts.many_bytes,
                           "small_blob_bytes": layouts.small_blob_size}
        (work / "wrk-manifest.lua").write_text(WRK_LUA_MANIFEST)
        (work / "wrk-blob.lua").write_text(WRK_LUA_BLOB)

        for run in range(args.runs):
            # Alternate which registry goes first, so a drift in the machine's load does not favour one side.
            order = SERVERS if run % 2 == 0 else tuple(reversed(SERVERS))
            for section in ("big", "many"):
                if section not in args.sections:
                    continue
                for name in order:
                    log(f"run {run + 1}/{args.runs}: {section} on {name}")
                    if section == "big":
                        record = run_big(servers[name], skopeo, layouts, work)
                        log(f"  push {record['push']['wall_s']:.2f} s ({record['push']['mb_s']:.0f} MB/s, server "
                            f"{record['push']['server_cpu_s']:.2f} CPU-s, {record['push']['server_peak_rss_mib']:.0f}"
                            f" MiB); pull {record['pull']['wall_s']:.2f} s ({record['pull']['mb_s']:.0f} MB/s, "
                            f"{record['pull']['server_peak_rss_mib']:.0f} MiB)")
                    else:
                        record = run_many(servers[name], skopeo, layouts, work, args.many_method)
                        log(f"  push {record['push']['wall_s']:.2f} s ({record['push']['images_s']:.2f} img/s); "
                            f"pull {record['pull']['wall_s']:.2f} s ({record['pull']['images_s']:.2f} img/s)")
                    results.setdefault(section, {s: [] for s in SERVERS})[name].append(record)
                    servers[name].stop()

        if "wrk" in args.sections:
            results["wrk"] = {s: [] for s in SERVERS}
            for run in range(args.runs):
                for name in (SERVERS if run % 2 == 0 else tuple(reversed(SERVERS))):
                    urls = prepare_wrk_target(servers[name], skopeo, layouts, work, tools["wrk"])
                    record = {}
                    for kind in ("manifest", "blob"):
                        lua = work / ("wrk-manifest.lua" if kind == "manifest" else "wrk-blob.lua")
                        record[kind] = run_wrk(tools["wrk"], servers[name], urls[kind], lua, args.wrk_duration)
                    log(f"run {run + 1}/{args.runs}: wrk on {name}: manifest {record['manifest']['req_s']:.0f} req/s "
                        f"p99 {record['manifest']['p99_ms']:.2f} ms; blob {record['blob']['req_s']:.0f} req/s "
                        f"p99 {record['blob']['p99_ms']:.2f} ms")
                    results["wrk"][name].append(record)
                    servers[name].stop()
    except KeyboardInterrupt:
        log("interrupted: stopping the servers")
        return 130
    finally:
        for server in servers.values():
            server.stop()
        if temporary:
            shutil.rmtree(work, ignore_errors=True)

    meta["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    meta["machine"]["loadavg_at_end"] = os.getloadavg()
    context = {"layer": f"{layouts.big_bytes // BIG_LAYERS // MIB} MiB", "gb": layouts.big_bytes / 1e9,
               "images": len(layouts.many_tags), "blobs": layouts.many_blobs, "duration": args.wrk_duration,
               "method": ("sync (one process: --src dir --dest docker, then --src docker --dest dir)"
                          if args.many_method == "sync" else "copy (one process per image, oci: <-> docker://)")}
    rows = rows_for(results)
    table, verdicts = render(rows, context)
    print(f"Outpost vs CNCF Distribution, {args.runs} run(s), median (min–max); "
          f"MB = 10^6 bytes; CPU-s = user+system seconds")
    print(f"machine: {meta['machine']['cpus']} CPUs ({meta['machine']['cpu_model']}), load average at start "
          f"{meta['machine']['loadavg_at_start'][0]:.2f}, at end {meta['machine']['loadavg_at_end'][0]:.2f}")
    print(f"versions: {json.dumps(meta['versions'])}")
    print(table)
    notes = noise_notes(results)
    if notes:
        print(f"\n### busy machine: steps during which other processes used > {100 * NOISE_SHARE:.0f}% of the CPUs")
        print("\n".join(notes))
    if verdicts:
        print("\n### goals")
        for v in verdicts:
            print(f"- {v['section']}: {v['metric']}: goal {v['goal']}: {'met' if v['met'] else 'NOT met'}")
    if args.json:
        summary = {f"{r.section}/{'/'.join(r.path)}": {**{s: r.values[s] for s in SERVERS}, "ratio": ratio_of(r)}
                   for r in rows}
        Path(args.json).write_text(json.dumps({"meta": meta, "results": results, "summary": summary,
                                               "goals": verdicts, "noise": notes}, indent=1) + "\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
