#!/usr/bin/python3
"""What authentication costs a manifest GET: `outpost serve` now against `outpost serve` before tokens, side by side.

    /usr/bin/python3 bench/auth_overhead.py [--runs 3] [--outpost-bin BIN] [--baseline-bin BIN | --baseline-commit REV]
                                            [--work DIR] [--json FILE]

Issue 3's goal: "an authenticated manifest GET costs at most 1.2x an anonymous one at the same concurrency". A node of
today always requires credentials (SPEC 3.4), so the anonymous figure cannot come from it; it comes from the binary of
the last commit before tokens were wired into `serve` (--baseline-commit, default f0fd34a). Between that commit and the
one that wired them in, only `outpost serve`'s wiring changed: the same HTTP server, router, handlers and storage, with
an OpenAccess policy in front of the registry instead of NodeHandler + TokenAccessPolicy. So the difference between the
two binaries on a manifest GET is the authentication path and nothing else (check it with
`git diff --stat BASELINE HEAD -- reference/live reference/registry reference/storage reference/oci`).

One run starts both nodes on 127.0.0.1 (plain HTTP, disk storage in a work directory, `--log-level warn`, the default
thread count), pushes the same small image to each (one 16 KiB layer, a config, an OCI manifest tagged v1; admin
credentials on the current node), creates a pull token on the current node (a scope map with
`repositories/samples/*/content/read`), then measures `wrk -t2 -c32 -d10s --latency` of
GET /v2/samples/hello/manifests/v1 with an OCI Accept header in three variants:

  anonymous  the baseline binary, no Authorization header
  basic      the current binary, the pull token's Basic credentials (verified once, then a credential-cache hit)
  bearer     the current binary, an access token from GET /oauth2/token (scope repository:samples/hello:pull),
             fetched just before each wrk run so it is never near its 5-minute expiry (a JWT-cache hit after the
             first request)

Each node gets a 2 s untimed warm-up per variant first. The variants are interleaved: every run measures all three, in
an order that rotates from run to run, so a drift in the machine's load does not favour one. Per variant and run:
req/s, p50 and p99 latency, the server's CPU ms per request (utime+stime from /proc/PID/stat), and the CPU other
processes used meanwhile. Reported: the median of --runs runs with min-max, and the cost of each authenticated variant
against the anonymous one, as a req/s ratio (anonymous / authenticated; the goal is <= 1.2) and as a server-CPU ratio.

The script installs nothing: it needs wrk (Debian package `wrk`) and python3-requests; it builds the baseline binary
itself from `git archive BASELINE` (Release, target outpost, in the work directory) unless --baseline-bin is given.
Helpers (server lifecycle, wrk parsing, /proc readings) come from bench/compare_distribution.py.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import compare_distribution as cd  # noqa: E402  (the sibling script: servers, wrk, /proc readings)

requests = cd.requests
REPO_ROOT = cd.REPO_ROOT

REPOSITORY, TAG = "samples/hello", "v1"
PULL_SCOPE_MAP, PULL_TOKEN = "bench-pull-map", "bench-pull-token"
DEFAULT_BASELINE = "f0fd34a"  # the last commit whose `outpost serve` served anonymously
VARIANTS = ("anonymous", "basic", "bearer")
GOAL_RATIO = 1.2  # authenticated manifest GET cost / anonymous, at the same concurrency
BUILD_TIMEOUT = 3600
HTTP_TIMEOUT = cd.HTTP_TIMEOUT
log = cd.log


# --- binaries --------------------------------------------------------------------------------------------------------


def default_outpost_bin() -> Path:
    for build in ("build-bench2", "build-release", "build"):
        candidate = REPO_ROOT / build / "bin" / "outpost"
        if candidate.is_file():
            return candidate
    return REPO_ROOT / "build-release" / "bin" / "outpost"


def build_baseline(commit: str, work: Path) -> Path:
    """The baseline's `outpost` binary, built (Release) from `git archive commit` in work/, reused when present."""
    revision = subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--verify", f"{commit}^{{commit}}"],
                              capture_output=True, text=True, timeout=cd.TOOL_QUERY_TIMEOUT)
    if revision.returncode != 0:
        raise RuntimeError(f"unknown baseline commit {commit}: {revision.stderr.strip()}")
    full = revision.stdout.strip()
    source, build = work / f"baseline-src-{full[:12]}", work / f"baseline-build-{full[:12]}"
    binary = build / "bin" / "outpost"
    if binary.is_file():
        log(f"baseline {full[:12]}: reusing {binary}")
        return binary
    if not source.is_dir():
        log(f"baseline {full[:12]}: extracting the tree (git archive) into {source}")
        source.mkdir(parents=True)
        archive = subprocess.Popen(["git", "-C", str(REPO_ROOT), "archive", full], stdout=subprocess.PIPE)
        subprocess.run(["tar", "-x", "-C", str(source)], stdin=archive.stdout, check=True, timeout=BUILD_TIMEOUT)
        if archive.wait(timeout=BUILD_TIMEOUT) != 0:
            raise RuntimeError("git archive failed")
    log(f"baseline {full[:12]}: building outpost (Release) in {build}; this takes several minutes")
    for command in (["cmake", "-S", str(source), "-B", str(build), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                     "-DOUTPOST_BENCH=OFF"],
                    ["cmake", "--build", str(build), "--target", "outpost", "-j2"]):
        done = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return binary


