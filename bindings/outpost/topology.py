"""Topologies both worlds start from: the live cluster's topology format (docs/connected-registries.md, "Topology
format": a cloud and a tree of connected registries with their repositories and client tokens) plus the
simulator's link and NIC specs (docs/simulator.md, "Scenario format").

:func:`tree` builds complete trees, :func:`load_topology` reads a file or dict; either way a :class:`Topology` holds
the expanded document (every node, every default), which a ``Simulation`` runs and a ``LiveCluster`` starts.
"""

from __future__ import annotations

import copy
import functools
import json
import math
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Union

from . import errors
from .transport import Duration

PathLike = Union[str, "os.PathLike[str]"]
"""A file path: text or a :class:`pathlib.Path`."""


def _engine() -> Any:
    from . import _outpost  # the parser is the simulator's (C++), so both worlds accept exactly the same files
    return _outpost


class Topology:
    """An expanded topology: ``document`` is the cluster format (``name``, ``nodes``, sync settings, ...) plus
    ``defaultLink``, ``links`` and ``nics``. Nodes are in order, parents before children."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document: Dict[str, Any] = copy.deepcopy(dict(document))
        self.document.setdefault("nodes", [])

    def __repr__(self) -> str:
        return f"<outpost.Topology {self.name!r}: {len(self.names)} connected registries>"

    def to_dict(self) -> Dict[str, Any]:
        """The document (a copy): the ``topology`` value of a scenario, and a cluster topology file."""
        return copy.deepcopy(self.document)

    def to_json(self, indent: Optional[int] = 2) -> str:
        """The document as JSON text (``indent=None``: on one line)."""
        return json.dumps(self.document, indent=indent)

    @property
    def name(self) -> str:
        """The topology's ``name`` (default ``cluster``)."""
        return str(self.document.get("name", "cluster"))

    @property
    def names(self) -> List[str]:
        """The connected registries' names, parents before children (the cloud is not among them)."""
        return [node["name"] for node in self.document["nodes"]]

    def spec(self, name: str) -> Dict[str, Any]:
        """A node's entry (``name``, ``parent``, ``mode``, ``repositories``, ``clientTokens``, ...)."""
        for node in self.document["nodes"]:
            if node["name"] == name:
                return node
        known = self.names
        listed = ", ".join(known[:8]) + (f" and {len(known) - 8} more" if len(known) > 8 else "")
        raise errors.UnknownName(f"no connected registry named {name!r} (there are: {listed or 'none'})")

    def parent(self, name: str) -> str:
        """The parent's name (``"cloud"`` for a top-level connected registry)."""
        return self.spec(name).get("parent") or "cloud"

    def children(self, name: str = "cloud") -> List[str]:
        """The direct children of a node (``"cloud"``: the top level). UnknownName for a name the topology lacks,
        as :meth:`parent` and :meth:`spec`."""
        if name != "cloud":
            self.spec(name)  # UnknownName: an empty list would read as a leaf
        return [node["name"] for node in self.document["nodes"] if (node.get("parent") or "cloud") == name]

    def subtree(self, name: str) -> List[str]:
        """The node and everything below it, parents first."""
        if name != "cloud":
            self.spec(name)  # UnknownName for a name the topology lacks (it answered [name])
        out, queue = [], [name]
        while queue:
            current = queue.pop(0)
            if current in out:  # a document made by hand, never checked, may hold a cycle: it looped for ever
                raise errors.ScenarioError(f"topology: {current!r} is its own ancestor")
            out.append(current)
            queue.extend(self.children(current))
        return out

    def ancestors(self, name: str) -> List[str]:
        """The parent, its parent, ... up to and including the cloud. ScenarioError for a cycle (``load_topology``
        refuses one; a ``Topology`` built from a dict by hand is not checked until a run starts)."""
        out: List[str] = []
        start = name
        while name != "cloud":
            name = self.parent(name)
            if name in out or name == start:
                chain = " -> ".join([start, *out, name])
                raise errors.ScenarioError(f"topology: {start!r} is its own ancestor ({chain})")
            out.append(name)
        return out

    def depth(self, name: str) -> int:
        """1 for a child of the cloud, 2 below it, ...; 0 for the cloud."""
        return len(self.ancestors(name)) if name != "cloud" else 0

    def mode(self, name: str) -> str:
        """``ReadWrite`` or ``ReadOnly`` (the cloud: ``ReadWrite``)."""
        return "ReadWrite" if name == "cloud" else str(self.spec(name).get("mode", "ReadWrite"))

    # --- links (the simulator applies them on network="simulated"; a live cluster's proxies will) ---
    def set_default_link(self, *, latency: Optional[Duration] = None, jitter: Optional[Duration] = None,
                         bandwidth: Union[int, str, None] = None) -> "Topology":
        """Every child -> parent link without its own spec: one-way ``latency``, uniform ``jitter``, ``bandwidth``
        per direction (bytes/s or ``"100Mbit/s"``). Returns self. Checked at once as a topology file's
        ``defaultLink`` is: :class:`~outpost.ScenarioError` (a ValueError) naming the field, the topology unchanged."""
        return self._checked("defaultLink", None, _link(latency, jitter, bandwidth))

    def set_link(self, child: str, *, latency: Optional[Duration] = None, jitter: Optional[Duration] = None,
                 bandwidth: Union[int, str, None] = None) -> "Topology":
        """The uplink of ``child``. Returns self. UnknownName for a name the topology lacks; values checked as
        :meth:`set_default_link` checks them."""
        self.spec(child)
        return self._checked("links", child, _link(latency, jitter, bandwidth))

    def set_nic(self, node: str, bandwidth: Union[int, str]) -> "Topology":
        """A node's interface (``"cloud"`` too), shared by everything it sends or receives. Returns self.
        UnknownName for a name the topology lacks; the bandwidth checked as :meth:`set_default_link` checks it."""
        if node != "cloud":
            self.spec(node)
        return self._checked("nics", node, {"bandwidth": bandwidth})

    def _checked(self, key: str, name: Optional[str], value: Dict[str, Any]) -> "Topology":
        """Sets ``document[key]`` (or ``document[key][name]``) to ``value`` once the simulator's topology parser,
        which reads these keys at build time, accepts it: a bad value fails at the call that gave it, and leaves the
        topology as it was. The value is checked on a one-node topology (the cloud's NIC, the default link), so a
        call costs the same on a fleet of thousands; the error names the field it was given as."""
        field = key if name is None else f"{key}.{name}"
        probe = _probe()
        if key == "nics":
            probe["nics"] = {"cloud": value}
            probed = "nics.cloud"
        else:
            probe["defaultLink"] = value
            probed = "defaultLink"
        try:
            text = json.dumps(probe, allow_nan=False)
        except ValueError:
            raise errors.ScenarioError(f"scenario.topology.{field}: {value!r}: NaN and infinities are not numbers a "
                                       "topology can hold") from None
        try:
            _engine().expand_topology(text, os.getcwd())
        except errors.ScenarioError as refused:
            raise errors.ScenarioError(str(refused).replace(f"topology.{probed}", f"topology.{field}", 1)) from None
        if name is None:
            self.document[key] = value
        else:
            entries = self.document.get(key)
            self.document[key] = dict(entries) if isinstance(entries, Mapping) else {}
            self.document[key][name] = value
        return self


