#!/usr/bin/python3
"""Sync throughput parent -> child: Outpost (the cloud -> one connected registry) against `skopeo sync` between two
CNCF Distribution registries, the machine's limit for a verifying durable copy, and how fast a token change travels
down a chain of connected registries, all measured in one run on 127.0.0.1.

    /usr/bin/python3 bench/sync_throughput.py [--runs 3] [--work DIR] [--json FILE] [--only big,many,limits,chain]

Workloads (sizes are options; the defaults are the issue's):

  big   one image of 4 x 256 MiB random layers (gzip level 0) and its config, repository `big`, tag `v1`;
  many  200 images (tags t000..t199 of repository `many`), each 5 x 16 KiB random layers and its own config.

What one sync measurement is, on both sides (the same shape):

  The content is at the parent already (pushed there untimed, then `sync` so no dirty page of that push is left to
  flush) and the copy starts from nothing: an empty child and a fresh process.
  Outpost:  the cloud (`outpost serve --data-endpoint`) holds the workload. A ReadOnly connected registry is created
            for the workload's repository with continuous sync (schedule `* * * * *`, no window) and a client token.
            t0: just before its process (`outpost serve --connection-string ...`, empty data directory) is started.
            It activates, reads its configuration, compares its (empty) content with the cloud's inventory and pulls
            every tag: each blob streamed into an upload session, verified against its digest and fsynced before it
            becomes visible, then the manifest, then the tag.
            t1: the first observation (every --poll-ms) at which the child answers `/readyz` 200 (SPEC 1.4: activated
            and a sync round finished) and lists every tag of the workload to its client token.
  skopeo:   two Distribution 2.8 registries (Debian `docker-registry`, filesystem storage), the source holding the
            workload, the destination empty and freshly started; a fresh skopeo cache (XDG_DATA_HOME,
            _CONTAINERS_ROOTLESS_UID). t0: just before `skopeo sync --src docker --dest docker SRC/<repo> DST` starts;
            t1: when it exits successfully (skopeo verifies every blob's digest as it copies).
  After t1 (untimed) the script checks the destination as a client: every tag's manifest has the expected digest,
  and every blob is downloaded and hashed. A copy that fails the check fails the run.
  Reported: MB/s (10^6 bytes of blobs and manifests per second of t1 - t0) for big, images/s for many, the CPU
  seconds of every process of the copy (Outpost: the child, whole process, and the cloud's share; skopeo: skopeo and
  both registries) and other processes' CPU meanwhile (a shared machine's noise).

Machine limit for a verifying durable copy (measured in the same run, `limits`): single-core SHA-256
(`openssl speed -evp sha256 -bytes 16384`), loopback TCP throughput (one stream, a sender process writing 1 MiB
buffers, this process receiving into a 1 MiB buffer), and a sequential write with fsync of the big workload's size
in the filesystem of the data directories (1 MiB writes, one fsync at the end, timed from open to the fsync's
return). The limit is the slowest of the three.

Token propagation (`chain`): cloud -> chain1 -> ... -> chainN (N = --chain-depth, each a ReadOnly child of the
previous one) with continuous sync and the default 30 s long poll (a configuration change at a parent answers its
children's waiting long polls at once). One client token (`chainreader`) is in every CR's clientTokens. For each of
--toggles rounds: the token is disabled at the cloud (management API PATCH); per level, a poller sends
`GET /v2/` with the token's Basic credentials until it is refused (401); the time reported per level is from the
PATCH's answer to the first refused request's answer. Then it is enabled again and the same is timed until every
level accepts it (200). Every probe is a new connection from a new loopback source address (127.x.y.z), so the
nodes' limiter of failed logins (per token name and client address, SPEC 4.5) never answers a probe 429. All nodes
use --password-hash-iterations 1000 (as the integration tests), so a refused probe costs its node a cheap hash
rather than ~40 ms of PBKDF2 that would be measured instead of propagation.

The script installs nothing. Only the standard library and requests are used; it reuses compare_distribution.py's
server, skopeo and /proc helpers and tests/integration/oci_layout.py.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import http.client
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import compare_distribution as cd  # noqa: E402  (servers, skopeo, /proc readings, layouts' dir: form)
from compare_distribution import MIB, log  # noqa: E402

oci_layout = cd.oci_layout
requests = cd.requests

# --- settings --------------------------------------------------------------------------------------------------------

DEFAULTS = {"big_layers": 4, "big_layer_mib": 256, "many_images": 200, "many_layers": 5, "many_layer_kib": 16}
QUICK = {"big_layers": 4, "big_layer_mib": 16, "many_images": 12, "many_layers": 5, "many_layer_kib": 16}
LAYOUT_FORMAT = 1
HASH_ITERATIONS = "1000"       # every Outpost node's PBKDF2 cost (see the docstring: probes must not measure hashing)
SYNC_SCHEDULE = "* * * * *"    # continuous sync (SPEC 2.2, 5.4)
LONG_POLL = "30s"              # --sync-long-poll (the default): a change at the parent answers a waiting poll at once
STATUS_INTERVAL = "60s"        # --sync-status-interval (the default)
SYNC_TIMEOUT = 1800.0
READY_TIMEOUT = 60.0
PROPAGATION_TIMEOUT = 30.0
HTTP_TIMEOUT = 30
CHAIN_REPO = "chain"
CHAIN_TOKEN = "chainreader"
PARENT_PLACEHOLDER = "<parent-endpoint>"

GOAL_BIG_RATIO = 3.0    # Outpost MB/s / skopeo MB/s on big
GOAL_MANY_RATIO = 5.0   # Outpost images/s / skopeo images/s on many
GOAL_LIMIT_SHARE = 0.70  # Outpost big MB/s / the machine limit
NOISE_SHARE = 0.10       # a step during which other processes used more than this share of the CPUs is "busy"

MANIFEST_ACCEPT = cd.MANIFEST_ACCEPT + ", application/vnd.oci.image.index.v1+json"


# --- workloads -------------------------------------------------------------------------------------------------------


@dataclass
class Workload:
    name: str                   # big | many
    repo: str
    oci_dir: Path
    dir_form: Path | None       # many: skopeo's dir: form for `skopeo sync --src dir`
    images: list[dict]          # {"tag", "manifest", "manifest_size", "blobs": [[digest, size], ...]}

    @property
    def tags(self) -> list[str]:
        return [image["tag"] for image in self.images]

    @property
    def blobs(self) -> dict[str, int]:
        return {digest: size for image in self.images for digest, size in image["blobs"]}

    @property
    def total_bytes(self) -> int:
        return sum(self.blobs.values()) + sum(image["manifest_size"] for image in self.images)


def generate_workloads(work: Path, sizes: dict) -> dict[str, Workload]:
    """Writes (or reuses, when --work already holds the same) the OCI layouts of both workloads."""
    root = work / "sync-layouts"
    spec = {"format": LAYOUT_FORMAT, **sizes}
    record = root / "workloads.json"
    if record.is_file():
        saved = json.loads(record.read_text())
        if saved.get("spec") == spec:
            log(f"reusing the layouts in {root}")
            return _workloads_from(root, saved)
        log(f"{root} holds other layouts: regenerating")
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)

    def describe(image, tag: str) -> dict:
        blobs = [[image.config.digest, image.config.size]]
        blobs += [[layer.descriptor.digest, layer.descriptor.size] for layer in image.layers]
        return {"tag": tag, "manifest": image.manifest.digest, "manifest_size": image.manifest.size, "blobs": blobs}

    layer = sizes["big_layer_mib"] * MIB
    log(f"generating 'big': {sizes['big_layers']} x {sizes['big_layer_mib']} MiB layers")
    big = oci_layout.OciLayout(root / "big")
    big_image = big.add_image([layer] * sizes["big_layers"], ref="v1", seed="outpost-sync-big")

    small = sizes["many_layer_kib"] * 1024
    log(f"generating 'many': {sizes['many_images']} images x {sizes['many_layers']} x {sizes['many_layer_kib']} KiB")
    many = oci_layout.OciLayout(root / "many")
    tags = [f"t{i:03d}" for i in range(sizes["many_images"])]
    many_images = [many.add_image([small] * sizes["many_layers"], ref=tag, seed=f"outpost-sync-many-{tag}")
                   for tag in tags]
    cd._write_dir_form(root / "many", root / "many-dir", many_images, tags)
    saved = {"spec": spec, "big": [describe(big_image, "v1")],
             "many": [describe(image, tag) for image, tag in zip(many_images, tags)]}
    record.write_text(json.dumps(saved, indent=1))
    return _workloads_from(root, saved)


def _workloads_from(root: Path, saved: dict) -> dict[str, Workload]:
    return {"big": Workload("big", "big", root / "big", None, saved["big"]),
            "many": Workload("many", cd.MANY_REPO, root / "many", root / "many-dir", saved["many"])}


def push_workload(skopeo: cd.Skopeo, workload: Workload, address: str) -> None:
    """Untimed: puts the workload at a registry with skopeo (admin credentials; Distribution ignores them)."""
    skopeo.fresh_cache()
    if workload.dir_form is None:
        for tag in workload.tags:
            skopeo.run(["copy", "--dest-tls-verify=false", f"oci:{workload.oci_dir}:{tag}",
                        f"docker://{address}/{workload.repo}:{tag}"], cd.SKOPEO_BIG_TIMEOUT)
    else:
        skopeo.run(["sync", "--dest-tls-verify=false", "--src", "dir", "--dest", "docker", str(workload.dir_form),
                    address], cd.SKOPEO_MANY_TIMEOUT)


def verify_copy(url: str, auth: tuple[str, str] | None, workload: Workload) -> None:
    """What a client of the destination sees: every tag's manifest with its digest, every blob with its bytes."""
    http = requests.Session()
    http.trust_env = False
    http.auth = auth
    for image in workload.images:
        response = http.get(f"{url}/v2/{workload.repo}/manifests/{image['tag']}", headers={"Accept": MANIFEST_ACCEPT},
                            timeout=HTTP_TIMEOUT)
        got = "sha256:" + hashlib.sha256(response.content).hexdigest()
        if response.status_code != 200 or got != image["manifest"]:
            raise RuntimeError(f"{url}: manifest {workload.repo}:{image['tag']}: {response.status_code}, {got}, "
                               f"expected {image['manifest']}")
    for digest, size in workload.blobs.items():
        hasher = hashlib.sha256()
        received = 0
        with http.get(f"{url}/v2/{workload.repo}/blobs/{digest}", stream=True, timeout=HTTP_TIMEOUT) as response:
            if response.status_code != 200:
                raise RuntimeError(f"{url}: blob {digest}: {response.status_code}")
            for piece in response.iter_content(MIB):
                hasher.update(piece)
                received += len(piece)
        if received != size or "sha256:" + hasher.hexdigest() != digest:
            raise RuntimeError(f"{url}: blob {digest}: {received} bytes hashing to sha256:{hasher.hexdigest()}")
    http.close()


