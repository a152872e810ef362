"""Topologies both worlds start from: the live cluster's topology format (docs/connected-registries.md, "Topology
format": a cloud and a tree of connected registries with their repositories and client tokens) plus the
simulator's link and NIC specs (docs/simulator.md, "Scenario format").

:func:`tree` builds complete trees, :func:`load_topology` reads a file or dict; either way a :class:`Topology` holds
the expanded document (every node, every default), which a ``Simulation`` runs and a ``LiveCluster`` starts.
"""

from __future__ import annotations

import copy
import json
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
        """The direct children of a node (``"cloud"``: the top level)."""
        return [node["name"] for node in self.document["nodes"] if (node.get("parent") or "cloud") == name]

    def subtree(self, name: str) -> List[str]:
        """The node and everything below it, parents first."""
        if name != "cloud":
            self.spec(name)  # UnknownName for a name the topology lacks (it answered [name])
        out, queue = [], [name]
        while queue:
            current = queue.pop(0)
            out.append(current)
            queue.extend(self.children(current))
        return out

    def ancestors(self, name: str) -> List[str]:
        """The parent, its parent, ... up to and including the cloud."""
        out: List[str] = []
        while name != "cloud":
            name = self.parent(name)
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
        per direction (bytes/s or ``"100Mbit/s"``). Returns self."""
        self.document["defaultLink"] = _link(latency, jitter, bandwidth)
        return self

    def set_link(self, child: str, *, latency: Optional[Duration] = None, jitter: Optional[Duration] = None,
                 bandwidth: Union[int, str, None] = None) -> "Topology":
        """The uplink of ``child``. Returns self."""
        self.spec(child)
        self.document.setdefault("links", {})[child] = _link(latency, jitter, bandwidth)
        return self

    def set_nic(self, node: str, bandwidth: Union[int, str]) -> "Topology":
        """A node's interface (``"cloud"`` too), shared by everything it sends or receives. Returns self."""
        self.document.setdefault("nics", {})[node] = {"bandwidth": bandwidth}
        return self


def _duration_text(value: Duration) -> str:
    return value if isinstance(value, str) else f"{int(round(value * 1000))}ms"


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
    for label, value in (("modes", modes), ("repositories", repositories)):
        if isinstance(value, str):  # would be read as its letters
            raise errors.ScenarioError(f"tree: {label} is a list of strings, not one string: [{value!r}]")
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
