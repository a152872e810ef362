"""What a live cluster's convergence check compares: a node's content read through its OCI API (repository -> tag ->
digest, as the simulator's check reads it), and the cloud's content in a node's scope (SPEC 2.5: a connected registry
syncs what its repositories, and every ancestor's, match)."""

from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

from . import errors
from .oci import Client
from .topology import Topology

Content = Dict[str, Dict[str, str]]


def repository_matches(pattern: str, repository: str) -> bool:
    """A name, ``prefix/*`` (everything under ``prefix/``, not ``prefix`` itself) or ``*`` (SPEC 3.1)."""
    if pattern == "*":
        return True
    if len(pattern) >= 2 and pattern.endswith("/*"):
        prefix = pattern[:-1]
        return len(repository) > len(prefix) and repository.startswith(prefix)
    return pattern == repository


def syncs(topology: Topology, node: str, repository: str,
          scopes: Optional[Mapping[str, Sequence[str]]] = None) -> bool:
    """The cloud holds every repository; a connected registry those its patterns and every ancestor's match. The
    patterns are ``scopes[name]`` where given (the control plane's now: management calls change them), else the
    topology's."""
    while node != "cloud":
        patterns = scopes[node] if scopes is not None and node in scopes else topology.spec(node)["repositories"]
        if not any(repository_matches(pattern, repository) for pattern in patterns):
            return False
        node = topology.parent(node)
    return True


def read_content(client: Client) -> Tuple[Optional[Content], str]:
    """Every tag of every repository the client may list, with its digest; or (None, why it could not be read). A
    repository or tag deleted between two reads is skipped."""
    content: Content = {}
    try:
        for repository in client.catalog():
            try:
                tags = client.tags(repository)
            except errors.NotFound:
                continue
            for tag in tags:
                try:
                    content.setdefault(repository, {})[tag] = client.digest(repository, tag)
                except errors.NotFound:
                    continue
    except errors.Error as failure:
        return None, str(failure)
    return content, ""


def difference(node: str, missing: List[str], unexpected: List[str], different: List[str],
               unreadable: str = "") -> Dict[str, Any]:
    """One entry of a convergence report's ``differences`` (the simulator's shape: counts and the first 20)."""
    out: Dict[str, Any] = {"node": node,
                           "missing": {"count": len(missing), "first": missing[:20]},
                           "unexpected": {"count": len(unexpected), "first": unexpected[:20]},
                           "different": {"count": len(different), "first": different[:20]}}
    if unreadable:
        out["unreadable"] = unreadable
    return out


def compare(node: str, expected: Content, actual: Content) -> Optional[Dict[str, Any]]:
    """How ``actual`` differs from ``expected``; None when it holds exactly that."""
    missing, unexpected, different = [], [], []
    for repository, tags in expected.items():
        here = actual.get(repository, {})
        for tag, digest in tags.items():
            if tag not in here:
                missing.append(f"{repository}:{tag}@{digest}")
            elif here[tag] != digest:
                different.append(f"{repository}:{tag}: {here[tag]} here, {digest} expected")
    for repository, tags in actual.items():
        for tag, digest in tags.items():
            if tag not in expected.get(repository, {}):
                unexpected.append(f"{repository}:{tag}@{digest}")
    return difference(node, missing, unexpected, different) if missing or unexpected or different else None
