"""Calibration (issue 6): one scenario run in the simulator and against a live cluster with the same topology,
workload and link settings, and the ratios of what each world measured, so users know how far to trust the
simulator's figures (goal: within 20%).

    PYTHONPATH=build/python /usr/bin/python3 scenarios/calibration.py [--depth 3] [--layer-mib 4] [--layers 2]
        [--bandwidth 4MB/s] [--latency 20ms] [--bandwidth-as link|toxic] [--seed 1] [--poll 5ms] [--report FILE]

The scenario: a chain (`outpost.tree(depth, 1)`: node1 under the cloud, node1n1 under node1, ...) whose every
child -> parent link has the given one-way latency and bandwidth per direction: the topology's `defaultLink`, which
the simulator models as links (`network="simulated"`) and a live cluster as latency toxics and the link's own
bandwidth on its fault proxy's links. One image, `layers` layers of random bytes (the same bytes in both worlds, drawn
from `seed`) and its config, is pushed at the cloud; each world is then watched until every node of the chain holds
it.

Both worlds share a link's bandwidth between the transfers crossing it: the simulator max-min fair, the fault proxy
with one schedule per link and stream from which every connection books its turns (docs/fault-proxy.md, "A link's
own bandwidth"), so a child fetching several layers at once gets the link once, not once per layer. The other
meaning of bandwidth, a cap per connection, is calibrated with `--bandwidth-as toxic`: it leaves the topology's
bandwidth out and puts a bandwidth toxic (toxiproxy's kind, which the simulator models as a cap per flow) on every
uplink in both worlds instead. docs/performance.md ("Calibration: simulator against live") has the figures of both.

What is measured, the same way in both worlds (the only difference is the clock: virtual time in the simulator,
`time.monotonic` through the live cluster's clock, which is the measurement itself here):

* **arrival at depth d**: the time from the push's acknowledgement (the manifest PUT answered 201 at the cloud) to
  the first observation at which the node at depth d answers `HEAD /v2/<repository>/manifests/<tag>` with 200. A
  connected registry tags an image only after its manifest and every blob arrived and were verified (SPEC 5.8), so
  this is "pullable there". The observations are `run_until` polls every `--poll` of the cluster's time; an arrival
  is late by at most one poll period, which the report gives as the resolution (the measured gaps between polls).
  The harness's requests go straight to a node, never through the links, in both worlds.
* **propagation time at depth d**: the arrival at depth d.
* **throughput of the hop into depth d**: the bytes of the layers divided by (arrival at d - arrival at d-1), the
  arrival at depth 0 being the push's acknowledgement. The hop's time is everything a user waits for at that hop:
  the parent's message waking the child's long poll, the manifest and blob requests over the link, verification and
  storage. The nodes' metrics count the bytes sync moved but not how long it took, so this is the one definition of
  a transfer time both worlds can observe alike.
* **what sync moved** per node: the growth of its `outpost_sync_artifacts_total{direction="down"}` (manifests and
  blobs: the image's manifest, config and layers) and `outpost_sync_bytes_total{direction="down"}` (every response
  body from its parent) metrics during the run. Both worlds move the same objects and, but for a few hundred bytes
  of status and configuration answers that differ in addresses and timestamps, the same bytes.

The report (`--report FILE`, JSON): `settings`, `machine` (load average before and after), `sim` and `live` (per
depth: arrival, hop seconds, throughput, bytes moved; the poll resolution), `ratios` (sim / live of propagation and
throughput, per depth) and `withinGoal` (per ratio: within 20% of 1).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Sequence

import outpost

REPOSITORY = "apps/calibration"
TAG = "v1"
#: The goal of issue 6: the simulator's figures within 20% of the live world's.
GOAL = 0.20
SYNC_BYTES_DOWN = 'outpost_sync_bytes_total{direction="down"}'
SYNC_ARTIFACTS_DOWN = 'outpost_sync_artifacts_total{direction="down"}'

WorldFactory = Callable[[outpost.Topology], outpost.Cluster]


# --- settings --------------------------------------------------------------------------------------------------------


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--depth", type=int, default=3, help="levels of the chain under the cloud (default 3)")
    parser.add_argument("--layer-mib", type=float, default=4.0, help="MiB per layer (default 4)")
    parser.add_argument("--layers", type=int, default=2, help="layers of the image (default 2)")
    parser.add_argument("--bandwidth", default="4MB/s", type=lambda text: int(text) if text.isdigit() else text,
                        help="bandwidth of every link, per direction: bytes/s (0: unlimited) or text such as "
                             "4MB/s, 32Mbit/s (default 4MB/s)")
    parser.add_argument("--latency", default="20ms", help="one-way latency of every link (default 20ms)")
    parser.add_argument("--bandwidth-as", choices=("link", "toxic"), default="link",
                        help="link (default): the topology's link bandwidth, what a topology file says, shared "
                             "by the link's transfers; toxic: a bandwidth toxic (a cap per connection, toxiproxy's "
                             "kind) on every uplink, in both worlds, instead")
    parser.add_argument("--seed", type=int, default=1,
                        help="the layers' bytes, the simulator's seed, the fault proxy's seed (default 1)")
    parser.add_argument("--poll", default="5ms", help="interval between two observations (default 5ms)")
    parser.add_argument("--settle", default="2s",
                        help="time each world runs after it is ready and before the push (default 2s)")
    parser.add_argument("--deadline", type=float, default=None,
                        help="seconds each world may take to bring the image to the deepest node (default: four "
                             "times what the links alone would take, plus 10 s)")
    parser.add_argument("--report", default=None, help="write the JSON report to this file")
    args = parser.parse_args(argv)
    if args.depth < 1 or args.layers < 1 or args.layer_mib <= 0:
        parser.error("--depth and --layers must be at least 1, --layer-mib positive")
    return args


def chain_topology(depth: int, latency: str, bandwidth: Any) -> outpost.Topology:
    """The chain both worlds run: cloud -> node1 -> node1n1 -> ..., every link with this latency and bandwidth
    (None: unlimited)."""
    return outpost.tree(depth, 1).set_default_link(latency=latency, bandwidth=bandwidth)


def bandwidth_bytes(bandwidth: Any) -> int:
    """A bandwidth in bytes/s, as the topology's loader reads the text (the value both worlds apply)."""
    expanded = outpost.load_topology(chain_topology(1, "0s", bandwidth).to_dict())
    return int(expanded.document["defaultLink"]["bandwidth"])