# --- Outpost nodes ---------------------------------------------------------------------------------------------------


class CloudServer(cd.OutpostServer):
    """The cloud: login server and data endpoint (gateway) on ports the kernel picks."""
    name = "cloud"
    data_endpoint: str | None = None

    def command(self) -> list[str]:
        return [*super().command(), "--data-endpoint", "127.0.0.1:0", "--password-hash-iterations", HASH_ITERATIONS]

    def _on_line(self, line: str) -> None:
        if not self._listening.is_set():
            try:
                entry = json.loads(line)
            except ValueError:
                return
            if isinstance(entry, dict) and entry.get("msg") == "listening":
                self.data_endpoint = entry.get("data_endpoint")
        super()._on_line(line)


class ConnectedRegistryServer(cd.OutpostServer):
    """A connected registry process: no admin password (the admin user is the cloud's alone), a connection string."""

    def __init__(self, binary: str, home: Path, name: str, connection_string: str):
        super().__init__(binary, home)
        self.name = name
        self.connection_string = connection_string

    def command(self) -> list[str]:
        return [self.binary, "serve", "--listen", "127.0.0.1:0", "--data", str(self.data), "--log-level", "warn",
                "--password-hash-iterations", HASH_ITERATIONS, "--connection-string", self.connection_string,
                "--sync-long-poll", LONG_POLL, "--sync-status-interval", STATUS_INTERVAL]

    def sync_failures(self) -> int:
        """'sync failed' warnings this process logged (a sync that retried is still correct, but slower)."""
        try:
            return self.log_path.read_text(errors="replace").count('"sync failed"')
        except OSError:
            return 0


