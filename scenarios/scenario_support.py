"""What the scenarios share: bounded waits in the cluster's own time, refusals checked by SPEC code, and the
harness's own tokens (created at the cloud and given to connected registries through the control plane, as any
user would). Nothing here depends on the world: every call goes through the `outpost.Cluster` vocabulary.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional, Type

import outpost

#: The deadline of one hop of propagation (a change at a parent seen at its child), in the cluster's time: virtual
#: in the simulator, real against a live cluster. Generous on purpose (a live hop takes tens of milliseconds, a
#: simulated one less), so only a change that stalls or takes a detour fails.
HOP = 5.0
#: Polling interval while waiting for a change (the cluster's time).
EVERY = "50ms"
#: The deadline of a recovery after a fault healed: a connected registry retries its parent with capped backoff.
RECOVERY = "60s"


def refused(call: Callable[[], Any], error: Type[outpost.RegistryError], code: Optional[str] = None,
            message: Optional[str] = None) -> outpost.RegistryError:
    """Runs ``call``, which must be refused with ``error`` (and the OCI ``code``, and ``message`` in its message)."""
    try:
        call()
    except error as raised:
        if code is not None:
            assert raised.code == code, f"expected {code}, got {raised.code}: {raised}"
        if message is not None:
            assert message in raised.message, f"expected {message!r} in {raised.message!r}"
        return raised
    except outpost.RegistryError as other:
        raise AssertionError(f"expected {error.__name__}, got {type(other).__name__}: {other}") from None
    raise AssertionError(f"expected {error.__name__}, but the call was accepted")


def accepted(client: outpost.Client) -> bool:
    """GET /v2/ with the client's credentials: True for 200, False for 401 (SPEC 3.6: any valid credentials)."""
    try:
        client.ping()
        return True
    except outpost.Unauthorized:
        return False


def wait_for(cluster: outpost.Cluster, what: str, holds: Callable[[], bool], deadline: float) -> float:
    """Waits (bounded) until ``holds()``; the cluster time it took. Fails naming ``what``."""
    start = cluster.now
    assert cluster.run_until(holds, deadline, every=EVERY), f"{what}: not within {deadline:.1f} s ({cluster!r})"
    return cluster.now - start


def arrival_per_node(cluster: outpost.Cluster, nodes: Iterable[str], holds: Callable[[outpost.Node], bool],
                     deadline: float) -> Dict[str, float]:
    """The cluster time (from now) at which ``holds(node)`` first held at each node; the nodes it never held at
    within ``deadline`` are absent."""
    start = cluster.now
    pending = list(nodes)
    seen: Dict[str, float] = {}

    def step() -> bool:
        for name in list(pending):
            if holds(cluster.node(name)):
                seen[name] = cluster.now - start
                pending.remove(name)
        return not pending

    cluster.run_until(step, deadline, every=EVERY)
    return seen


def assert_per_depth(cluster: outpost.Cluster, arrivals: Dict[str, float], what: str, hop: float = HOP) -> None:
    """Every connected registry saw the change within depth x ``hop`` (SPEC 5.1-5.2: hop by hop down the tree)."""
    late = []
    for name in cluster.topology.names:
        depth = cluster.topology.depth(name)
        took = arrivals.get(name)
        if took is None or took > depth * hop:
            late.append(f"{name} (depth {depth}): {'never' if took is None else f'{took:.2f} s'}, "
                        f"deadline {depth * hop:.1f} s")
    assert not late, f"{what} missed its per-depth deadline at " + "; ".join(late)


def harness_token(cluster: outpost.Cluster, name: str, actions: List[str], nodes: Iterable[str] = ()) -> str:
    """A token created at the cloud with ``actions`` (scope map ``<name>-map``) and added to the client-token list
    of each connected registry in ``nodes`` (SPEC 4.2); its password is remembered for ``node.client(name)``."""
    cluster.tokens.create(name, actions=actions)
    for node in nodes:
        listed = cluster.connected_registries.show(node)["clientTokens"]
        cluster.connected_registries.update(node, client_tokens=[*listed, name])
    return name


def sync_credentials(cluster: outpost.Cluster, node: str) -> tuple:
    """(name, password) of a connected registry's sync token, from a regenerated password2 (the node keeps using
    its password1: SPEC 3.3, either password authenticates)."""
    answer = cluster.connected_registries.connection_string(node, "password2")
    fields = dict(part.split("=", 1) for part in answer["connectionString"].split(";"))
    return fields["SyncTokenName"], fields["SyncTokenPassword"]


def converged(cluster: outpost.Cluster, deadline: Any = RECOVERY) -> outpost.Convergence:
    """``converge`` that fails with the verdict's reasons (and the seed and replay command)."""
    return cluster.converge(deadline).check()