def cap_every_uplink(cluster: outpost.Cluster, rate: int) -> None:
    """A bandwidth toxic of ``rate`` bytes/s on both streams of every uplink (``--bandwidth-as toxic``): each
    connection over the link is capped at that rate, as the fault proxy's toxic does and the simulator models."""
    for name in cluster.topology.names:
        for stream in ("upstream", "downstream"):
            cluster.link(name).add_toxic("bandwidth", name=f"calibration-{stream}", stream=stream, rate_bytes=rate)


def image_layers(seed: int, layers: int, layer_bytes: int) -> List[bytes]:
    """Random layer bytes drawn from the seed: the same image in both worlds, and incompressible."""
    draw = random.Random(seed)
    return [draw.randbytes(layer_bytes) for _ in range(layers)]


def load_average() -> List[float]:
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:
            return [float(value) for value in handle.read().split()[:3]]
    except OSError:
        return []


# --- one world -------------------------------------------------------------------------------------------------------


def sync_counters(node: outpost.Node) -> Dict[str, float]:
    """What a node's sync moved down so far: response bodies from its parent (bytes) and manifests and blobs."""
    metrics = node.metrics()
    return {"bytes": metrics.get(SYNC_BYTES_DOWN, 0.0), "artifacts": metrics.get(SYNC_ARTIFACTS_DOWN, 0.0)}