class Management:
    """The cloud's management API (SPEC 7.2) with the admin user's Basic credentials."""

    def __init__(self, cloud_url: str):
        self.base = cloud_url + "/mgmt/v1"
        self.http = requests.Session()
        self.http.trust_env = False
        self.http.auth = cd.BENCH_AUTH

    def call(self, method: str, path: str, body: object = None) -> dict:
        response = self.http.request(method, self.base + path, json=body, timeout=HTTP_TIMEOUT)
        if response.status_code not in (200, 201, 204):
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else {}

    def reader_token(self, name: str, repo: str) -> tuple[str, str]:
        self.call("PUT", f"/scopeMaps/{name}-map", {"actions": [f"repositories/{repo}/content/read",
                                                                 f"repositories/{repo}/metadata/read"]})
        created = self.call("PUT", f"/tokens/{name}", {"scopeMap": f"{name}-map"})
        return name, {p["name"]: p["value"] for p in created["passwords"]}["password1"]

    def connected_registry(self, name: str, parent: str | None, repositories: list[str], tokens: list[str]) -> str:
        """Creates a ReadOnly CR with continuous sync; returns its connection string."""
        created = self.call("PUT", f"/connectedRegistries/{name}", {
            "mode": "ReadOnly", "parent": parent, "repositories": repositories, "clientTokens": tokens,
            "sync": {"schedule": SYNC_SCHEDULE, "messageTtl": "P2D"}})
        return created["connectionString"]

    def set_token_status(self, name: str, status: str) -> None:
        self.call("PATCH", f"/tokens/{name}", {"status": status})


def client_session(auth: tuple[str, str] | None) -> "requests.Session":
    http = requests.Session()
    http.trust_env = False
    http.auth = auth
    return http


# --- measuring -------------------------------------------------------------------------------------------------------


class Meter:
    """CPU seconds of given processes and of the whole machine between start() and stop()."""

    def __init__(self, pids: dict[str, int]):
        self.pids = pids

    def start(self) -> None:
        self.cpu0 = {name: sum(cd.process_cpu_seconds(pid)) for name, pid in self.pids.items()}
        self.children0 = cd.children_cpu_seconds()
        self.machine0 = cd.machine_cpu()
        self.t0 = time.perf_counter()

    def stop(self, extra: dict[str, int] | None = None) -> dict:
        """`extra`: processes started after start(), counted whole."""
        wall = time.perf_counter() - self.t0
        machine1 = cd.machine_cpu()
        cpu = {name: sum(cd.process_cpu_seconds(pid)) - self.cpu0[name] for name, pid in self.pids.items()}
        for name, pid in (extra or {}).items():
            cpu[name] = sum(cd.process_cpu_seconds(pid))
        cpu["client"] = cd.children_cpu_seconds() - self.children0  # skopeo (waited for); zero on the Outpost side
        total = sum(cpu.values())
        return {"wall_s": wall, "cpu_s": {k: round(v, 3) for k, v in cpu.items()}, "copy_cpu_s": total,
                "others_cpu_s": max(0.0, (machine1[0] - self.machine0[0]) - total),
                "irq_cpu_s": machine1[1] - self.machine0[1], "iowait_s": machine1[2] - self.machine0[2]}


def rates(record: dict, workload: Workload) -> dict:
    wall = record["wall_s"]
    return {**record, "bytes": workload.total_bytes, "mb_s": workload.total_bytes / 1e6 / wall,
            "images_s": len(workload.images) / wall, "objects_s": (len(workload.blobs) + len(workload.images)) / wall}


def settle(paths: list[Path]) -> None:
    """Untimed set-up: the source's files in the page cache (as just after a push), earlier writes flushed."""
    for path in paths:
        cd.read_tree(path)
    os.sync()