class AnonymousServer(cd.OutpostServer):
    """The baseline binary: it has no admin user and no --admin-password-file."""

    name = "anonymous"

    def command(self) -> list[str]:
        return [self.binary, "serve", "--listen", "127.0.0.1:0", "--data", str(self.data), "--log-level", "warn"]


class AuthenticatedServer(cd.OutpostServer):
    name = "authenticated"


# --- content and credentials -----------------------------------------------------------------------------------------


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def push_image(server: cd.Server, auth) -> str:
    """One small OCI image (random 16 KiB layer, config, manifest tagged TAG) pushed with monolithic uploads; its
    manifest digest."""
    layer = os.urandom(16 * 1024)
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers",
                         "diff_ids": [sha256_digest(layer)]}}).encode()
    for blob in (layer, config):
        response = requests.post(f"{server.url}/v2/{REPOSITORY}/blobs/uploads/", params={"digest": sha256_digest(blob)},
                                 data=blob, auth=auth, timeout=HTTP_TIMEOUT,
                                 headers={"Content-Type": "application/octet-stream"})
        if response.status_code != 201:
            raise RuntimeError(f"{server.name}: blob upload answered {response.status_code}: {response.text}")
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha256_digest(config),
                   "size": len(config)},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": sha256_digest(layer),
                    "size": len(layer)}]}).encode()
    response = requests.put(f"{server.url}/v2/{REPOSITORY}/manifests/{TAG}", data=manifest, auth=auth,
                            timeout=HTTP_TIMEOUT, headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    if response.status_code != 201:
        raise RuntimeError(f"{server.name}: manifest PUT answered {response.status_code}: {response.text}")
    return sha256_digest(manifest)


def create_pull_token(server: cd.Server) -> tuple[str, str]:
    """A token on a user-defined scope map that may read samples/*, made through the management API; (name, pw)."""
    mgmt = f"{server.url}/mgmt/v1"
    response = requests.put(f"{mgmt}/scopeMaps/{PULL_SCOPE_MAP}", auth=cd.BENCH_AUTH, timeout=HTTP_TIMEOUT,
                            json={"actions": ["repositories/samples/*/content/read"]})
    if response.status_code not in (200, 201):
        raise RuntimeError(f"scope map PUT answered {response.status_code}: {response.text}")
    response = requests.put(f"{mgmt}/tokens/{PULL_TOKEN}", auth=cd.BENCH_AUTH, timeout=HTTP_TIMEOUT,
                            json={"scopeMap": PULL_SCOPE_MAP})
    if response.status_code != 201:
        raise RuntimeError(f"token PUT answered {response.status_code}: {response.text}")
    password = next(p["value"] for p in response.json()["passwords"] if p["name"] == "password1")
    return PULL_TOKEN, password


def bearer_token(server: cd.Server, credentials: tuple[str, str]) -> str:
    response = requests.get(f"{server.url}/oauth2/token", auth=credentials, timeout=HTTP_TIMEOUT,
                            params={"service": server.address, "scope": f"repository:{REPOSITORY}:pull"})
    if response.status_code != 200:
        raise RuntimeError(f"token endpoint answered {response.status_code}: {response.text}")
    return response.json()["token"]


def basic_header(credentials: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()


def write_lua(path: Path, authorization: str | None) -> Path:
    lines = ["-- manifest GET by tag, as an OCI client asks for it", 'wrk.method = "GET"',
             f'wrk.headers["Accept"] = "{cd.MANIFEST_ACCEPT}"']
    if authorization:
        lines.append(f'wrk.headers["Authorization"] = "{authorization}"')
    path.write_text("\n".join(lines) + "\n")
    return path


def check_answer(server: cd.Server, url: str, authorization: str | None, digest: str) -> None:
    """The request wrk is about to repeat answers 200 with the pushed manifest (a 401 would be cheaper and lie)."""
    headers = {"Accept": cd.MANIFEST_ACCEPT}
    if authorization:
        headers["Authorization"] = authorization
    response = requests.get(url, headers=headers, timeout=HTTP_TIMEOUT)
    if response.status_code != 200 or sha256_digest(response.content) != digest:
        raise RuntimeError(f"{server.name}: GET {url} answered {response.status_code} "
                           f"({sha256_digest(response.content)}, expected {digest})")


# --- measuring -------------------------------------------------------------------------------------------------------


def summarise(values: list[float]) -> dict:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": values}


def cell(summary: dict, digits: int) -> str:
    return f"{summary['median']:.{digits}f} ({summary['min']:.{digits}f}–{summary['max']:.{digits}f})"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="measurements of each variant (default 3)")
    parser.add_argument("--duration", type=int, default=cd.WRK_DURATION, help="seconds per wrk run (default 10)")
    parser.add_argument("--outpost-bin", default=str(default_outpost_bin()),
                        help="the current binary (default: build-bench2, else build-release, else build)")
    baseline = parser.add_mutually_exclusive_group()
    baseline.add_argument("--baseline-bin", help="an anonymous `outpost` binary already built")
    baseline.add_argument("--baseline-commit", default=DEFAULT_BASELINE,
                          help=f"commit to build the anonymous binary from (default {DEFAULT_BASELINE})")
    parser.add_argument("--work", help="work directory, kept (and the baseline build reused); default: a temporary "
                                       "one, deleted at the end")
    parser.add_argument("--json", help="also write every figure to this file")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.duration < 1:
        parser.error("--runs and --duration must be at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if not wrk or requests is None:
        print("auth_overhead: needs wrk (apt-get install wrk) and python3-requests", file=sys.stderr)
        return 2
    if not os.access(args.outpost_bin, os.X_OK):
        print(f"auth_overhead: {args.outpost_bin} is not an executable; build it (Release):\n"
              "  cmake -S . -B build-bench2 -G Ninja -DCMAKE_BUILD_TYPE=Release -DOUTPOST_BENCH=ON\n"
              "  cmake --build build-bench2 --target outpost -j2", file=sys.stderr)
        return 2
    cd._terminate_on_sigterm()
    temporary = args.work is None
    work = Path(tempfile.mkdtemp(prefix="outpost-auth-overhead-") if temporary else args.work).resolve()
    work.mkdir(parents=True, exist_ok=True)
    log(f"work directory: {work}")
    servers: dict[str, cd.Server] = {}
    results: dict[str, list[dict]] = {variant: [] for variant in VARIANTS}
    meta = {"started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "machine": cd.machine_description(), "runs": args.runs, "duration_s": args.duration,
            "wrk": f"-t{cd.WRK_THREADS} -c{cd.WRK_CONNECTIONS} -d{args.duration}s --latency"}
    try:
        baseline_bin = Path(args.baseline_bin) if args.baseline_bin else build_baseline(args.baseline_commit, work)
        meta["binaries"] = {"current": str(Path(args.outpost_bin).resolve()), "baseline": str(baseline_bin.resolve()),
                            "baseline_commit": "(given binary)" if args.baseline_bin else args.baseline_commit,
                            "current_commit": subprocess.run(["git", "-C", str(REPO_ROOT), "rev-parse", "--short",
                                                              "HEAD"], capture_output=True, text=True).stdout.strip()}
        servers["anonymous"] = AnonymousServer(str(baseline_bin), work / "anonymous")
        servers["authenticated"] = AuthenticatedServer(str(Path(args.outpost_bin).resolve()), work / "authenticated")
        for server in servers.values():
            server.wipe()
            server.start()
            log(f"{server.name} node ({server.binary}) on {server.address}")

        anonymous, authenticated = servers["anonymous"], servers["authenticated"]
        digests = {"anonymous": push_image(anonymous, None), "authenticated": push_image(authenticated, cd.BENCH_AUTH)}
        if digests["anonymous"] == digests["authenticated"]:
            raise RuntimeError("the two pushes should differ (random layers)")
        credentials = create_pull_token(authenticated)
        # Proof that the current node checks credentials at all: the anonymous request is refused there.
        probe = requests.get(f"{authenticated.url}/v2/{REPOSITORY}/manifests/{TAG}", timeout=HTTP_TIMEOUT,
                             headers={"Accept": cd.MANIFEST_ACCEPT})
        if probe.status_code != 401:
            raise RuntimeError(f"the current node answered {probe.status_code} to an anonymous GET, not 401")

        def target(variant: str) -> tuple[cd.Server, str, str | None, str]:
            if variant == "anonymous":
                server, authorization, digest = anonymous, None, digests["anonymous"]
            else:
                server, digest = authenticated, digests["authenticated"]
                authorization = (basic_header(credentials) if variant == "basic"
                                 else "Bearer " + bearer_token(authenticated, credentials))
            return server, f"{server.url}/v2/{REPOSITORY}/manifests/{TAG}", authorization, digest

        for variant in VARIANTS:  # untimed warm-up of each path (caches, allocator, page cache)
            server, url, authorization, digest = target(variant)
            check_answer(server, url, authorization, digest)
            lua = write_lua(work / f"wrk-{variant}.lua", authorization)
            subprocess.run([wrk, f"-t{cd.WRK_THREADS}", f"-c{cd.WRK_CONNECTIONS}", f"-d{cd.WRK_WARMUP}s", "-s",
                            str(lua), url], capture_output=True, timeout=cd.WRK_WARMUP + 60)

        for run in range(args.runs):
            order = VARIANTS[run % len(VARIANTS):] + VARIANTS[:run % len(VARIANTS)]
            for variant in order:
                server, url, authorization, digest = target(variant)
                check_answer(server, url, authorization, digest)
                lua = write_lua(work / f"wrk-{variant}.lua", authorization)
                figures = cd.run_wrk(wrk, server, url, lua, args.duration)
                if figures["non_2xx"] or figures["socket_errors"]:
                    raise RuntimeError(f"{variant}: {figures['non_2xx']} non-2xx answers, "
                                       f"{figures['socket_errors']} socket errors: the run measured something else")
                results[variant].append(figures)
                log(f"run {run + 1}/{args.runs} {variant}: {figures['req_s']:.0f} req/s, p50 "
                    f"{figures['p50_ms']:.2f} ms, p99 {figures['p99_ms']:.2f} ms, server "
                    f"{figures['server_cpu_ms_per_request'] * 1000:.1f} µs CPU/request, others "
                    f"{figures['others_cpu_s']:.1f} CPU-s")
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
    summary = {variant: {key: summarise([r[key] for r in results[variant]])
                         for key in ("req_s", "p50_ms", "p99_ms", "server_cpu_ms_per_request", "others_cpu_s")}
               for variant in VARIANTS}
    for variant in VARIANTS:
        summary[variant]["server_cpu_us_per_request"] = {
            k: (v * 1000 if k != "runs" else [x * 1000 for x in v])
            for k, v in summary[variant].pop("server_cpu_ms_per_request").items()}
    anon = summary["anonymous"]
    ratios = {}
    for variant in ("basic", "bearer"):
        ratios[variant] = {
            "req_s_cost": anon["req_s"]["median"] / summary[variant]["req_s"]["median"],
            "cpu_cost": summary[variant]["server_cpu_us_per_request"]["median"]
            / anon["server_cpu_us_per_request"]["median"],
            # Per run (the variants of one run were measured back to back), for the spread.
            "req_s_cost_runs": [a["req_s"] / b["req_s"] for a, b in zip(results["anonymous"], results[variant])],
            "cpu_cost_runs": [b["server_cpu_ms_per_request"] / a["server_cpu_ms_per_request"]
                              for a, b in zip(results["anonymous"], results[variant])],
        }

    print(f"Authentication overhead: manifest GET by tag, wrk {meta['wrk']}, {args.runs} run(s) interleaved; "
          "median (min–max)")
    print(f"machine: {meta['machine']['cpus']} CPUs, load average at start "
          f"{meta['machine']['loadavg_at_start'][0]:.2f}, at end {meta['machine']['loadavg_at_end'][0]:.2f}")
    print(f"current {meta['binaries']['current_commit']} ({meta['binaries']['current']}); "
          f"anonymous baseline {meta['binaries']['baseline_commit']} ({meta['binaries']['baseline']})\n")
    print("| variant | req/s | p50 ms | p99 ms | server CPU µs/request | others' CPU-s | cost vs anonymous (req/s) "
          "| cost vs anonymous (server CPU) |")
    print("|---|---|---|---|---|---|---|---|")
    for variant in VARIANTS:
        s = summary[variant]
        cost = ratios.get(variant)
        print(f"| {variant} | {cell(s['req_s'], 0)} | {cell(s['p50_ms'], 2)} | {cell(s['p99_ms'], 2)} | "
              f"{cell(s['server_cpu_us_per_request'], 1)} | {cell(s['others_cpu_s'], 1)} | "
              + (f"{cost['req_s_cost']:.3f} (per run: median {statistics.median(cost['req_s_cost_runs']):.3f}, "
                 f"{min(cost['req_s_cost_runs']):.3f}–{max(cost['req_s_cost_runs']):.3f}) | "
                 f"{cost['cpu_cost']:.3f} (per run: median {statistics.median(cost['cpu_cost_runs']):.3f}, "
                 f"{min(cost['cpu_cost_runs']):.3f}–{max(cost['cpu_cost_runs']):.3f}) |" if cost else "1 | 1 |"))
    print()
    for variant in ("basic", "bearer"):
        cost = ratios[variant]["req_s_cost"]
        print(f"goal: {variant} manifest GET costs <= {GOAL_RATIO}x anonymous (req/s): {cost:.3f}x: "
              f"{'met' if cost <= GOAL_RATIO else 'NOT met'}")
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "results": results, "summary": summary,
                                               "ratios": ratios}, indent=1) + "\n")
        log(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
