"""Outpost from Python: build a hierarchy of connected registries, inject faults, push and pull, change tokens, and
assert what every node does (docs/python.md).

    import outpost
    sim = outpost.Simulation(outpost.tree(2, 2), seed=7)
    sim.cloud.push("apps/demo", "v1")
    assert sim.converge("5m")

One vocabulary for both worlds: :class:`Simulation` (the deterministic simulator, in virtual time) and
:class:`LiveCluster` (real ``outpost serve`` processes behind fault proxies, in real time), both built on the same
:class:`Cluster` base.
"""

from __future__ import annotations

from typing import Any, Mapping

from .errors import (Conflict, Denied, DigestMismatch, Error, FaultNotSupported, Invalid, NotConverged, NotFound,
                     RegistryError, ScenarioError, ServerError, SimulationError, TooLarge, TooManyRequests,
                     TransportError, Unauthorized, Unavailable, UnknownName, Unsupported)
from . import _outpost
from .cluster import Cluster, Link, Node, Partition
from .control import ConnectedRegistries, ManagementApi, PasswordBook, ScopeMaps, Tokens
from .oci import Client, Image, build_image, digest_of
from .results import Convergence, NodeDifference, Result, parse_metrics
from .simulation import Simulation
from .live import LiveCluster
from .live_processes import LiveClusterError
from .topology import Topology, load_topology, tree
from .transport import Response, to_nanoseconds, to_seconds


def set_log_level(level: str) -> None:
    """The simulated nodes' JSON logs on stderr: ``"debug"``, ``"info"``, ``"warn"``, ``"error"`` or ``"off"``
    (the default, as ``outpost sim run``). Process-wide."""
    if not isinstance(level, str):
        raise ValueError(f"log level {level!r}: 'debug', 'info', 'warn', 'error' or 'off'")
    _outpost.set_log_level(level)


def check_scenario(source: "Mapping[str, Any] | str | os.PathLike[str]") -> str:
    """Checks a whole scenario (a dict, or a JSON file path) without running it; its name. Raises
    :class:`ScenarioError` naming the field."""
    import json as _json
    import os as _os
    from collections.abc import Mapping as _Mapping
    if isinstance(source, _os.PathLike):
        source = _os.fspath(source)
    if not isinstance(source, (str, _Mapping)):
        raise ScenarioError(f"scenario: a dict or a JSON file path, not {type(source).__name__}")
    if isinstance(source, str):
        path = _os.path.abspath(source)
        try:
            with open(path, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as failure:
            raise ScenarioError(f"cannot read {path}: {failure.strerror}") from None
        return _outpost.check_scenario(text, _os.path.dirname(path))
    return _outpost.check_scenario(_json.dumps(dict(source)), _os.getcwd())


set_log_level("off")

__all__ = [
    "Client", "Cluster", "Conflict", "ConnectedRegistries", "Convergence", "Denied", "DigestMismatch", "Error",
    "FaultNotSupported", "Image", "Invalid", "Link", "LiveCluster", "LiveClusterError", "ManagementApi", "Node",
    "NodeDifference", "NotConverged",
    "NotFound", "Partition", "PasswordBook", "RegistryError", "Response", "Result", "ScenarioError", "ScopeMaps",
    "ServerError", "SimulationError", "Simulation", "Tokens", "TooLarge", "TooManyRequests", "Topology",
    "TransportError", "Unauthorized", "Unavailable", "UnknownName", "Unsupported", "build_image", "check_scenario", "digest_of",
    "load_topology", "parse_metrics", "set_log_level", "to_nanoseconds", "to_seconds", "tree",
]