def measure(cluster: outpost.Cluster, layers: List[bytes], poll: str, settle: str, deadline: float) -> Dict[str, Any]:
    """Pushes the image at the cloud and watches it go down the chain; what this world measured (see the module's
    docstring for the definitions)."""
    chain = sorted(cluster.topology.names, key=cluster.topology.depth)
    cluster.run_for(settle)
    before = {name: sync_counters(cluster.node(name)) for name in chain}
    wall = time.monotonic()
    cluster.cloud.push(REPOSITORY, TAG, {"layers": layers})
    acknowledged = cluster.now
    arrivals: Dict[int, float] = {}
    polls: List[float] = []

    def observe() -> bool:
        # In a chain a node pulls from its parent, so it cannot hold the image before its parent does: each poll
        # asks from the shallowest node still without it, and stops at the first that still lacks it (one request
        # per poll while the image is on its way, so the observer costs the live machine little).
        now = cluster.now - acknowledged
        polls.append(now)
        for depth, name in enumerate(chain, start=1):
            if depth in arrivals:
                continue
            if not cluster.node(name).has(REPOSITORY, TAG):
                return False
            arrivals[depth] = now
        return True

    arrived = cluster.run_until(observe, deadline, every=poll)
    wall = time.monotonic() - wall
    if not arrived:
        missing = [f"{name} (depth {depth})" for depth, name in enumerate(chain, start=1) if depth not in arrivals]
        raise RuntimeError(f"{type(cluster).__name__}: the image did not reach {', '.join(missing)} within "
                           f"{deadline:.1f} s of the push")

    # A node publishes its sync counters when the round that stored the image ends, just after the tag: wait
    # (bounded, untimed) until each counted the image's manifest, config and layers.
    objects = len(layers) + 2
    after: Dict[str, Dict[str, float]] = {}

    def counted() -> bool:
        for name in chain:
            after[name] = sync_counters(cluster.node(name))
        return all(after[name]["artifacts"] - before[name]["artifacts"] >= objects for name in chain)

    cluster.run_until(counted, 10, every="50ms")

    layer_bytes = sum(len(layer) for layer in layers)
    gaps = [later - earlier for earlier, later in zip(polls, polls[1:])]
    per_depth: Dict[str, Dict[str, Any]] = {}
    for depth, name in enumerate(chain, start=1):
        hop = arrivals[depth] - arrivals.get(depth - 1, 0.0)
        per_depth[str(depth)] = {
            "node": name,
            "propagationSeconds": arrivals[depth],
            "hopSeconds": hop,
            # None when both arrivals fell in one poll (no latency, nothing to time): no throughput to give.
            "throughputBytesPerSecond": layer_bytes / hop if hop > 0 else None,
            "syncBytesDown": after[name]["bytes"] - before[name]["bytes"],
            "syncObjectsDown": after[name]["artifacts"] - before[name]["artifacts"],
        }
    return {
        "depths": per_depth,
        "layerBytes": layer_bytes,
        "resolution": {"pollEvery": poll, "polls": len(polls),
                       "medianGapSeconds": statistics.median(gaps) if gaps else 0.0,
                       "maxGapSeconds": max(gaps) if gaps else 0.0},
        "wallSeconds": wall,
    }


def default_simulation(seed: int) -> WorldFactory:
    return lambda topology: outpost.Simulation(topology, seed=seed, network="simulated")


def default_live(seed: int) -> WorldFactory:
    return lambda topology: outpost.LiveCluster(topology, seed=seed)


def run_world(factory: WorldFactory, owned: bool, topology: outpost.Topology, toxic_rate: int, layers: List[bytes],
              poll: str, settle: str, deadline: float) -> Dict[str, Any]:
    """One world from start to stop: made by ``factory``, measured, closed when ``owned``."""
    started = time.monotonic()
    cluster = factory(topology)
    try:
        if not cluster.build():
            raise RuntimeError(f"{cluster!r}: not every node became ready")
        if toxic_rate:
            cap_every_uplink(cluster, toxic_rate)
        result = measure(cluster, layers, poll, settle, deadline)
        result["world"] = type(cluster).__name__
        if isinstance(cluster, outpost.Simulation):
            result["traceHash"] = cluster.trace_hash
    finally:
        if owned:
            cluster.close()
    result["wallSecondsStartToStop"] = time.monotonic() - started
    return result


# --- both worlds -----------------------------------------------------------------------------------------------------


def ratio(sim: Optional[float], live: Optional[float]) -> Optional[float]:
    """sim / live; None when either world gave no figure."""
    return sim / live if sim is not None and live else None


def within_goal(value: Optional[float]) -> bool:
    return value is not None and abs(value - 1.0) <= GOAL


