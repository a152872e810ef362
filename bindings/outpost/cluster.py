"""The vocabulary both worlds share: a cluster of nodes (the cloud and its connected registries) with clients,
a control plane, links and faults, and ways to wait in its time.

:class:`Cluster` holds everything that does not depend on the world. A world subclasses it and implements the
hooks marked "world:" below: ``outpost.Simulation`` on the simulator's event loop in virtual time, and (next)
``outpost.LiveCluster`` on real ``outpost serve`` processes behind fault proxies in real time. Scenarios written
against these names run in both.
"""

from __future__ import annotations

import math
import re
import shlex
import sys
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

from . import errors
from .control import ConnectedRegistries, ManagementApi, PasswordBook, ScopeMaps, Tokens
from .oci import Client, Image, ImageSpec
from .results import Convergence, NodeDifference, parse_metrics
from .topology import Topology
from .transport import Duration, Response, to_nanoseconds

CLOUD = "cloud"
DIRECTIONS = ("up", "down", "both")
# The scenario format's and the proxy's rule for toxic names: "." and ".." are path segments a URL resolves away.
TOXIC_NAME = re.compile(r"(?!\.{1,2}$)[A-Za-z0-9._-]{1,128}")
TOXIC_NAME_RULE = "1 to 128 characters of A-Z a-z 0-9 . _ -, other than . and .."