def wait_synced(cr: ConnectedRegistryServer, workload: Workload, auth: tuple[str, str], poll: float,
                deadline: float) -> None:
    """Returns at the first observation of /readyz 200 with every tag of the workload listed to the client token."""
    probe = client_session(None)
    reader = client_session(auth)
    wanted = set(workload.tags)
    while True:
        if not cr.running():
            raise RuntimeError(f"{cr.name} exited while syncing\n{cr.tail()}")
        try:
            if probe.get(f"{cr.url}/readyz", timeout=HTTP_TIMEOUT).status_code == 200:
                listed = reader.get(f"{cr.url}/v2/{workload.repo}/tags/list", params={"n": len(wanted) + 10},
                                    timeout=HTTP_TIMEOUT)
                if listed.status_code == 200 and wanted <= set(listed.json().get("tags") or []):
                    return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{cr.name} did not hold all of '{workload.name}' within {SYNC_TIMEOUT:.0f} s\n"
                               f"{cr.tail()}")
        time.sleep(poll)


def sync_outpost(binary: str, cloud: CloudServer, mgmt: Management, workload: Workload, run: int, work: Path,
                 poll: float) -> dict:
    name = f"sync{workload.name}{run}"  # SPEC 2.1: letters and digits
    token = mgmt.reader_token(f"{name}-reader", workload.repo)
    connection_string = mgmt.connected_registry(name, None, [workload.repo], [token[0]])
    cr = ConnectedRegistryServer(binary, work / "outpost-crs" / name, name, connection_string)
    shutil.rmtree(cr.home, ignore_errors=True)
    settle([cloud.data])
    meter = Meter({"cloud": cloud.pid})
    try:
        meter.start()
        cr.start()
        wait_synced(cr, workload, token, poll, time.monotonic() + SYNC_TIMEOUT)
        record = meter.stop(extra={"child": cr.pid})
        record["child_peak_rss_mib"] = cd.process_peak_rss_mib(cr.pid)
        record["sync_failures_logged"] = cr.sync_failures()
        verify_copy(cr.url, token, workload)
    finally:
        cr.stop()
    shutil.rmtree(cr.data, ignore_errors=True)
    return rates(record, workload)


def sync_skopeo(skopeo: cd.Skopeo, source: cd.DistributionServer, destination: cd.DistributionServer,
                workload: Workload) -> dict:
    destination.restart(wipe=True)
    skopeo.fresh_cache()
    settle([source.data])
    meter = Meter({"source": source.pid, "destination": destination.pid})
    meter.start()
    skopeo.run(["sync", "--src-tls-verify=false", "--dest-tls-verify=false", "--src", "docker", "--dest", "docker",
                f"{source.address}/{workload.repo}", destination.address], SYNC_TIMEOUT)
    record = meter.stop()
    verify_copy(destination.url, None, workload)
    return rates(record, workload)


# --- the machine's limit ---------------------------------------------------------------------------------------------


def sha256_limit(block: int, seconds: int) -> float:
    """Single-core SHA-256 bytes/s from `openssl speed -evp sha256` at `block` bytes."""
    done = subprocess.run(["openssl", "speed", "-evp", "sha256", "-bytes", str(block), "-seconds", str(seconds)],
                          capture_output=True, text=True, timeout=seconds * 4 + 30)
    for line in done.stdout.splitlines():
        fields = line.split()
        if fields and fields[0] == "sha256" and fields[-1].endswith("k"):
            return float(fields[-1][:-1]) * 1000  # openssl prints 1000s of bytes per second
    raise RuntimeError(f"could not read openssl speed's output:\n{done.stdout}\n{done.stderr}")


LOOPBACK_SENDER = """
import socket, sys
conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
block = bytes(range(256)) * 4096
for _ in range(int(sys.argv[2])):
    conn.sendall(block)
conn.close()
"""