def calibrate(args: argparse.Namespace, *, simulation: Optional[WorldFactory] = None,
              live: Optional[WorldFactory] = None) -> Dict[str, Any]:
    """Runs the scenario in both worlds; the report. ``simulation`` and ``live`` make each world from the topology
    (default: a simulated-network Simulation and a LiveCluster with ``args.seed``, closed here); a caller that passes
    its own factory closes what it made (the pytest fixtures do)."""
    rate = bandwidth_bytes(args.bandwidth)
    as_toxic = args.bandwidth_as == "toxic"
    topology = chain_topology(args.depth, args.latency, None if as_toxic else args.bandwidth)
    layer_bytes = int(args.layer_mib * (1 << 20))
    layers = image_layers(args.seed, args.layers, layer_bytes)
    deadline = args.deadline
    if deadline is None:
        deadline = 4 * args.depth * (args.layers * layer_bytes / rate if rate else 1.0) + 10.0
    settings = {"topology": f"outpost.tree({args.depth}, 1)", "depth": args.depth, "layers": args.layers,
                "layerBytes": layer_bytes, "bandwidth": args.bandwidth, "bandwidthBytesPerSecond": rate,
                "bandwidthAs": args.bandwidth_as, "latency": args.latency, "seed": args.seed, "poll": args.poll,
                "settle": args.settle, "deadlineSeconds": deadline, "goal": GOAL}
    load_before = load_average()
    toxic_rate = rate if as_toxic else 0
    sim = run_world(simulation or default_simulation(args.seed), simulation is None, topology, toxic_rate, layers,
                    args.poll, args.settle, deadline)
    live_result = run_world(live or default_live(args.seed), live is None, topology, toxic_rate, layers, args.poll,
                            args.settle, deadline)
    load_after = load_average()
    ratios: Dict[str, Dict[str, float]] = {"propagation": {}, "throughput": {}}
    for depth in sim["depths"]:
        ours, theirs = sim["depths"][depth], live_result["depths"][depth]
        ratios["propagation"][depth] = ratio(ours["propagationSeconds"], theirs["propagationSeconds"])
        ratios["throughput"][depth] = ratio(ours["throughputBytesPerSecond"], theirs["throughputBytesPerSecond"])
    return {
        "settings": settings,
        "machine": {"loadAverageBefore": load_before, "loadAverageAfter": load_after},
        "sim": sim,
        "live": live_result,
        "ratios": ratios,
        "withinGoal": {kind: {depth: within_goal(value) for depth, value in values.items()}
                       for kind, values in ratios.items()},
    }


def _figure(value: Optional[float], width: int, scale: float = 1.0, digits: int = 3) -> str:
    return f"{value / scale:>{width}.{digits}f}" if value is not None else f"{'-':>{width}}"


def _ratio_cell(value: Optional[float]) -> str:
    return _figure(value, 7, digits=2) + ("" if within_goal(value) else "*")


def table(report: Dict[str, Any]) -> str:
    """The report as a text table: per depth, propagation and hop throughput in each world and their ratio."""
    settings = report["settings"]
    shaped = "the link's" if settings["bandwidthAs"] == "link" else "a toxic per connection"
    lines = [f"chain of {settings['depth']}, {settings['layers']} x {settings['layerBytes'] / (1 << 20):g} MiB, "
             f"links {settings['latency']} one way, {settings['bandwidth']} per direction ({shaped}); "
             f"poll {settings['poll']}",
             f"{'depth':>5} | {'propagation s: sim':>18} {'live':>7} {'sim/live':>8} | "
             f"{'hop MB/s: sim':>13} {'live':>7} {'sim/live':>8}"]
    for depth, sim in report["sim"]["depths"].items():
        live = report["live"]["depths"][depth]
        lines.append(f"{depth:>5} | {_figure(sim['propagationSeconds'], 18)} {_figure(live['propagationSeconds'], 7)} "
                     f"{_ratio_cell(report['ratios']['propagation'][depth]):<8} | "
                     f"{_figure(sim['throughputBytesPerSecond'], 13, 1e6)} "
                     f"{_figure(live['throughputBytesPerSecond'], 7, 1e6)} "
                     f"{_ratio_cell(report['ratios']['throughput'][depth]):<8}")
    lines.append(f"*: outside the goal (sim/live within {GOAL:.0%} of 1)")
    for world in ("sim", "live"):
        resolution = report[world]["resolution"]
        lines.append(f"{world}: {resolution['polls']} polls, gap median {resolution['medianGapSeconds'] * 1e3:.1f} ms,"
                     f" max {resolution['maxGapSeconds'] * 1e3:.1f} ms; {report[world]['wallSeconds']:.2f} s of wall"
                     f" time from the push, {report[world]['wallSecondsStartToStop']:.1f} s from start to stop")
    machine = report["machine"]
    lines.append(f"load average before {machine['loadAverageBefore']}, after {machine['loadAverageAfter']}")
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    report = calibrate(args)
    print(table(report))
    if args.report:
        with open(args.report, "w", encoding="utf-8") as handle:
            json.dump(report, handle, indent=2)
            handle.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