def _finite(what: str, value: Any) -> float:
    """A toxic's number as a float; ValueError naming it for anything else (NaN and infinities would reach the
    world as JSON it cannot parse, and the world's answer would not name the argument)."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number):
        raise ValueError(f"{what} {value!r}: a finite number")
    return number


class Cluster:
    """A cloud and its connected registries, driven black-box (HTTP) plus the faults its world can inject.

    Attributes: ``tokens``, ``scope_maps`` and ``connected_registries`` (:class:`Tokens`, :class:`ScopeMaps`,
    :class:`ConnectedRegistries`: the cloud's control plane), ``management`` (:class:`ManagementApi`: any other
    management call), ``passwords`` (:class:`PasswordBook`: the passwords shown to the harness), ``topology`` (the
    :class:`Topology` it runs) and ``predicate_calls`` (how many times ``run_until`` evaluated a predicate).
    """

    #: Default interval between two evaluations of a ``run_until`` predicate (virtual time in a simulation).
    check_every: Duration = "1s"
    #: How long a client waits for an answer.
    request_timeout: Duration = 60
    #: Default interval between two content checks of ``converge`` (a live cluster checks more often).
    converge_every: Duration = "10s"
    #: Template of ``replay_command`` for worlds driven from Python; a test runner may set it (``{seed}`` is
    #: replaced). Default: this process's command line with ``OUTPOST_SEED``.
    replay_template: Optional[str] = None

    def __init__(self, topology: Topology) -> None:
        self.topology = topology
        self.passwords = PasswordBook()
        self._acknowledged: List[Tuple[str, Image]] = []  # pushes made through this package's clients
        self.predicate_calls = 0                           # run_until's evaluations so far (Python's share)
        api = ManagementApi(self._management_send, timeout=self.request_timeout)
        self.scope_maps = ScopeMaps(api)
        self.tokens = Tokens(api, self.scope_maps, self.passwords)
        self.connected_registries = ConnectedRegistries(api, self.passwords)
        self.management = api

    # ------------------------------------------------------------------ lifetime
    def __enter__(self) -> "Cluster":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ world: to implement
    def close(self) -> None:
        """Stops every node of the world (each world closes its own way). A cluster is also a context manager:
        ``with outpost.Simulation(...) as sim:`` closes it at the end of the block."""
        raise NotImplementedError

    def _send(self, node: str, method: str, authority: str, target: str, headers: List[Tuple[str, str]],
              body: bytes, timeout: float) -> Response:
        """world: one HTTP exchange from next to ``node`` (the Transport of :mod:`outpost.transport`)."""
        raise NotImplementedError

    def _management_send(self, method: str, path: str, body: bytes, timeout: float) -> Response:
        """world: one management call (see :data:`outpost.control.ManagementSend`); by default an HTTP request as
        the admin user at the cloud's login server."""
        send = ManagementApi.over_http(self._send, self._cloud_authority(), self._admin_password())._send
        return send(method, path, body, timeout)

    def _cloud_authority(self) -> str:
        """world: the cloud's login server (management API, admin pushes)."""
        raise NotImplementedError

    def _admin_password(self) -> str:
        raise NotImplementedError

    def _login_server(self, node: str) -> str:
        raise NotImplementedError

    def _default_credentials(self, node: str) -> Tuple[str, Optional[str]]:
        """world: the user a node's own clients act as: admin at the cloud, a client token elsewhere."""
        raise NotImplementedError

    def _known_password(self, token: str) -> Optional[str]:
        """world: a password the world set up itself (topology tokens); None when unknown."""
        return None

    def _now_ns(self) -> int:
        """world: the cluster's clock (virtual in a simulation, monotonic in a live cluster)."""
        raise NotImplementedError

    def _advance(self, duration_ns: int) -> None:
        """world: let ``duration_ns`` of the cluster's time pass."""
        raise NotImplementedError

    def _node_fault(self, action: str, nodes: Sequence[str], skew_ns: int = 0) -> None:
        """world: crash, restart, pause, resume, clock-skew."""
        raise errors.FaultNotSupported(f"{action} is not supported by {type(self).__name__}")

    def _link_fault(self, action: str, targets: Sequence[str]) -> None:
        """world: link-down, link-up, partition, heal (the scenario format's actions)."""
        raise errors.FaultNotSupported(f"{action} is not supported by {type(self).__name__}")

    def _add_toxic(self, client: str, server: str, kind: str, attributes: Dict[str, float], stream: str,
                   toxicity: float, name: str) -> None:
        raise errors.FaultNotSupported(f"toxics are not supported by {type(self).__name__}")

    def _remove_toxic(self, client: str, server: str, name: str) -> bool:
        raise errors.FaultNotSupported(f"toxics are not supported by {type(self).__name__}")

    def _toxics(self, client: str, server: str) -> List[Dict[str, Any]]:
        return []

    def _link_state(self, child: str, state: str, stream: str, extra_ns: int = 0) -> None:
        """world: the simulator's own faults on the bytes of ``child``'s uplink: ``state`` stop, jam, slow (by
        ``extra_ns``) or restore; ``stream`` upstream (child -> parent), downstream or both."""
        raise errors.FaultNotSupported(f"{state} is a simulator fault, not supported by {type(self).__name__}")

    def _lost_responses(self, child: str, toxicity: float) -> None:
        """world: that fraction of the responses to ``child``'s requests on its uplink is lost."""
        raise errors.FaultNotSupported(f"lost responses are not supported by {type(self).__name__}")

    def _apply_step(self, step: Dict[str, Any]) -> None:
        """world: a timeline step of the scenario format, applied from now."""
        raise errors.FaultNotSupported(f"fault steps are not supported by {type(self).__name__}")

    def _heal_all(self) -> None:
        raise NotImplementedError

    def _node_status(self, node: str) -> Dict[str, Any]:
        raise NotImplementedError

    def _node_metrics_text(self, node: str) -> str:
        raise NotImplementedError

    def _converge_report(self, deadline_ns: int, every_ns: int) -> Dict[str, Any]:
        """world: check convergence until it holds or the deadline passed; the last report (the simulator's
        ConvergenceReport JSON: converged, convergedAfter, checks, differences, lostPushes, states)."""
        raise NotImplementedError

    def _replay_command(self) -> str:
        """world: how to run this again: :attr:`replay_template` with the seed, else this process's command line with
        the seed in ``OUTPOST_SEED`` (nothing for a world without a seed)."""
        seed = self._seed()
        if seed is None:
            return ""
        if self.replay_template:
            return self.replay_template.replace("{seed}", str(seed))
        return f"OUTPOST_SEED={seed} " + shlex.join([sys.executable, *sys.argv])

    def _seed(self) -> Optional[int]:
        return None

    # ------------------------------------------------------------------ nodes
    @property
    def names(self) -> List[str]:
        """Every node: the cloud first, parents before children."""
        return [CLOUD] + self.topology.names

    def node(self, name: str) -> "Node":
        """A node by name (``"cloud"`` or a connected registry)."""
        if name != CLOUD:
            self.topology.spec(name)  # UnknownName for an unknown name
        return Node(self, name)

    @property
    def nodes(self) -> List["Node"]:
        """Every node (:attr:`names`) as a :class:`Node`."""
        return [Node(self, name) for name in self.names]

    @property
    def cloud(self) -> "Node":
        """The cloud's :class:`Node`."""
        return Node(self, CLOUD)

    def password_of(self, token: str) -> Optional[str]:
        """The password1 the harness knows for a token: shown to it through the control plane, or set up by the
        world."""
        return self.passwords.get(token) or self._known_password(token)

    # The ClientObserver of every client this cluster hands out: converge() checks these pushes at the cloud.
    def pushed(self, node: str, image: Image) -> None:
        """Called by this cluster's clients after a push the registry acknowledged: ``converge()`` also waits for
        that image at the cloud."""
        self._acknowledged.append((node, image))

    def deleted(self, node: str, repository: str, reference: str) -> None:
        """Called by this cluster's clients after a delete: the image is no longer expected at the cloud."""
        self._acknowledged = [(where, image) for where, image in self._acknowledged
                              if not (image.repository == repository and reference in (image.digest, image.reference))]

    # ------------------------------------------------------------------ links and partitions
    def link(self, child: str) -> "Link":
        """The uplink of a connected registry (child -> parent)."""
        if child == CLOUD:
            raise ValueError("the cloud has no uplink")
        self.topology.spec(child)
        return Link(self, child, self.topology.parent(child))

    def partition(self, side: Iterable[str], other: Optional[Iterable[str]] = None) -> "Partition":
        """Cuts every child -> parent link between ``side`` and the rest of the tree (``other``, when given, must
        be that rest: partitions between two arbitrary sets come with the fault injector's partition shapes).
        Returns a handle whose ``heal()`` ends it."""
        if isinstance(side, str):  # would be read as its letters
            raise ValueError(f"partition: side is a list of node names, not one name: [{side!r}]")
        side_list = sorted(set(side))
        if not side_list:
            raise ValueError("partition: name the nodes of one side")
        for name in side_list:
            if name != CLOUD:
                self.topology.spec(name)
        if other is not None:
            rest = sorted(set(self.names) - set(side_list))
            if sorted(set(other)) != rest:
                raise errors.FaultNotSupported(
                    "partition(side, other): other must be every node not in side; a partition between two "
                    "arbitrary sets is not available yet")
        if CLOUD in side_list:  # the same cut, named from the other side (which holds no cloud)
            side_list = sorted(set(self.names) - set(side_list))
            if not side_list:  # was "name its targets", though every node was named
                raise ValueError("partition: the side holds every node, so the other side would be empty")
        self._link_fault("partition", side_list)
        return Partition(self, side_list)

    def apply_fault(self, step: Mapping[str, Any]) -> None:
        """One fault step in the scenario format's timeline vocabulary (docs/simulator.md, "faults"):
        ``{"action": "crash", "target": "node1", "for": "30s"}``, ``{"action": "partition", "target": [...]}``,
        and every action the format knows. ``at`` (default now) counts from now; ``for`` schedules the undo.
        Raises :class:`~outpost.ScenarioError` naming the field (``step.target: ...``), and
        :class:`~outpost.FaultNotSupported` for what this world cannot apply (a toxic, a one-way partition or the
        simulator's own link faults on the direct network; a simulator-only fault on a live cluster), as the
        methods of :class:`Node` and :class:`Link` do."""
        if not isinstance(step, Mapping):
            raise errors.ScenarioError(f"step: a fault step is an object such as {{'action': 'crash', 'target': "
                                       f"'node1'}}, not {type(step).__name__}")
        self._apply_step(dict(step))

    def heal_all(self) -> None:
        """Every fault healed: links up, partitions gone, nodes restarted, resumed and on true time, toxics
        removed. The end a step's ``for`` scheduled is dropped with it when the step had begun: it would end a later
        fault of that kind (a step due later keeps its end). ``settle()`` heals the same way. A ``heal`` fault step
        that names no side ends every link fault, and drops the ends of link steps only (a crash's restart stays)."""
        self._heal_all()

    # ------------------------------------------------------------------ time
    @property
    def now(self) -> float:
        """The cluster's clock in seconds (virtual time in a simulation)."""
        return self._now_ns() / 1e9

    def run_for(self, duration: Duration) -> None:
        """Lets ``duration`` pass (seconds, or ``"10m"``, ``"PT1H"``)."""
        nanoseconds = to_nanoseconds(duration)
        if nanoseconds < 0:
            raise ValueError("run_for: the duration must not be negative")
        self._advance(nanoseconds)

    def run_until(self, predicate: Callable[[], Any], deadline: Duration, every: Optional[Duration] = None) -> bool:
        """Runs until ``predicate()`` is true, evaluating it now and then every ``every`` (default
        :attr:`check_every`) of the cluster's time, at most ``deadline``; True if it held. The world runs between
        evaluations, without Python: the predicate's share of the wall time is one call per interval."""
        limit = to_nanoseconds(deadline)
        step = to_nanoseconds(every if every is not None else self.check_every)
        if limit < 0 or step <= 0:
            raise ValueError("run_until: the deadline must not be negative and the interval must be positive")
        end = self._now_ns() + limit
        while True:
            self.predicate_calls += 1
            if predicate():
                return True
            now = self._now_ns()
            if now >= end:
                return False
            self._advance(min(step, end - now))

    def converge(self, deadline: Duration = "15m", every: Optional[Duration] = None) -> Convergence:
        """Waits until every node holds exactly the cloud's content in its scope and every push acknowledged
        through this package is at the cloud, checking every ``every`` (default :attr:`converge_every`), at most
        ``deadline``. Faults stay as they are (``heal_all()`` first to measure recovery). The verdict names each
        node that did not converge and why; ``.check()`` raises with the seed and replay command."""
        every_ns = to_nanoseconds(every if every is not None else self.converge_every)
        limit = to_nanoseconds(deadline)
        if limit < 0 or every_ns <= 0:
            raise ValueError("converge: the deadline must not be negative and the interval must be positive")
        start = self._now_ns()
        end = start + limit
        lost: List[str] = []
        while True:
            report = self._converge_report(max(end - self._now_ns(), 0), every_ns)
            lost = self._lost_pushes()
            if not lost or self._now_ns() >= end:
                break
            # Content agrees but a push is still on its way up (or lost): check again later, within the deadline.
            self._advance(min(every_ns, end - self._now_ns()))
        converged = bool(report.get("converged")) and not lost
        return self._verdict(report, lost, converged, (self._now_ns() - start) / 1e9)

    def _lost_pushes(self) -> List[str]:
        """The pushes acknowledged through this package's clients that the cloud lacks (by digest)."""
        if not self._acknowledged:
            return []
        admin = Client(self._send, CLOUD, self._cloud_authority(), "admin", self._admin_password(),
                       timeout=self.request_timeout)
        lost = []
        for node, image in self._acknowledged:
            try:
                there = admin.has(image.repository, image.digest)
            except errors.Error:
                there = False
            if not there:
                lost.append(f"{node} {image.repository}:{image.reference}@{image.digest}")
        return lost

    def _verdict(self, report: Dict[str, Any], lost: List[str], converged: bool, took: float) -> Convergence:
        states = report.get("states", {})
        nodes: Dict[str, NodeDifference] = {}
        for entry in report.get("differences", []):
            name = entry["node"]
            examples = (entry["missing"]["first"] + entry["unexpected"]["first"] + entry["different"]["first"])
            nodes[name] = NodeDifference(
                node=name, missing=entry["missing"]["count"], unexpected=entry["unexpected"]["count"],
                different=entry["different"]["count"], examples=examples, unreadable=entry.get("unreadable", ""),
                reasons=self._reasons(name, states))
        lost_all = list(report.get("lostPushes", [])) + lost
        after = took if converged else None
        return Convergence(converged, after, int(report.get("checks", 0)), nodes, lost_all, seed=self._seed(),
                           replay_command=self._replay_command(), raw=report)

    def _reasons(self, name: str, states: Dict[str, Any]) -> List[str]:
        """The faults in force that explain why a node differs: its own process, its uplink, its ancestors'."""
        reasons: List[str] = []
        chain = [name] + (self.topology.ancestors(name) if name != CLOUD else [])
        for index, node in enumerate(chain):
            who = "its" if index == 0 else f"ancestor {node}:"
            state = states.get(node, {})
            if state.get("state") not in (None, "running"):
                reasons.append(f"{who} process is {state['state']}")
            if state.get("paused"):
                reasons.append(f"{who} process is paused")
            if state.get("diskFull"):  # what it pulls cannot be stored (507); its own pushes are refused too
                reasons.append(f"{who} disk is full")
            # What the world says is in force on the uplink (a link-down, a partition, a down toxic, a stopped
            # direction, ...), whoever applied it: a step, a partition, a toxic or Link.down().
            uplink = list(state.get("uplink", []))
            where = "its uplink" if index == 0 else f"ancestor {node}'s uplink"
            cuts = [fault for fault in uplink if fault in ("link-down", "partition") or fault.startswith("down toxic")]
            others = [fault for fault in uplink if fault not in cuts]
            if cuts:
                reasons.append(f"{where} is down ({', '.join(cuts)})")
            if others:
                reasons.append(f"{where} has {', '.join(others)} in force")
        if not reasons and states:
            reasons.append("no fault in force here: sync has not caught up (or is wrong)")
        return reasons