def loopback_limit(total: int) -> float:
    """One TCP stream on 127.0.0.1: a sender process writes 1 MiB buffers, this process receives into 1 MiB."""
    import socket
    blocks = max(1, total // MIB)
    with socket.create_server(("127.0.0.1", 0)) as server:
        sender = subprocess.Popen([sys.executable, "-c", LOOPBACK_SENDER, str(server.getsockname()[1]), str(blocks)])
        conn, _ = server.accept()
        buffer = memoryview(bytearray(MIB))
        received = 0
        started = time.perf_counter()
        with conn:
            while True:
                n = conn.recv_into(buffer)
                if n == 0:
                    break
                received += n
        elapsed = time.perf_counter() - started
        sender.wait(timeout=60)
    if received != blocks * MIB:
        raise RuntimeError(f"loopback probe received {received} of {blocks * MIB} bytes")
    return received / elapsed


def disk_limit(directory: Path, total: int) -> float:
    """Sequential 1 MiB writes of `total` bytes into a new file in `directory`, one fsync; timed open to fsync."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "disk-probe"
    block = os.urandom(MIB)
    blocks = max(1, total // MIB)
    os.sync()
    started = time.perf_counter()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for _ in range(blocks):
            os.write(fd, block)
        os.fsync(fd)
    finally:
        os.close(fd)
    elapsed = time.perf_counter() - started
    path.unlink()
    return blocks * MIB / elapsed


def measure_limits(work: Path, total: int, sha_block: int) -> dict:
    sha = sha256_limit(sha_block, 3)
    loopback = loopback_limit(total)
    disk = disk_limit(work / "limits", total)
    figures = {"sha256_mb_s": sha / 1e6, "loopback_mb_s": loopback / 1e6, "disk_fsync_mb_s": disk / 1e6}
    figures["limit_mb_s"] = min(figures.values())
    figures["limited_by"] = min(("sha256_mb_s", "loopback_mb_s", "disk_fsync_mb_s"), key=figures.get)
    return figures


# --- token propagation down a chain ----------------------------------------------------------------------------------


_SOURCE_ADDRESSES = itertools.count(1)
_SOURCE_LOCK = threading.Lock()


def fresh_source_address() -> str:
    """A loopback address not used before in this run (127.0.0.0/8 all reaches lo): see the docstring."""
    with _SOURCE_LOCK:
        n = next(_SOURCE_ADDRESSES)
    last, n = 1 + n % 254, n // 254
    third, n = n % 256, n // 256
    return f"127.{1 + n % 254}.{third}.{last}"  # never 127.0.x.x: 127.0.0.1 stays the servers' own


def probe_status(address: str, authorization: str) -> int:
    host, port = address.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=HTTP_TIMEOUT, source_address=(fresh_source_address(), 0))
    try:
        conn.request("GET", "/v2/", headers={"Authorization": authorization})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def watch_levels(addresses: list[str], authorization: str, wanted: int, start: threading.Event,
                 results: list, pause: float) -> list[threading.Thread]:
    """One thread per level: after `start`, probes until the answer is `wanted`; stores perf_counter() of that answer."""
    def watch(index: int, address: str) -> None:
        start.wait()
        deadline = time.monotonic() + PROPAGATION_TIMEOUT
        while time.monotonic() < deadline:
            try:
                status = probe_status(address, authorization)
            except OSError:
                status = 0
            if status == wanted:
                results[index] = time.perf_counter()
                return
            if status not in (200, 401, 0):
                results[index] = f"unexpected status {status}"
                return
            time.sleep(pause)
        results[index] = "timed out"

    threads = [threading.Thread(target=watch, args=(i, a), daemon=True) for i, a in enumerate(addresses)]
    for thread in threads:
        thread.start()
    return threads


def run_chain(binary: str, cloud: CloudServer, mgmt: Management, work: Path, depth: int, toggles: int,
              pause: float) -> dict:
    token = mgmt.reader_token(CHAIN_TOKEN, CHAIN_REPO)
    authorization = "Basic " + base64.b64encode(f"{token[0]}:{token[1]}".encode()).decode()
    nodes: list[ConnectedRegistryServer] = []
    try:
        parent = None
        for level in range(1, depth + 1):
            name = f"chain{level}"
            connection_string = mgmt.connected_registry(name, parent, [CHAIN_REPO], [CHAIN_TOKEN])
            if PARENT_PLACEHOLDER in connection_string:  # the parent has not reported its address yet (SPEC 7.3)
                connection_string = connection_string.replace(PARENT_PLACEHOLDER, nodes[-1].address)
            node = ConnectedRegistryServer(binary, work / "outpost-chain" / name, name, connection_string)
            node.wipe()
            node.start()
            nodes.append(node)
            deadline = time.monotonic() + READY_TIMEOUT
            while client_session(None).get(f"{node.url}/readyz", timeout=HTTP_TIMEOUT).status_code != 200:
                if time.monotonic() > deadline or not node.running():
                    raise RuntimeError(f"{name} did not become ready\n{node.tail()}")
                time.sleep(0.05)
            parent = name
        addresses = [cloud.address] + [node.address for node in nodes]
        labels = ["cloud"] + [node.name for node in nodes]

        def everywhere(wanted: int) -> None:
            results: list = [None] * len(addresses)
            go = threading.Event()
            threads = watch_levels(addresses, authorization, wanted, go, results, pause)
            go.set()
            for thread in threads:
                thread.join(PROPAGATION_TIMEOUT + 5)
            if not all(isinstance(r, float) for r in results):
                raise RuntimeError(f"the token never answered {wanted} everywhere: {dict(zip(labels, results))}")

        everywhere(200)  # the token is known at every level before the first toggle
        rounds = []
        for toggle in range(toggles):
            record = {}
            for status, wanted in (("disabled", 401), ("enabled", 200)):
                results: list = [None] * len(addresses)
                go = threading.Event()
                threads = watch_levels(addresses, authorization, wanted, go, results, pause)
                sent = time.perf_counter()
                mgmt.set_token_status(CHAIN_TOKEN, status)
                answered = time.perf_counter()
                go.set()
                for thread in threads:
                    thread.join(PROPAGATION_TIMEOUT + 5)
                failed = {labels[i]: r for i, r in enumerate(results) if not isinstance(r, float)}
                if failed:
                    raise RuntimeError(f"toggle {toggle + 1}, token {status}: {failed}\n"
                                       + "\n".join(node.tail(10) for node in nodes))
                record[status] = {"patch_ms": 1000 * (answered - sent),
                                  "levels_ms": {labels[i]: 1000 * (r - answered) for i, r in enumerate(results)}}
            log(f"  toggle {toggle + 1}/{toggles}: disable reached "
                + ", ".join(f"{k} {v:.1f}" for k, v in record["disabled"]["levels_ms"].items()) + " ms")
            rounds.append(record)
        return {"depth": depth, "labels": labels, "rounds": rounds}
    finally:
        for node in reversed(nodes):
            node.stop()


# --- report ----------------------------------------------------------------------------------------------------------


def summary(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def cell(values: list[float], digits: int) -> str:
    s = summary(values)
    if s["n"] == 1:
        return f"{s['median']:.{digits}f}"
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def render(results: dict, meta: dict) -> tuple[str, list[dict]]:
    out: list[str] = []
    goals: list[dict] = []
    sync = results.get("sync", {})
    limits = results.get("limits", [])
    limit = statistics.median([l["limit_mb_s"] for l in limits]) if limits else None

    for name, unit, key, goal in (("big", "MB/s", "mb_s", GOAL_BIG_RATIO), ("many", "images/s", "images_s",
                                                                                 GOAL_MANY_RATIO)):
        if name not in sync:
            continue
        runs = sync[name]
        layout = meta["workloads"][name]
        out += ["", f"### {name}: {layout['images']} image(s), {layout['blobs']} blobs, {layout['bytes'] / 1e6:.1f} MB",
                "", "| metric | Outpost (cloud -> connected registry) | skopeo sync (Distribution -> Distribution) "
                    "| Outpost / skopeo | goal | met |", "|---|---|---|---|---|---|"]
        o = [r[key] for r in runs["outpost"]]
        s = [r[key] for r in runs["skopeo"]]
        ratio = statistics.median(o) / statistics.median(s)
        met = ratio >= goal
        goals.append({"workload": name, "metric": unit, "goal": f"Outpost / skopeo >= {goal:g}", "ratio": ratio,
                      "met": met})
        out.append(f"| {unit} | {cell(o, 2)} | {cell(s, 2)} | {ratio:.2f} | >= {goal:g} | {'yes' if met else '**no**'} |")
        if name == "big" and limit:
            share = statistics.median(o) / limit
            met_limit = share >= GOAL_LIMIT_SHARE
            goals.append({"workload": name, "metric": "share of the machine limit", "goal": f">= {GOAL_LIMIT_SHARE}",
                          "share": share, "met": met_limit})
            out.append(f"| share of the machine limit ({limit:.0f} MB/s) | {share:.2f} | "
                       f"{statistics.median(s) / limit:.2f} | | >= {GOAL_LIMIT_SHARE:.2f} | "
                       f"{'yes' if met_limit else '**no**'} |")
        if name == "many":
            out.append(f"| objects/s (blobs + manifests) | {cell([r['objects_s'] for r in runs['outpost']], 1)} | "
                       f"{cell([r['objects_s'] for r in runs['skopeo']], 1)} | | | |")
        out.append(f"| wall s (t1 - t0) | {cell([r['wall_s'] for r in runs['outpost']], 2)} | "
                   f"{cell([r['wall_s'] for r in runs['skopeo']], 2)} | | | |")
        out.append(f"| CPU-s of the copy (all its processes) | {cell([r['copy_cpu_s'] for r in runs['outpost']], 2)} | "
                   f"{cell([r['copy_cpu_s'] for r in runs['skopeo']], 2)} | | | |")
        out.append(f"| of which child / cloud; skopeo / source / destination | "
                   f"{cell([r['cpu_s']['child'] for r in runs['outpost']], 2)} / "
                   f"{cell([r['cpu_s']['cloud'] for r in runs['outpost']], 2)} | "
                   f"{cell([r['cpu_s']['client'] for r in runs['skopeo']], 2)} / "
                   f"{cell([r['cpu_s']['source'] for r in runs['skopeo']], 2)} / "
                   f"{cell([r['cpu_s']['destination'] for r in runs['skopeo']], 2)} | | | |")
        out.append(f"| other processes' CPU-s (noise) | {cell([r['others_cpu_s'] for r in runs['outpost']], 2)} | "
                   f"{cell([r['others_cpu_s'] for r in runs['skopeo']], 2)} | | | |")
        out.append(f"| iowait s (machine) | {cell([r['iowait_s'] for r in runs['outpost']], 2)} | "
                   f"{cell([r['iowait_s'] for r in runs['skopeo']], 2)} | | | |")

    if sync:
        out += per_run(results, goals)

    if limits:
        out += ["", "### machine limit for a verifying durable copy (MB/s)", "",
                "| probe | MB/s |", "|---|---|",
                f"| SHA-256, one core (openssl speed -evp sha256, {meta['sha_block']} B blocks) | "
                f"{cell([l['sha256_mb_s'] for l in limits], 0)} |",
                f"| loopback TCP, one stream | {cell([l['loopback_mb_s'] for l in limits], 0)} |",
                f"| sequential write + fsync, {meta['limit_bytes'] / 1e6:.0f} MB | "
                f"{cell([l['disk_fsync_mb_s'] for l in limits], 0)} |",
                f"| **limit (slowest)** | **{cell([l['limit_mb_s'] for l in limits], 0)}** "
                f"({', '.join(sorted({l['limited_by'] for l in limits}))}) |"]

    chain = results.get("chain")
    if chain:
        out += ["", f"### token propagation down cloud -> chain1 -> ... -> chain{chain['depth']} "
                    f"({len(chain['rounds'])} toggles; ms from the PATCH's answer to the level's first answer)",
                "", "| level | node | disabled: refused after ms | enabled: accepted after ms |", "|---|---|---|---|"]
        for level, label in enumerate(chain["labels"]):
            off = [r["disabled"]["levels_ms"][label] for r in chain["rounds"]]
            on = [r["enabled"]["levels_ms"][label] for r in chain["rounds"]]
            out.append(f"| {level} | {label} | {cell(off, 1)} | {cell(on, 1)} |")
        patch = [r["disabled"]["patch_ms"] for r in chain["rounds"]]
        out.append(f"\n(the PATCH itself took {cell(patch, 1)} ms)")
    return "\n".join(out), goals


def busy_share(record: dict) -> float:
    """The share of the machine's CPUs that other processes used during a step."""
    return record["others_cpu_s"] / (record["wall_s"] * (os.cpu_count() or 1))


def per_run(results: dict, goals: list[dict]) -> list[str]:
    """Each run's pair side by side (the two sides of a run ran back to back), with how busy the machine was: on a
    shared machine the medians mix quiet and busy runs, and the quiet runs say what the code does."""
    sync = results["sync"]
    limits = results.get("limits", [])
    out = ["", "### run by run (busy: other processes used more than "
               f"{100 * NOISE_SHARE:.0f}% of the CPUs during the Outpost or the skopeo step)", "",
           "| run | workload | Outpost | skopeo | Outpost / skopeo | share of the run's limit | other processes' CPU "
           "share, Outpost / skopeo step | busy |", "|---|---|---|---|---|---|---|---|"]
    quiet: dict[str, list[tuple[float, float | None]]] = {}
    for name, key, unit in (("big", "mb_s", "MB/s"), ("many", "images_s", "images/s")):
        if name not in sync:
            continue
        for index, (o, s) in enumerate(zip(sync[name]["outpost"], sync[name]["skopeo"])):
            ratio = o[key] / s[key]
            share = o[key] / limits[index]["limit_mb_s"] if name == "big" and index < len(limits) else None
            busy = busy_share(o) > NOISE_SHARE or busy_share(s) > NOISE_SHARE
            if not busy:
                quiet.setdefault(name, []).append((ratio, share))
            out.append(f"| {index + 1} | {name} | {o[key]:.1f} {unit} | {s[key]:.1f} {unit} | {ratio:.2f} | "
                       f"{'' if share is None else f'{share:.2f}'} | {100 * busy_share(o):.0f}% / "
                       f"{100 * busy_share(s):.0f}% | {'yes' if busy else 'no'} |")
    for name, goal in (("big", GOAL_BIG_RATIO), ("many", GOAL_MANY_RATIO)):
        if name not in sync:
            continue
        runs = quiet.get(name, [])
        if not runs:
            out.append(f"\n{name}: no quiet run, so no verdict on quiet runs")
            continue
        goals.append({"workload": name, "metric": "ratio in every quiet run", "goal": f">= {goal:g}",
                      "quiet_runs": len(runs), "met": all(r >= goal for r, _ in runs)})
        if name == "big" and all(share is not None for _, share in runs):
            goals.append({"workload": name, "metric": "share of the limit in every quiet run",
                          "goal": f">= {GOAL_LIMIT_SHARE}", "quiet_runs": len(runs),
                          "met": all(share >= GOAL_LIMIT_SHARE for _, share in runs)})
    return out


# --- main ------------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outpost-bin", default=str(cd.default_outpost_bin()),
                        help="outpost binary (default: build-release/bin/outpost, else build/bin/outpost)")
    parser.add_argument("--distribution-bin", default=None, help="docker-registry binary (default: from PATH)")
    parser.add_argument("--work", default=None, help="work directory, kept; its layouts are reused (default: a "
                                                     "temporary directory, removed at the end)")
    parser.add_argument("--runs", type=int, default=3, help="runs of each sync measurement and of the limits "
                                                            "(default 3; medians reported)")
    parser.add_argument("--only", default="limits,big,many,chain", help="subset of limits,big,many,chain")
    parser.add_argument("--quick", action="store_true", help="smoke run: 16 MiB big layers, 12 'many' images, "
                                                             "2 toggles (explicit size options still win)")
    for key, value in DEFAULTS.items():
        parser.add_argument("--" + key.replace("_", "-"), type=int, default=None, help=f"default {value}")
    parser.add_argument("--limit-mib", type=int, default=None,
                        help="bytes of the loopback and disk probes (default: the big workload's layer bytes)")
    parser.add_argument("--sha-block", type=int, default=16384, help="openssl speed block size (default 16384)")
    parser.add_argument("--chain-depth", type=int, default=5, help="connected registries in the chain (default 5)")
    parser.add_argument("--toggles", type=int, default=None, help="disable/enable rounds of the chain (default 5)")
    parser.add_argument("--poll-ms", type=float, default=5.0, help="pause between two observations (default 5 ms; "
                                                                   "the chain's probes pause 1 ms)")
    parser.add_argument("--json", default=None, help="write every figure to this JSON file")
    args = parser.parse_args(argv)
    base = QUICK if args.quick else DEFAULTS
    args.sizes = {key: getattr(args, key) if getattr(args, key) is not None else base[key] for key in DEFAULTS}
    if args.toggles is None:
        args.toggles = 2 if args.quick else 5
    args.sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.sections) - {"limits", "big", "many", "chain"}
    if unknown or not args.sections:
        parser.error(f"--only takes limits, big, many and chain, not {','.join(sorted(unknown)) or 'nothing'}")
    if args.runs < 1 or args.chain_depth < 1 or args.toggles < 1:
        parser.error("--runs, --chain-depth and --toggles must be at least 1")
    return args