@functools.lru_cache(maxsize=None)
def _probe_text() -> str:
    return _engine().tree_json(1, 1, [], ["apps/*"])


def _probe() -> Dict[str, Any]:
    """A topology of one connected registry, expanded: what a link or NIC value is checked on."""
    return json.loads(_probe_text())


def _duration_text(value: Duration) -> Any:
    if isinstance(value, str) or isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value):
        return value  # as given: the topology parser names what is wrong with it
    return f"{int(round(value * 1000))}ms"


def _link(latency: Optional[Duration], jitter: Optional[Duration], bandwidth: Union[int, str, None]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    if latency is not None:
        out["latency"] = _duration_text(latency)
    if jitter is not None:
        out["jitter"] = _duration_text(jitter)
    if bandwidth is not None:
        out["bandwidth"] = bandwidth
    return out


def tree(depth: int, fanout: int, modes: Optional[Sequence[str]] = None,
         repositories: Optional[Sequence[str]] = None) -> Topology:
    """A complete tree: ``fanout`` children per node, ``depth`` levels of connected registries under the cloud.
    ``modes[level - 1]`` is the mode of every node at that level (the last repeats; default ReadWrite while the
    parent allows it); every node syncs ``repositories`` (default ``["apps/*"]``) and gets one client token
    ``<name>-client`` (push on ReadWrite nodes, pull on ReadOnly ones). Nodes are named after their path:
    ``node1``, ``node1n2``, ``node1n2n3``. Raises :class:`~outpost.ScenarioError` for an impossible tree."""
    if isinstance(depth, bool) or not isinstance(depth, int) or isinstance(fanout, bool) or not isinstance(fanout, int):
        raise TypeError("tree(depth, fanout): whole numbers")
    if depth < 1 or fanout < 1:
        raise errors.ScenarioError("tree: depth and fanout must be at least 1")
    if depth >= 2**31 or fanout >= 2**31:  # past what the engine takes (it would raise its own TypeError)
        raise errors.ScenarioError(f"tree: depth and fanout must be below 2^31, not {depth} and {fanout}")
    for label, value in (("modes", modes), ("repositories", repositories)):
        if isinstance(value, str):  # would be read as its letters
            raise errors.ScenarioError(f"tree: {label} is a list of strings, not one string: [{value!r}]")
        if value is not None and not all(isinstance(item, str) for item in value):
            raise errors.ScenarioError(f"tree: {label} is a list of strings, not {list(value)!r}")
    chosen = ["apps/*"] if repositories is None else list(repositories)  # an empty list is refused, not defaulted
    text = _engine().tree_json(depth, fanout, list(modes or []), chosen)
    return Topology(json.loads(text))


def load_topology(source: Union[PathLike, Mapping[str, Any], Topology], base: Optional[PathLike] = None) -> Topology:
    """A topology from a cluster topology file, or a dict in a scenario's ``topology`` forms (inline ``nodes``,
    ``{"file": ...}``, ``{"tree": {...}}``, with ``defaultLink``/``links``/``nics``), expanded and checked.
    Raises :class:`~outpost.ScenarioError` naming the field."""
    if isinstance(source, Topology):
        return Topology(source.document)
    if isinstance(source, Mapping):
        document: Any = dict(source)
        directory = os.fspath(base) if base is not None else os.getcwd()
    else:
        path = os.path.abspath(os.fspath(source))
        document = os.path.basename(path)
        directory = os.path.dirname(path)
    return Topology(json.loads(_engine().expand_topology(json.dumps(document), directory)))