class Node:
    """One node of a cluster: its OCI API (as its default client), its status and metrics, and its faults.
    ``name`` is its name, ``cluster`` the :class:`Cluster` it belongs to; ``cluster.node(name)`` makes one."""

    def __init__(self, cluster: Cluster, name: str) -> None:
        self.cluster = cluster
        self.name = name

    def __repr__(self) -> str:
        return f"<outpost.Node {self.name}>"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Node) and other.cluster is self.cluster and other.name == self.name

    def __hash__(self) -> int:
        return hash((id(self.cluster), self.name))

    # --- what it is ---
    @property
    def is_cloud(self) -> bool:
        """True for the cloud."""
        return self.name == CLOUD

    @property
    def mode(self) -> str:
        """``ReadWrite`` or ``ReadOnly`` (the cloud: ``ReadWrite``)."""
        return self.cluster.topology.mode(self.name)

    @property
    def parent(self) -> Optional["Node"]:
        """The parent node; None for the cloud."""
        return None if self.is_cloud else self.cluster.node(self.cluster.topology.parent(self.name))

    @property
    def children(self) -> List["Node"]:
        """The direct children, in the topology's order."""
        return [self.cluster.node(child) for child in self.cluster.topology.children(self.name)]

    @property
    def depth(self) -> int:
        """0 for the cloud, 1 for its children, 2 below them, ..."""
        return self.cluster.topology.depth(self.name)

    @property
    def login_server(self) -> str:
        """The authority its clients name (``node1:5000``; the Host header, SPEC 1.3)."""
        return self.cluster._login_server(self.name)

    @property
    def uplink(self) -> "Link":
        """Its :class:`Link` to its parent (``cluster.link(name)``); ValueError for the cloud."""
        return self.cluster.link(self.name)

    # --- clients ---
    def client(self, token: Optional[str] = None, password: Optional[str] = None) -> Client:
        """A client of this node's OCI API as ``token`` (HTTP Basic). Without ``token``, as the node's own clients
        act (admin at the cloud; the first push token, else the first client token, of a connected registry);
        without ``password``, with the one the harness knows for the token. Calls raise the typed errors of
        :mod:`outpost.errors` (``Unauthorized``, ``Denied``, ``NotFound``, ...)."""
        if token is None:
            token, known = self.cluster._default_credentials(self.name)
            password = password if password is not None else known
        elif password is None:
            password = self.cluster._admin_password() if token == "admin" else self.cluster.password_of(token)
            if password is None:
                raise errors.UnknownName(f"no password known for token {token!r}: pass password=...")
        return Client(self.cluster._send, self.name, self.login_server, token, password,
                      timeout=self.cluster.request_timeout, observer=self.cluster)

    def anonymous(self) -> Client:
        """A client that sends no credentials."""
        return Client(self.cluster._send, self.name, self.login_server, None, None,
                      timeout=self.cluster.request_timeout)

    def push(self, repository: str, tag: str, image: ImageSpec = None) -> Image:
        """Pushes an image as the node's default client (see :meth:`client`, :data:`outpost.oci.ImageSpec`)."""
        return self.client().push(repository, tag, image)

    def pull(self, repository: str, reference: str) -> Image:
        """Pulls an image (manifest and every blob, verified) as the node's default client."""
        return self.client().pull(repository, reference)

    def tags(self, repository: str) -> List[str]:
        """The repository's tags here; NotFound when the node lacks the repository."""
        return self.client().tags(repository)

    def has(self, repository: str, reference: str) -> bool:
        """True when the manifest (tag or digest) is here."""
        return self.client().has(repository, reference)

    def catalog(self) -> List[str]:
        """Every repository the node's default client may list."""
        return self.client().catalog()

    # --- observation ---
    def status(self) -> Dict[str, Any]:
        """The node's state: ``state`` (running, crashing, down), ``paused``, ``diskFull`` (in a simulation),
        ``ready``, ``disabled``, ``crashes``, ``clockOffsetNs`` and, for a connected registry, ``connectionState`` (as the node knows it: Offline while its
        parent is out of reach), ``agent`` (the status report it sends its parent, SPEC 5.3) and ``cloud`` (what the
        cloud shows for it: its connected-registry resource, whose ``connectionState`` turns Offline once its last
        report is older than the cloud's limit; absent while the cloud is down or paused)."""
        return self.cluster._node_status(self.name)

    def metrics(self) -> Dict[str, float]:
        """The node's Prometheus metrics as ``{"name{labels}": value}`` (empty while it is down)."""
        return parse_metrics(self.cluster._node_metrics_text(self.name))

    def metrics_text(self) -> str:
        """The node's Prometheus metrics as text, as it exposes them."""
        return self.cluster._node_metrics_text(self.name)

    # --- faults ---
    def crash(self) -> None:
        """The process dies now (kill -9): it leaves the network, exchanges in flight fail; its stores survive."""
        self.cluster._node_fault("crash", [self.name])

    def restart(self) -> None:
        """A new process on the same stores (as ``outpost serve`` on the same data directory)."""
        self.cluster._node_fault("restart", [self.name])

    def pause(self) -> None:
        """SIGSTOP: nothing of the process runs; requests to it wait."""
        self.cluster._node_fault("pause", [self.name])

    def resume(self) -> None:
        """SIGCONT: everything that waited runs, in order."""
        self.cluster._node_fault("resume", [self.name])

    def fill_disk(self) -> None:
        """Its disk is full: every write to its storage fails (a push there answers 507), what it holds stays
        readable; it lasts across a crash until :meth:`free_disk` or ``heal_all()``."""
        self.cluster._node_fault("disk-full", [self.name])

    def free_disk(self) -> None:
        """Ends :meth:`fill_disk`."""
        self.cluster._node_fault("disk-freed", [self.name])

    def skew(self, offset: Duration) -> None:
        """From now on the node's wall clock reads ``offset`` ahead (negative: behind) of true time; ``0`` puts it
        back. Monotonic time never moves. At most 36500 days either way, as a scenario's ``clock-skew`` step
        (``ValueError``)."""
        self.cluster._node_fault("clock-skew", [self.name], to_nanoseconds(offset))