def check_tools(args: argparse.Namespace) -> dict[str, str]:
    found, missing = {}, []
    for tool, package in (("skopeo", "skopeo"), ("docker-registry", "docker-registry"), ("openssl", "openssl")):
        path = args.distribution_bin if tool == "docker-registry" and args.distribution_bin else shutil.which(tool)
        if not path or not os.access(path, os.X_OK):
            missing.append(f"  {tool}: not found; install the Debian package '{package}'")
        else:
            found[tool] = str(path)
    if requests is None:
        missing.append("  python requests: not importable; install the Debian package 'python3-requests'")
    if not os.access(args.outpost_bin, os.X_OK):
        missing.append(f"  outpost: {args.outpost_bin} is not an executable; build it (Release):\n"
                       f"    cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release -DOUTPOST_BENCH=OFF\n"
                       f"    cmake --build build-release --target outpost -j2")
    else:
        found["outpost"] = str(Path(args.outpost_bin).resolve())
    if missing:
        print("sync_throughput: missing tools:\n" + "\n".join(missing), file=sys.stderr)
        sys.exit(2)
    return found


def versions(tools: dict[str, str]) -> dict[str, str]:
    def first_line(command: list[str]) -> str:
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=20)
        except (OSError, subprocess.TimeoutExpired) as e:
            return f"unknown ({e})"
        text = (done.stdout or done.stderr).strip()
        return text.splitlines()[0] if text else "unknown"

    revision = first_line(["git", "-C", str(cd.REPO_ROOT), "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", str(cd.REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=20).stdout.strip()
    return {"skopeo": first_line([tools["skopeo"], "--version"]),
            "docker-registry": first_line([tools["docker-registry"], "--version"]),
            "openssl": first_line([tools["openssl"], "version"]),
            "outpost": f"git {revision}" + (" + uncommitted changes" if dirty else "")}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    tools = check_tools(args)
    cd._terminate_on_sigterm()
    temporary = args.work is None
    work = Path(tempfile.mkdtemp(prefix="outpost-sync-") if temporary else args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    log(f"work directory: {work}")
    sizes = args.sizes
    limit_bytes = (args.limit_mib * MIB if args.limit_mib
                   else sizes["big_layers"] * sizes["big_layer_mib"] * MIB)
    meta = {"command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": cd.machine_description(), "versions": versions(tools), "outpost_bin": tools["outpost"],
            "runs": args.runs, "sizes": sizes, "sha_block": args.sha_block, "limit_bytes": limit_bytes,
            "poll_ms": args.poll_ms, "sync_options": {"schedule": SYNC_SCHEDULE, "window": None,
                                                      "sync_long_poll": LONG_POLL,
                                                      "sync_status_interval": STATUS_INTERVAL,
                                                      "password_hash_iterations": HASH_ITERATIONS}}
    cloud = CloudServer(tools["outpost"], work / "outpost-cloud")
    source = cd.DistributionServer(tools["docker-registry"], work / "distribution-source")
    destination = cd.DistributionServer(tools["docker-registry"], work / "distribution-destination")
    skopeo = cd.Skopeo(tools["skopeo"], work / "skopeo")
    results: dict = {}
    workloads_wanted = [w for w in ("big", "many") if w in args.sections]
    try:
        workloads = generate_workloads(work, sizes)
        meta["workloads"] = {name: {"images": len(w.images), "blobs": len(w.blobs), "bytes": w.total_bytes}
                             for name, w in workloads.items()}
        if workloads_wanted or "chain" in args.sections:
            cloud.restart(wipe=True)
            mgmt = Management(cloud.url)
        if workloads_wanted:
            source.restart(wipe=True)
            for name in workloads_wanted:
                log(f"putting '{name}' at the cloud and at the source Distribution (untimed)")
                push_workload(skopeo, workloads[name], cloud.address)
                push_workload(skopeo, workloads[name], source.address)
                verify_copy(cloud.url, cd.BENCH_AUTH, workloads[name])
                verify_copy(source.url, None, workloads[name])

        for run in range(1, args.runs + 1):
            if "limits" in args.sections:
                figures = measure_limits(work, limit_bytes, args.sha_block)
                log(f"run {run}/{args.runs}: limits: sha256 {figures['sha256_mb_s']:.0f}, loopback "
                    f"{figures['loopback_mb_s']:.0f}, disk+fsync {figures['disk_fsync_mb_s']:.0f} MB/s")
                results.setdefault("limits", []).append(figures)
            for name in workloads_wanted:
                workload = workloads[name]
                runs = results.setdefault("sync", {}).setdefault(name, {"outpost": [], "skopeo": []})
                # Alternate which side goes first, so a drift in the machine's load favours neither.
                order = ("outpost", "skopeo") if run % 2 else ("skopeo", "outpost")
                for side in order:
                    if side == "outpost":
                        record = sync_outpost(tools["outpost"], cloud, mgmt, workload, run, work, args.poll_ms / 1000)
                    else:
                        record = sync_skopeo(skopeo, source, destination, workload)
                    runs[side].append(record)
                    log(f"run {run}/{args.runs}: {name} via {side}: {record['wall_s']:.2f} s, "
                        f"{record['mb_s']:.1f} MB/s, {record['images_s']:.1f} images/s, "
                        f"copy CPU {record['copy_cpu_s']:.2f} s, others {record['others_cpu_s']:.2f} s")
            destination.stop()

        if "chain" in args.sections:
            log(f"chain: cloud -> {args.chain_depth} connected registries, {args.toggles} toggles")
            results["chain"] = run_chain(tools["outpost"], cloud, mgmt, work, args.chain_depth, args.toggles, 0.001)
    except KeyboardInterrupt:
        log("interrupted: stopping the servers")
        return 130
    finally:
        for server in (destination, source, cloud):
            server.stop()
        if temporary:
            shutil.rmtree(work, ignore_errors=True)

    meta["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    meta["machine"]["loadavg_at_end"] = os.getloadavg()
    table, goals = render(results, meta)
    print(f"Sync throughput parent -> child, {args.runs} run(s), median (min–max); MB = 10^6 bytes; "
          f"CPU-s = user+system seconds")
    print(f"machine: {meta['machine']['cpus']} CPUs ({meta['machine']['cpu_model']}), load average at start "
          f"{meta['machine']['loadavg_at_start'][0]:.2f}, at end {meta['machine']['loadavg_at_end'][0]:.2f}")
    print(f"versions: {json.dumps(meta['versions'])}")
    print(f"Outpost sync options: schedule '{SYNC_SCHEDULE}' (continuous, no window), --sync-long-poll {LONG_POLL}, "
          f"--sync-status-interval {STATUS_INTERVAL}, --password-hash-iterations {HASH_ITERATIONS}")
    print(table)
    if goals:
        print("\n### goals")
        for goal in goals:
            runs = f" ({goal['quiet_runs']} quiet run(s))" if "quiet_runs" in goal else " (medians)"
            print(f"- {goal['workload']}: {goal['metric']}: {goal['goal']}{runs}: {'met' if goal['met'] else 'NOT met'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "results": results, "goals": goals}, indent=1) + "\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
