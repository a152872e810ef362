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
#: Polling interval while waiting for credentials to start or stop working. Each probe made before a token reaches a
#: node is a failed login there, and a node refuses a token from an address after 10 failures, then allows one more
#: every 6 s (SPEC 4.5). Probing every 50 ms spent that budget on a slow machine before the change arrived.
LOGIN_EVERY = "500ms"
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


class Arrivals(Dict[str, float]):
    """Per node, the cluster time (from the wait's start) at the end of the first probe that saw the change there.
    ``last_absent`` has, per node, the time at the start of the last probe that did not see it, so the change came
    between the two (an order between nodes is proven only across that interval). ``rate_limited`` counts, per
    node, the probes its failed-login limiter refused (429, SPEC 4.5), which saw nothing."""

    def __init__(self) -> None:
        super().__init__()
        self.last_absent: Dict[str, float] = {}
        self.rate_limited: Dict[str, int] = {}


def _seen(holds: Callable[..., bool], *args: Any) -> Optional[bool]:
    """``holds(*args)``, or None when a login it made was refused by the node's failed-login limiter: that probe
    observed nothing, so the change is not seen yet (an arrival is never stamped earlier than it was observed)."""
    try:
        return bool(holds(*args))
    except outpost.TooManyRequests:
        return None


def wait_for(cluster: outpost.Cluster, what: str, holds: Callable[[], bool], deadline: float,
             every: str = EVERY) -> float:
    """Waits (bounded) until ``holds()``, checking every ``every``; the cluster time it took. Fails naming ``what``."""
    start = cluster.now
    limited = 0

    def step() -> bool:
        nonlocal limited
        seen = _seen(holds)
        limited += seen is None
        return bool(seen)

    held = cluster.run_until(step, deadline, every=every)
    assert held, (f"{what}: not within {deadline:.1f} s" + (f" ({limited} probes refused 429 by the failed-login "
                                                             f"limiter)" if limited else "") + f" ({cluster!r})")
    return cluster.now - start


def arrival_per_node(cluster: outpost.Cluster, nodes: Iterable[str], holds: Callable[[outpost.Node], bool],
                     deadline: float, every: str = EVERY) -> Arrivals:
    """The cluster time (from now) at which ``holds(node)`` first held at each node, checking every ``every``; the
    nodes it never held at within ``deadline`` are absent."""
    start = cluster.now
    pending = list(nodes)
    arrivals = Arrivals()

    def step() -> bool:
        for name in list(pending):
            began = cluster.now - start
            seen = _seen(holds, cluster.node(name))
            if seen is None:
                arrivals.rate_limited[name] = arrivals.rate_limited.get(name, 0) + 1
            elif seen:
                arrivals[name] = cluster.now - start
                pending.remove(name)
            else:
                arrivals.last_absent[name] = began
        return not pending

    cluster.run_until(step, deadline, every=every)
    return arrivals


def assert_per_depth(cluster: outpost.Cluster, arrivals: Arrivals, what: str, hop: float = HOP) -> None:
    """Every connected registry saw the change within depth x ``hop`` (SPEC 5.1-5.2: hop by hop down the tree)."""
    late = []
    for name in cluster.topology.names:
        depth = cluster.topology.depth(name)
        took = arrivals.get(name)
        if took is None or took > depth * hop:
            limited = arrivals.rate_limited.get(name)
            late.append(f"{name} (depth {depth}): {'never' if took is None else f'{took:.2f} s'}, "
                        f"deadline {depth * hop:.1f} s" + (f", {limited} probes refused 429" if limited else ""))
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