class Link:
    """The uplink of a connected registry: its requests to its parent, as a fault proxy in front of the parent
    sees them. ``child`` and ``parent`` name its ends; ``cluster.link(child)`` makes one. In a simulation, toxics
    (but ``down``) and the simulator's own link faults need ``network="simulated"``; those take a ``direction``:
    ``up`` (child -> parent bytes: the requests), ``down`` or ``both``."""

    def __init__(self, cluster: Cluster, child: str, parent: str) -> None:
        self.cluster = cluster
        self.child = child
        self.parent = parent

    def __repr__(self) -> str:
        return f"<outpost.Link {self.child} -> {self.parent}>"

    def down(self) -> None:
        """The proxy's ``down``: the child's requests to its parent are refused, open exchanges end. Calling it
        again while down changes nothing."""
        self.cluster._link_fault("link-down", [self.child])

    def up(self) -> None:
        """Ends a ``down()`` (a partition through this link stays in force)."""
        self.cluster._link_fault("link-up", [self.child])

    @property
    def is_down(self) -> bool:
        """True while a link-down is in force on this uplink: a ``down()``, or a ``link-down`` fault step not yet
        undone (a partition or a ``down`` toxic does not count: see the node's ``status()["uplink"]``)."""
        return "link-down" in self.cluster._node_status(self.child).get("uplink", [])

    def add_toxic(self, type: str, *, name: Optional[str] = None, stream: str = "downstream",
                  toxicity: float = 1.0, **attributes: float) -> str:
        """A toxic by toxiproxy's names (docs/fault-proxy.md): ``type`` in latency, bandwidth, timeout, reset_peer,
        limit_data, slicer, slow_close; attributes in the proxy's units (``latency=100, jitter=10`` in ms,
        ``rate`` in KB/s, ``bytes``, ...); ``stream`` upstream (requests) or downstream (responses); ``toxicity``
        the chance it applies to an exchange; or ``down``, the proxy switched off (a cut, like :meth:`down`).
        Returns its name (default ``<type>_<stream>``, ``down`` for a down; a name given is 1 to 128 characters of
        ``A-Z a-z 0-9 . _ -`` other than ``.`` and ``..``, as in a scenario's toxic steps). ValueError for a name or number that cannot be (an
        empty name, a ``toxicity`` outside 0 to 1, a NaN or infinite attribute) and for what the proxy refuses."""
        if name is not None and not (isinstance(name, str) and TOXIC_NAME.fullmatch(name)):
            raise ValueError(f"toxic name {name!r}: {TOXIC_NAME_RULE} (None: the default, "
                             f"{type if type == 'down' else f'{type}_{stream}'!r})")
        chance = _finite("toxicity", toxicity)
        if not 0.0 <= chance <= 1.0:
            raise ValueError(f"toxicity {toxicity!r}: a number from 0.0 to 1.0")
        values = {key: _finite(key, value) for key, value in attributes.items()}
        chosen = name if name is not None else (type if type == "down" else f"{type}_{stream}")
        self.cluster._add_toxic(self.child, self.parent, type, values, stream, chance, chosen)
        return chosen

    def remove_toxic(self, name: str) -> bool:
        """Removes a toxic; False when there was none of that name."""
        return self.cluster._remove_toxic(self.child, self.parent, name)

    def toxics(self) -> List[Dict[str, Any]]:
        """The toxics in force: ``[{"name", "type", "stream", "toxicity"}]``, ``down`` ones included however they
        were added or removed (a ``Link`` method, a fault step, its ``for``, a heal)."""
        return self.cluster._toxics(self.child, self.parent)

    # --- the simulator's own link faults (the proxy has none of these) ---
    @staticmethod
    def _stream(direction: str) -> str:
        if direction not in DIRECTIONS:
            raise ValueError(f"direction {direction!r}: up (child -> parent bytes: the requests), down or both")
        return {"up": "upstream", "down": "downstream", "both": "both"}[direction]

    def stop(self, direction: str = "both") -> None:
        """Bytes in that direction are dropped, in flight too (clients notice through their idle timeout).
        ``stop``, ``jam`` and ``slow`` are one state per direction: each replaces the one before."""
        self.cluster._link_state(self.child, "stop", self._stream(direction))

    def jam(self, direction: str = "both") -> None:
        """Bytes in that direction are held, in flight too, and flow on at ``restore()``."""
        self.cluster._link_state(self.child, "jam", self._stream(direction))

    def slow(self, extra: Duration, direction: str = "both") -> None:
        """Every message in that direction takes ``extra`` longer (replacing a ``stop`` or ``jam`` there)."""
        extra_ns = to_nanoseconds(extra)
        if extra_ns < 0:  # was refused further down as "'PT-1.000000000S' is not a duration"
            raise ValueError("slow: the extra latency must not be negative")
        self.cluster._link_state(self.child, "slow", self._stream(direction), extra_ns)

    def restore(self, direction: str = "both") -> None:
        """Ends ``stop``, ``jam`` and ``slow``."""
        self.cluster._link_state(self.child, "restore", self._stream(direction))

    def lose_responses(self, toxicity: float) -> None:
        """With probability ``toxicity`` the parent applies a request from the child and the response is lost
        (0 turns it off)."""
        self.cluster._lost_responses(self.child, float(toxicity))


class Partition:
    """A partition in force; ``heal()`` ends it, and so does the end of a ``with`` block (``Cluster.heal_all()``
    ends every one). ``side`` lists the nodes on the side without the cloud."""

    def __init__(self, cluster: Cluster, side: List[str]) -> None:
        self.cluster = cluster
        self.side = side

    def __repr__(self) -> str:
        return f"<outpost.Partition {self.side}>"

    def heal(self) -> None:
        """Ends this partition."""
        self.cluster._link_fault("heal", self.side)

    def __enter__(self) -> "Partition":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.heal()
