"""``outpost.LiveCluster``: the shared vocabulary (:mod:`outpost.cluster`) on real ``outpost serve`` processes on
127.0.0.1, started by ``outpost cluster up`` with a fault proxy on every child -> parent link, in real time.

What differs from a :class:`~outpost.Simulation`, and why:

- Clients stand next to their node: each request goes straight to the address the node listens on, with the Host
  header its login server names (SPEC 1.3), so link faults never cut the harness off from a node (as the
  simulator's clients, which are not behind the links either).
- Links are the proxy's (docs/connected-registries.md, "What `up` starts"). A child of the cloud reaches it through
  two links: ``cloud-data.<child>`` (gateway: activation, configuration, messages, status) used by it alone, and
  ``cloud`` (content, both ways) shared by every child of the cloud. A child of a connected registry reaches it
  through the parent's front link, shared by all the parent's children. A cut (``link.down()``, a partition) takes
  down every link of each cut uplink, so it is possible when no uncut node's uplink crosses those links: any uplink
  in a chain or of a single child, all the children of one parent together, never one of several siblings alone
  (:class:`~outpost.FaultNotSupported`). Toxics likewise need links used by the child alone.
- Not possible live (:class:`~outpost.FaultNotSupported`): clock skew, disk-full, lost responses, stop/slow/jam
  (the simulator's own link faults), one-way partitions, random partition shapes, NIC bandwidth, and cutting one
  child of a parent whose links its siblings share.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
import weakref
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Set, Tuple, Union

from . import errors
from .cluster import CLOUD, Cluster
from .live_content import Content, compare, difference, read_content, syncs
from .live_http import ProxyApi, ProxyError, exchange
from .live_processes import ClusterProcesses, LiveClusterError, find_binary, log_tail
from .oci import Client
from .results import parse_metrics
from .topology import PathLike, Topology, load_topology
from .transport import Duration, Response, to_nanoseconds

Source = Union[Topology, Mapping[str, Any], PathLike]
"""What a world runs: a :class:`Topology`, a topology or scenario dict, or the path of a topology or scenario JSON
file."""

_SIMULATOR_ONLY_KEYS = ("defaultLink", "links", "nics")
_LINK_SHAPE = "outpost-link"   # prefix of the toxics that give a link the topology's latency (and bandwidth caps)
_PUSH_SCOPE_MAPS = ("_repositories_push", "_repositories_push_metadata_write", "_repositories_admin")


def reader_token(node: str) -> str:
    """The token a live cluster reads a connected registry with for its convergence checks and metrics: one of its
    client tokens (SPEC 4.2), added to the topology as the simulator adds ``<node>-sim``."""
    return f"{node}-live"


def _load(source: Source) -> Topology:
    """The expanded topology of a Topology, a topology or scenario dict, or a topology or scenario file (a
    scenario's workload and faults are the simulator's: a live cluster takes its topology only)."""
    if isinstance(source, Topology):
        return load_topology(source.to_dict())  # expanded: link specs as the simulator reads them ("100Mbit/s")
    if isinstance(source, Mapping):
        return load_topology(source["topology"] if "topology" in source else source)
    path = os.path.abspath(os.fspath(source))
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except OSError as failure:
        raise errors.ScenarioError(f"cannot read {path}: {failure.strerror}") from None
    except ValueError as failure:
        raise errors.ScenarioError(f"{path} is not valid JSON: {failure}") from None
    if isinstance(document, dict) and "topology" in document:
        return load_topology(document["topology"], os.path.dirname(path))
    return load_topology(path)


_MAX_START_TIMEOUT = 86_400  # `cluster up --timeout` takes whole seconds from 1 to a day


def _start_timeout(value: Any) -> float:
    """``start_timeout`` checked: a number of seconds above 0 and at most a day (``cluster up``'s limit)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or not 0 < value <= _MAX_START_TIMEOUT:
        raise ValueError(f"start_timeout must be a number of seconds above 0 and at most {_MAX_START_TIMEOUT}, "
                         f"not {value!r}")
    return float(value)


def _whole(value: float) -> Union[int, float]:
    # The proxy refuses fractional values where whole numbers are meant; attributes arrive as floats.
    return int(value) if float(value).is_integer() else value


class _Scheduled:
    def __init__(self, due_ns: int, sequence: int, run: Callable[[], None], undo: bool, node: bool = False) -> None:
        # undo: the end a step's `for` scheduled; node: of a node's fault (a heal of the links leaves it).
        self.due_ns, self.sequence, self.run, self.undo, self.node = due_ns, sequence, run, undo, node


# The faults of a node (the others are a link's): a heal of every link ends none of them.
_NODE_ACTIONS = frozenset({"crash", "restart", "pause", "resume", "clock-skew", "disk-full", "disk-freed"})


class LiveCluster(Cluster):
    """Real ``outpost serve`` processes on 127.0.0.1 behind a fault proxy, started at construction by ``outpost
    cluster up``, stopped by :meth:`close` (also at the end of a ``with`` block, when the object is collected, and at
    interpreter exit).

    ``source``: a :class:`~outpost.Topology` (``outpost.tree(...)``), a topology dict (the forms of a scenario's
    ``topology``), a scenario dict (its ``topology``), or a topology or scenario JSON file: the same descriptions a
    :class:`~outpost.Simulation` takes. A topology's ``defaultLink`` and ``links`` shape the proxy links: latency
    and jitter become latency toxics, bandwidth the link's own rate, shared by all its connections as the simulator
    shares a link between its transfers (a proxy link that several children cross gets the sum of their bandwidths,
    and each connection there is capped at one child's). What the proxy cannot shape raises
    :class:`~outpost.FaultNotSupported`: ``nics`` before anything starts (``scenarios/edge-factory.json``,
    ``deep-chain.json`` and the wide fleets have them; ``scenarios/topologies/edge-factory.json`` is the same
    hierarchy, ready to run live), and children that share a proxy link but differ in their ``links`` once
    ``cluster up`` has said which links they share (the cluster is stopped before the error is raised).
    ``seed``: the fault proxy's seed (its toxicity decisions); default ``$OUTPOST_SEED``, else the topology's
    ``proxySeed``. ``directory``: where the cluster lives (default a new temporary directory); removed by
    :meth:`close` unless ``keep``. ``binary``: the ``outpost`` executable (default ``$OUTPOST_BIN``, else
    ``build/bin/outpost`` beside ``build/python``). ``start_timeout``: seconds for ``cluster up`` (which counts
    whole seconds: a fraction is rounded up) and for a restart (as given); above 0 and at most a day, else
    ValueError. ``log_level``: every process's log level (default the topology's).

    Raises :class:`~outpost.LiveClusterError` when the cluster cannot start (the message has the command's output
    and where the logs are; the directory is then kept, ``keep`` or not, so they can be read; only what this start
    started is stopped), :class:`~outpost.ScenarioError` for a bad topology. A ``directory`` whose ``cluster/`` is
    not empty (another cluster lives there) raises :class:`~outpost.LiveClusterError` before anything is written
    or started, and is left as it was: its cluster keeps running.

    ``document`` is the ``cluster.json`` that ``cluster up`` wrote (every node's addresses, passwords and log).
    """

    check_every: Duration = "100ms"
    converge_every: Duration = "250ms"
    request_timeout: Duration = 30

    def __init__(self, source: Source, *, seed: Optional[int] = None, directory: Optional[PathLike] = None,
                 binary: Optional[str] = None, start_timeout: float = 60, keep: bool = False,
                 log_level: Optional[str] = None) -> None:
        topology = _load(source)
        super().__init__(topology)
        if seed is None:
            from_env = os.environ.get("OUTPOST_SEED")
            seed = int(from_env) if from_env else int(topology.document.get("proxySeed", 0))
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed must be a whole number >= 0, not {seed!r}")
        self._seed_value = seed
        self.start_timeout = _start_timeout(start_timeout)
        self._epoch = time.monotonic_ns()
        self._scheduled: List[_Scheduled] = []
        self._sequence = 0
        self._cuts: Dict[str, Set[str]] = {}      # proxy link -> the reasons it is down
        self._disabled_links: Set[str] = set()    # proxy links the proxy has disabled now
        self._down_toxics: Dict[str, List[str]] = {}  # child -> names of its uplink's `down` toxics (cuts by name)
        # Refuses what the proxy can never shape (NICs) before anything starts; which children share a proxy link,
        # and so must share a shape, is known once the cluster is up (_apply_link_shapes).
        link_shapes = self._link_shapes(topology)

        executable = find_binary(binary)
        base = os.fspath(directory) if directory is not None else tempfile.mkdtemp(prefix="outpost-live-")
        os.makedirs(base, exist_ok=True)
        self._processes = ClusterProcesses(executable, os.path.abspath(base), keep)
        # A directory another cluster lives in is refused before anything is written there (its topology.json
        # included) or started, and nothing of it is stopped: a failed start stops only what it started.
        self._processes.claim()
        # Stops the processes when close() is forgotten: at collection or at interpreter exit, even after a failure.
        self._finalizer = weakref.finalize(self, self._processes.shutdown)
        topology_file = os.path.join(self._processes.directory, "topology.json")
        with open(topology_file, "w", encoding="utf-8") as handle:
            json.dump(self._cluster_topology(topology, seed, log_level), handle, indent=2)
        try:
            self.document = self._processes.up(topology_file, self.start_timeout)
        except BaseException:
            self._finalizer()
            raise
        self._address = {}  # an authority clients name -> where that node listens
        for entry in self.document["nodes"].values():
            self._address[entry["loginServer"]] = entry["listen"]
        proxy = self.document.get("proxy")
        self.proxy: Optional[ProxyApi] = ProxyApi(proxy["api"]) if isinstance(proxy, dict) else None
        self._shapes = link_shapes
        try:
            self._apply_link_shapes()
        except BaseException:
            self.close()
            raise

    def __repr__(self) -> str:
        state = "closed" if not self._finalizer.alive else f"t={self.now:.3f}s"
        return f"<outpost.LiveCluster {self.topology.name!r} in {self.directory} {state}>"

    # ------------------------------------------------------------------ identity and files
    @property
    def seed(self) -> int:
        """The fault proxy's seed."""
        return self._seed_value

    @property
    def directory(self) -> str:
        """The directory ``outpost cluster status|down --dir`` take: ``cluster.json``, ``logs/<node>.log`` and
        ``nodes/<node>/``. It is ``cluster/`` inside the ``directory`` argument, beside ``topology.json`` (what was
        started)."""
        return self._processes.cluster_dir

    @property
    def binary(self) -> str:
        """The ``outpost`` executable the cluster runs."""
        return self._processes.binary

    def log_path(self, node: str) -> str:
        """A node's log (``"proxy"``: the fault proxy's)."""
        if node == "proxy":
            return self.document["proxy"]["log"]
        return self.document["nodes"][self._known(node)]["log"]

    def log_tail(self, node: str, lines: int = 20) -> str:
        """The last ``lines`` lines of a node's log (``"proxy"``: the fault proxy's)."""
        return log_tail(self.log_path(node), lines)

    @property
    def replay_command(self) -> str:
        """How to run this again (a live run is not deterministic; the proxy's toxicity decisions are, by seed)."""
        return self._replay_command()

    def _seed(self) -> Optional[int]:
        return self.seed

    def build(self) -> bool:
        """Nothing to do: the constructor started every node and waited until each was ready. True."""
        return True

    def close(self) -> None:
        """Stops every process (``outpost cluster down``; what survives is killed) and removes the directory unless
        ``keep``. Safe to call more than once."""
        self._finalizer()

    @property
    def closed(self) -> bool:
        """True once the processes were stopped (:meth:`close`)."""
        return not self._finalizer.alive

    def _require_open(self) -> None:
        """After close() nothing runs: a restart would start a process nothing stops any more."""
        if not self._finalizer.alive:
            raise LiveClusterError("the live cluster is closed: make a new LiveCluster")

    # ------------------------------------------------------------------ the topology started
    @staticmethod
    def _cluster_topology(topology: Topology, seed: int, log_level: Optional[str]) -> Dict[str, Any]:
        """The cluster format `outpost cluster up` reads: the simulator's link keys dropped (the proxy applies
        them), the seed as the proxy's, and a reader token per connected registry for the harness."""
        document = topology.to_dict()
        for key in _SIMULATOR_ONLY_KEYS:
            document.pop(key, None)
        document["proxySeed"] = seed
        if log_level is not None:
            document["logLevel"] = log_level
        for node in document["nodes"]:
            tokens = node.setdefault("clientTokens", [])
            if len(tokens) >= 20:  # SPEC 2.9: no room; the harness reads with the node's first token
                continue
            # Every repository: a node answers only for what it syncs, and its scope may grow during a run.
            actions = [f"repositories/*/{verb}" for verb in ("content/read", "metadata/read")]
            tokens.append({"name": reader_token(node["name"]), "actions": actions})
        return document

    def _link_shapes(self, topology: Topology) -> Dict[str, Dict[str, Any]]:
        """child -> {latency ms, jitter ms, bandwidth bytes/s} of the links the topology shapes."""
        document = topology.document
        if document.get("nics"):
            raise errors.FaultNotSupported("nics: a NIC's shared bandwidth is a simulator notion; a live cluster "
                                           "shapes links (defaultLink, links) only")
        default = document.get("defaultLink") or {}
        links = document.get("links") or {}
        shapes: Dict[str, Dict[str, Any]] = {}
        for child in topology.names:
            spec = links.get(child, default) or {}
            shape = {"latency": to_nanoseconds(spec.get("latency", 0) or 0) // 10**6,
                     "jitter": to_nanoseconds(spec.get("jitter", 0) or 0) // 10**6,
                     "bandwidth": int(spec.get("bandwidth", 0) or 0)}
            if any(shape.values()):
                shapes[child] = shape
        return shapes

    # ------------------------------------------------------------------ links of the proxy
    def _known(self, node: str) -> str:
        if node != CLOUD:
            self.topology.spec(node)  # UnknownName for an unknown name
        return node

    def _uplinks(self, child: str) -> List[str]:
        """The proxy links a child's traffic to its parent crosses, gateway first."""
        return list(self.document["nodes"][child].get("uplinks") or [])

    def _users(self, link: str) -> Set[str]:
        """The nodes whose uplink crosses a proxy link (its other user, "clients", is not the harness: the
        harness's clients go straight to the node)."""
        return {user for user in self.document["proxy"]["links"][link].get("usedBy", []) if user != "clients"}

    def _require_proxy(self, what: str) -> ProxyApi:
        if self.proxy is None:
            raise errors.FaultNotSupported(f"{what}: this cluster has no fault proxy (its topology says "
                                           "\"proxies\": false)")
        return self.proxy

    def _cut_links(self, children: Sequence[str], what: str) -> List[str]:
        """The proxy links to take down to cut the uplinks of ``children``, wholly (gateway and content) and
        nothing else: a link another node's uplink also crosses cannot be cut for some of its users only."""
        self._require_proxy(what)
        crossing = set(children)
        links: Set[str] = set()
        for child in children:
            uplinks = self._uplinks(child)
            if not uplinks:
                raise errors.FaultNotSupported(f"{what}: {child} has no proxy link to its parent")
            for link in uplinks:
                others = sorted(self._users(link) - crossing)
                if others:
                    raise errors.FaultNotSupported(
                        f"{what}: {child} reaches its parent through proxy link {link!r}, which "
                        f"{', '.join(others)} use{'s' if len(others) == 1 else ''} too; a live cluster can only cut "
                        f"that link for all of {sorted(self._users(link))} at once (e.g. with partition())")
            links.update(uplinks)
        return sorted(links)

    def _exclusive_links(self, child: str, what: str) -> List[str]:
        """Every proxy link of a child's uplink, each used by the child alone (toxics may not touch siblings)."""
        self._require_proxy(what)
        uplinks = self._uplinks(child)
        if not uplinks:
            raise errors.FaultNotSupported(f"{what}: {child} has no proxy link to its parent")
        for link in uplinks:
            others = sorted(self._users(link) - {child})
            if others:
                raise errors.FaultNotSupported(
                    f"{what} on {child}'s uplink: proxy link {link!r} carries the traffic of {', '.join(others)} "
                    f"as well; a toxic there would act on them too (a live cluster can shape links used by one "
                    f"child only: a chain, or a single child of the cloud)")
        return uplinks

    def _cut(self, reason: str, links: Sequence[str]) -> None:
        for link in links:
            self._cuts.setdefault(link, set()).add(reason)
        self._sync_links()

    def _uncut(self, reason_prefix: str) -> None:
        for reasons in self._cuts.values():
            for reason in [r for r in reasons if r == reason_prefix or r.startswith(reason_prefix + "|")]:
                reasons.discard(reason)
        self._sync_links()

    def _sync_links(self) -> None:
        """Each proxy link down exactly while some reason holds it down (a link cut by a link-down and a partition
        comes back when both healed)."""
        if self.proxy is None:
            return
        for link in sorted(set(self._cuts) | self._disabled_links):
            want_down = bool(self._cuts.get(link))
            if want_down != (link in self._disabled_links):
                self.proxy.set_enabled(link, not want_down)
                (self._disabled_links.add if want_down else self._disabled_links.discard)(link)

    def _apply_link_shapes(self) -> None:
        """The topology's latency and jitter as toxics on both streams of each shaped link, its bandwidth as the
        link's own rate on both streams (one schedule that all the link's connections share: a child fetching two
        layers at once gets the link once, not twice, as in the simulator); a link that several children share takes
        their common shape (differing shapes there are refused).

        A proxy link several children cross (a parent's front link, the cloud's content link) stands for as many links
        of the topology, one per child, and the proxy cannot tell whose a connection is: it gets the sum of their
        bandwidths, right when they all transfer at once (one push, every child pulls it), plus a ``bandwidth`` toxic
        at one child's bandwidth, so that no connection gets more than its child's link could carry. A child alone
        at work there can still get up to its number of connections times its link."""
        if not self._shapes:
            return
        proxy = self._require_proxy("defaultLink/links")
        by_link: Dict[str, Dict[str, Any]] = {}
        for child, shape in self._shapes.items():
            for link in self._uplinks(child):
                users = self._users(link)
                shapes = {json.dumps(self._shapes.get(user, {}), sort_keys=True) for user in users}
                if len(shapes) > 1:
                    raise errors.FaultNotSupported(
                        f"links: {sorted(users)} share proxy link {link!r} but their link specs differ; a live "
                        "cluster shapes a shared link once")
                by_link[link] = shape
        for link, shape in sorted(by_link.items()):
            children = max(1, len(self._users(link)))
            if shape["bandwidth"]:
                proxy.set_bandwidth(link, upstream=shape["bandwidth"] * children,
                                    downstream=shape["bandwidth"] * children)
            for stream in ("upstream", "downstream"):
                if shape["latency"] or shape["jitter"]:
                    proxy.add_toxic(link, {"name": f"{_LINK_SHAPE}-latency-{stream}", "type": "latency",
                                           "stream": stream, "attributes": {"latency": shape["latency"],
                                                                            "jitter": shape["jitter"]}})
                if shape["bandwidth"] and children > 1:
                    proxy.add_toxic(link, {"name": f"{_LINK_SHAPE}-bandwidth-{stream}", "type": "bandwidth",
                                           "stream": stream, "attributes": {"rate_bytes": shape["bandwidth"]}})

    # ------------------------------------------------------------------ world hooks: requests
    def _send(self, node: str, method: str, authority: str, target: str, headers: List[Tuple[str, str]],
              body: bytes, timeout: float) -> Response:
        self._require_open()
        self._fire_due()
        address = self._address.get(authority, authority)
        return exchange(address, method, authority, target, headers, body, timeout)

    def _cloud_authority(self) -> str:
        return str(self.document["nodes"][CLOUD]["loginServer"])

    def _admin_password(self) -> str:
        return str(self.document["admin"]["password"])

    def _login_server(self, node: str) -> str:
        return str(self.document["nodes"][self._known(node)]["loginServer"])

    def _token_entries(self, node: str) -> List[Dict[str, Any]]:
        return list(self.document["nodes"][node].get("clientTokens") or [])

    def _default_credentials(self, node: str) -> Tuple[str, Optional[str]]:
        if node == CLOUD:
            return "admin", self._admin_password()
        entries = [entry for entry in self._token_entries(node) if entry["name"] != reader_token(node)]
        pushers = [entry for entry in entries
                   if any(action.endswith("/content/write") for action in entry.get("actions") or [])
                   or entry.get("scopeMap") in _PUSH_SCOPE_MAPS]
        chosen = (pushers or entries or self._token_entries(node))
        if not chosen:
            raise errors.UnknownName(f"{node} has no client token: pass one to node.client(token, password)")
        return chosen[0]["name"], chosen[0].get("password")

    def _reader(self, node: str) -> Tuple[str, Optional[str]]:
        if node == CLOUD:
            return "admin", self._admin_password()
        for entry in self._token_entries(node):
            if entry["name"] == reader_token(node):
                return entry["name"], entry.get("password")
        return self._default_credentials(node)

    def _known_password(self, token: str) -> Optional[str]:
        for name, entry in self.document["nodes"].items():
            for client in entry.get("clientTokens") or []:
                if client.get("name") == token:
                    return client.get("password")
            sync = entry.get("syncToken") or {}
            if sync.get("name") == token:
                return sync.get("password")
        return None

    # ------------------------------------------------------------------ world hooks: time
    def _now_ns(self) -> int:
        return time.monotonic_ns() - self._epoch

    def _advance(self, duration_ns: int) -> None:
        """Real time passes; fault steps scheduled with ``at``/``for`` fire on time meanwhile."""
        self._require_open()
        end = self._now_ns() + duration_ns
        while True:
            self._fire_due()
            now = self._now_ns()
            if now >= end:
                return
            wake = min([event.due_ns for event in self._scheduled] + [end])
            time.sleep(max(wake - now, 0) / 1e9)

    def _schedule(self, delay_ns: int, run: Callable[[], None], undo: bool = False, node: bool = False) -> None:
        if delay_ns <= 0:
            run()
            return
        self._sequence += 1
        self._scheduled.append(_Scheduled(self._now_ns() + delay_ns, self._sequence, run, undo, node))

    def _fire_due(self) -> None:
        while self._scheduled:
            now = self._now_ns()
            due = sorted((event for event in self._scheduled if event.due_ns <= now),
                         key=lambda event: (event.due_ns, event.sequence))
            if not due:
                return
            self._scheduled.remove(due[0])
            due[0].run()

    # ------------------------------------------------------------------ world hooks: faults
    def _node_fault(self, action: str, nodes: Sequence[str], skew_ns: int = 0) -> None:
        self._require_open()
        for node in nodes:
            self._known(node)
        if action == "clock-skew":
            raise errors.FaultNotSupported("clock skew is not supported by LiveCluster: a live node reads the "
                                           "machine's clock (use a Simulation)")
        if action in ("disk-full", "disk-freed"):
            raise errors.FaultNotSupported(f"{action} is not supported by LiveCluster: a live node writes to the "
                                           "machine's disk, which the harness cannot fill (use a Simulation)")
        for node in nodes:
            if action == "crash":
                self._processes.crash(node)
            elif action == "restart":
                self._processes.restart(node, lambda node=node: self._answers(node, "/healthz"),
                                        self.start_timeout)
            elif action == "pause":
                self._processes.pause(node)
            elif action == "resume":
                self._processes.resume(node)
            else:
                raise ValueError(f"{action!r} is not a node fault (crash, restart, pause, resume, clock-skew)")

    def _answers(self, node: str, path: str) -> bool:
        entry = self.document["nodes"][node]
        return exchange(entry["listen"], "GET", entry["loginServer"], path, [], b"", 2.0).status == 200

    def _link_fault(self, action: str, targets: Sequence[str]) -> None:
        self._require_open()
        for target in targets:
            self._known(target)
            if target == CLOUD and action in ("link-down", "link-up"):
                raise ValueError(f"{action}: the cloud has no uplink; name connected registries")
        if action == "link-down":
            for child in targets:
                self._cut(f"down:{child}", self._cut_links([child], f"link-down {child}"))
        elif action == "link-up":
            for child in targets:
                self._uncut(f"down:{child}")
        elif action == "partition":
            side = self._side(targets)
            self._cut(f"partition:{','.join(side)}", self._cut_links(self._crossing(side), f"partition {side}"))
        elif action == "heal":
            if not targets:
                self._heal_links()
            else:
                self._uncut(f"partition:{','.join(self._side(targets))}")
        else:
            raise ValueError(f"{action!r} is not a link fault (link-down, link-up, partition, heal)")

    def _uplink_faults(self, child: str) -> List[str]:
        """The cuts in force on ``child``'s uplink, in the simulator's words (link-down, partition, down toxic N)."""
        if child == CLOUD or self.proxy is None:
            return []
        faults: List[str] = []
        for link in self._uplinks(child):
            for reason in sorted(self._cuts.get(link, ())):
                kind, _, rest = reason.partition(":")
                word = {"down": "link-down", "partition": "partition"}.get(kind)
                if kind == "link-toxic-down":
                    word = "down toxic " + rest.split(":", 1)[-1]
                if word and word not in faults:
                    faults.append(word)
        return faults

    def _side(self, targets: Sequence[str]) -> List[str]:
        side = sorted(set(targets))
        if CLOUD in side:  # the same cut named from the side without the cloud
            side = sorted(set(self.names) - set(side))
        return side

    def _crossing(self, side: Sequence[str]) -> List[str]:
        """The children whose uplink joins the two sides."""
        inside = set(side)
        return [child for child in self.topology.names if (child in inside) != (self.topology.parent(child) in inside)]

    def _heal_links(self) -> None:
        """Every link up and every toxic gone (the proxy's reset), then the topology's link shapes again."""
        if self.proxy is not None:
            self.proxy.reset()
            self._apply_link_shapes()
        self._cuts.clear()
        self._disabled_links.clear()
        self._down_toxics.clear()

    def _toxic_body(self, kind: str, attributes: Dict[str, float], stream: str, toxicity: float,
                    name: str) -> Dict[str, Any]:
        if name.startswith(_LINK_SHAPE):
            raise ValueError(f"toxic names starting with {_LINK_SHAPE!r} are the topology's link shapes")
        return {"name": name, "type": kind, "stream": stream, "toxicity": toxicity,
                "attributes": {key: _whole(value) for key, value in attributes.items()}}

    def _add_toxic(self, client: str, server: str, kind: str, attributes: Dict[str, float], stream: str,
                   toxicity: float, name: str) -> None:
        self._require_open()
        if kind == "down":  # the proxy has no such toxic: its link switched off, a cut held under the toxic's name
            self._cut(f"link-toxic-down:{client}:{name}", self._cut_links([client], f"toxic {name}"))
            names = self._down_toxics.setdefault(client, [])
            if name not in names:
                names.append(name)
            return
        links = self._exclusive_links(client, f"toxic {name}")
        body = self._toxic_body(kind, attributes, stream, toxicity, name)
        for link in links:
            try:
                self.proxy.add_toxic(link, body)  # type: ignore[union-attr]
            except ProxyError as refused:
                if refused.status == 400:
                    raise ValueError(f"toxic {name} on {client}'s uplink: {refused.message}") from None
                raise

    def _remove_toxic(self, client: str, server: str, name: str) -> bool:
        self._require_open()
        if name in self._down_toxics.get(client, []):
            self._down_toxics[client].remove(name)
            self._uncut(f"link-toxic-down:{client}:{name}")
            return True
        removed = False
        for link in self._exclusive_links(client, f"remove-toxic {name}"):
            removed = self.proxy.remove_toxic(link, name) or removed  # type: ignore[union-attr]
        return removed

    def _toxics(self, client: str, server: str) -> List[Dict[str, Any]]:
        if self.proxy is None or not self._uplinks(client):
            return []
        listed = self.proxy.toxics(self._uplinks(client)[0])
        return [{key: toxic[key] for key in ("name", "type", "stream", "toxicity", "attributes") if key in toxic}
                for toxic in listed if not str(toxic.get("name", "")).startswith(_LINK_SHAPE)] + \
            [{"name": name, "type": "down", "stream": "both", "toxicity": 1.0}
             for name in self._down_toxics.get(client, [])]

    def _drop_link_undos(self) -> None:
        """A heal step of every link: the ends link steps' `for` scheduled would end later faults (as heal_all)."""
        self._scheduled = [event for event in self._scheduled if not event.undo or event.node]

    def _heal_all(self) -> None:
        self._require_open()
        self._scheduled = [event for event in self._scheduled if not event.undo]  # nothing is left to undo
        self._heal_links()
        for node in self.names:
            self._processes.resume(node)
        for node in self.names:  # parents first
            if not self._processes.running(node):
                self._node_fault("restart", [node])

    def _apply_step(self, step: Dict[str, Any]) -> None:
        self._require_open()
        from .live_steps import plan_step
        at_ns, run, undo_after_ns, undo = plan_step(self, step)

        def start() -> None:
            run()
            if undo is not None:
                self._schedule(undo_after_ns, undo, undo=True, node=step.get("action") in _NODE_ACTIONS)

        self._schedule(at_ns, start)

    # ------------------------------------------------------------------ world hooks: observation
    def _client_of(self, node: str, timeout: float) -> Client:
        user, password = self._reader(node)
        return Client(self._send, node, self._login_server(node), user, password, timeout=timeout)

    def _process_state(self, node: str) -> Tuple[str, bool]:
        return ("running" if self._processes.running(node) else "down"), bool(self._processes.paused.get(node))

    def _node_status(self, node: str) -> Dict[str, Any]:
        self._require_open()
        self._known(node)
        entry = self.document["nodes"][node]
        state, paused = self._process_state(node)
        out: Dict[str, Any] = {
            "name": node, "role": entry.get("role"), "state": state, "paused": paused,
            "crashes": self._processes.crashes.get(node, 0), "clockOffsetNs": 0, "pid": entry.get("pid"),
            "listen": entry.get("listen"), "loginServer": entry.get("loginServer"), "log": entry.get("log"),
            "uplink": self._uplink_faults(node)}
        if node == CLOUD:
            out["dataEndpoint"] = entry.get("dataEndpoint")
        usable = state == "running" and not paused
        out["ready"] = usable and self._answers(node, "/readyz")
        if node != CLOUD and usable:
            # The node's own view, as in a simulation: the state its /metrics marks (it knows it is Offline when its
            # parent is out of reach, which it cannot tell the cloud).
            own = parse_metrics(self._node_metrics_text(node))
            states = [key for key, value in own.items()
                      if key.startswith("outpost_sync_connection_state{") and value == 1]
            if states:
                out["connectionState"] = states[0].split('state="', 1)[1].split('"', 1)[0]
        cloud_state, cloud_paused = self._process_state(CLOUD)
        if node != CLOUD and cloud_state == "running" and not cloud_paused:
            # The cloud's view: the status the node reported up the tree (SPEC 5.3), and its sync token's status.
            try:
                resource = self.connected_registries.show(node)
                out["agent"] = resource
                out["cloud"] = resource
                sync_token = (entry.get("syncToken") or {}).get("name")
                out["disabled"] = bool(sync_token) and self.tokens.show(sync_token).get("status") == "disabled"
            except errors.Error as failure:
                out["agent"] = {"error": str(failure)}
        return out

    def _node_metrics_text(self, node: str) -> str:
        self._require_open()
        self._known(node)
        state, paused = self._process_state(node)
        if state != "running" or paused:
            return ""
        answer = self._client_of(node, 5.0).request("GET", "/metrics")
        return answer.body.decode("utf-8", "replace") if answer.status == 200 else ""

    def _content(self, node: str) -> Tuple[Optional[Content], str]:
        """repository -> tag -> digest at a node, or (None, why it could not be read)."""
        state, paused = self._process_state(node)
        if state != "running":
            return None, "its process is down"
        if paused:
            return None, "its process is paused"
        return read_content(self._client_of(node, 5.0))

    def _differences(self) -> List[Dict[str, Any]]:
        cloud, why = self._content(CLOUD)
        if cloud is None:
            return [difference(CLOUD, [], [], [], why)]
        # Each node's scope as the cloud holds it now (permissions and PATCHes move it from the topology's).
        try:
            scopes = {entry["name"]: entry.get("repositories") or [] for entry in self.connected_registries.list()}
        except errors.Error:
            scopes = None
        out = []
        for node in self.topology.names:
            actual, why = self._content(node)
            if actual is None:
                out.append(difference(node, [], [], [], why))
                continue
            expected = {repository: tags for repository, tags in cloud.items()
                        if syncs(self.topology, node, repository, scopes)}
            found = compare(node, expected, actual)
            if found is not None:
                out.append(found)
        return out

    def check_convergence(self) -> Dict[str, Any]:
        """One convergence check now, without waiting (the report as a dict, as the simulator's)."""
        return self._converge_report(0, 1)

    def _converge_report(self, deadline_ns: int, every_ns: int) -> Dict[str, Any]:
        self._require_open()
        end = self._now_ns() + deadline_ns
        checks = 0
        while True:
            self._fire_due()
            checks += 1
            differences = self._differences()
            now = self._now_ns()
            if not differences or now >= end:
                break
            self._advance(min(every_ns, end - now))
        states = {}
        for node in self.names:
            state, paused = self._process_state(node)
            states[node] = {"state": state, "paused": paused, "uplink": self._uplink_faults(node)}
        return {"converged": not differences, "checks": checks, "differences": differences, "lostPushes": [],
                "states": states}

