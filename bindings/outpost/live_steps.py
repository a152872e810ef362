"""A step of the scenario format's fault timeline (docs/simulator.md, "faults") read for a live cluster: checked at
once (``ScenarioError`` naming the field, ``FaultNotSupported`` for what a live cluster cannot do), then applied
``at`` from now and undone ``for`` later, as ``LiveCluster.apply_fault`` schedules it."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from . import errors
from .cluster import CLOUD, TOXIC_NAME, TOXIC_NAME_RULE
from .transport import to_nanoseconds

if TYPE_CHECKING:
    from .live import LiveCluster

Plan = Tuple[int, Callable[[], None], int, Optional[Callable[[], None]]]

_KEYS = {"at", "action", "target", "attributes", "for", "shape", "level", "direction", "groups", "toxic", "name"}
_NOT_LIVE = {
    "clock-skew": "clock skew is a simulator fault: a live node reads the machine's clock",
    "disk-full": "disk-full is a simulator fault: a live node writes to the machine's disk",
    "disk-freed": "disk-full is a simulator fault: a live node writes to the machine's disk",
    "lost-responses": "lost responses are a simulator fault: the proxy has no such toxic",
    "stop": "stop is a simulator fault: the proxy has none (a timeout toxic with timeout 0 holds a stream)",
    "slow": "slow is a simulator fault: the proxy's nearest is a latency toxic",
    "jam": "jam is a simulator fault: the proxy has none",
    "restore": "restore ends the simulator's stop, slow and jam, which a live cluster does not have",
}
_RANDOM_SHAPES = ("halves", "bridge", "random-minority")


def _fail(field: str, message: str) -> errors.ScenarioError:
    return errors.ScenarioError(f"step.{field}: {message}")


def _duration(step: Dict[str, Any], key: str) -> int:
    value = step.get(key, 0)
    try:
        nanoseconds = to_nanoseconds(value)
    except ValueError as failure:
        raise _fail(key, str(failure)) from None
    if nanoseconds < 0:
        raise _fail(key, "must not be negative")
    return nanoseconds


def _targets(cluster: "LiveCluster", step: Dict[str, Any], *, uplinks: bool, required: bool = True) -> List[str]:
    raw = step.get("target")
    if raw is None:
        if required:
            raise _fail("target", "name the nodes it acts on")
        return []
    names = [raw] if isinstance(raw, str) else raw
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise _fail("target", "a node's name or a list of names")
    for name in names:
        if name != CLOUD and name not in cluster.topology.names:
            raise _fail("target", f"'{name}' is not a node of the topology")
        if uplinks and name == CLOUD:
            raise _fail("target", "the cloud has no uplink; name connected registries")
    return list(names)


def _partition_side(cluster: "LiveCluster", step: Dict[str, Any]) -> Tuple[str, List[str]]:
    """("nodes", side) for a cut between two sides, ("uplink", [child]) for one uplink."""
    if step.get("direction", "two-way") != "two-way":
        if step.get("direction") == "one-way":
            raise errors.FaultNotSupported("partition direction one-way: the proxy cuts a link both ways; one-way "
                                           "partitions need the simulator")
        raise _fail("direction", "two-way or one-way")
    if "groups" in step:
        groups = step["groups"]
        if not (isinstance(groups, list) and all(isinstance(group, list) for group in groups)):
            raise _fail("groups", "a list of lists of node names")
        every = set(cluster.names)
        members = [set(group) for group in groups]
        if len(members) != 2 or members[0] & members[1] or members[0] | members[1] != every:
            raise errors.FaultNotSupported("partition groups: a live cluster cuts between two disjoint groups that "
                                           "hold every node (bridges and several groups need the simulator)")
        return "nodes", sorted(members[0])
    shape = step.get("shape", "nodes")
    if shape in _RANDOM_SHAPES:
        raise errors.FaultNotSupported(f"partition shape {shape}: drawn from the simulator's seeded nemesis stream; "
                                       "give the sides (target or groups) instead")
    if shape == "nodes":
        return "nodes", _targets(cluster, step, uplinks=False)
    if shape in ("subtree", "uplink"):
        targets = _targets(cluster, step, uplinks=True)
        if len(targets) != 1:
            raise _fail("target", f"shape {shape} takes one connected registry")
        return ("nodes", cluster.topology.subtree(targets[0])) if shape == "subtree" else ("uplink", targets)
    if shape == "level":
        level = step.get("level")
        if isinstance(level, bool) or not isinstance(level, int) or level < 1:
            raise _fail("level", "a depth of 1 or more (1: the cloud's children)")
        side = [name for name in cluster.topology.names if cluster.topology.depth(name) == level]
        if not side:
            raise _fail("level", f"no node at depth {level}")
        return "nodes", side
    raise _fail("shape", "nodes, subtree, uplink, level, halves, bridge or random-minority")


def _toxic(step: Dict[str, Any]) -> Dict[str, Any]:
    toxic = step.get("toxic")
    if not isinstance(toxic, dict) or not isinstance(toxic.get("type"), str):
        raise _fail("toxic", "{\"type\", \"attributes\", \"stream\", \"toxicity\", \"name\"}")
    unknown = set(toxic) - {"type", "attributes", "stream", "toxicity", "name"}
    if unknown:
        raise _fail("toxic", f"unknown keys {sorted(unknown)}")
    stream = toxic.get("stream", "downstream")
    if stream not in ("upstream", "downstream"):
        raise _fail("toxic.stream", "upstream or downstream")
    attributes = toxic.get("attributes") or {}
    if not isinstance(attributes, dict) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                                   and math.isfinite(v) for v in attributes.values()):
        raise _fail("toxic.attributes", "an object of numbers")
    kind = toxic["type"]
    # As the simulator reads a step: a name given is checked (an empty one is no name), a toxicity is a chance.
    name = toxic.get("name")
    if name is None:
        name = "down" if kind == "down" else f"{kind}_{stream}"
    if not isinstance(name, str) or not TOXIC_NAME.fullmatch(name):
        raise _fail("toxic.name", f"must be {TOXIC_NAME_RULE}")
    toxicity = toxic.get("toxicity", 1.0)
    if isinstance(toxicity, bool) or not isinstance(toxicity, (int, float)) or not 0.0 <= toxicity <= 1.0:
        raise _fail("toxic.toxicity", "must be a number from 0.0 to 1.0")
    return {"type": kind, "stream": stream, "attributes": attributes, "name": name, "toxicity": float(toxicity)}


def plan_step(cluster: "LiveCluster", step: Dict[str, Any]) -> Plan:
    """(delay before it applies, what applies it, delay before its undo, the undo or None)."""
    if not isinstance(step, dict):
        raise errors.ScenarioError("step: must be an object {\"action\", \"target\", ...}")
    unknown = set(step) - _KEYS
    if unknown:
        raise _fail(sorted(unknown)[0], f"unknown key (known: {', '.join(sorted(_KEYS))})")
    action = step.get("action")
    if not isinstance(action, str):
        raise _fail("action", "a fault action (link-down, partition, crash, toxic, ...)")
    at, lasting = _duration(step, "at"), _duration(step, "for") if "for" in step else None
    if action in _NOT_LIVE:
        raise errors.FaultNotSupported(f"{action} is not supported by LiveCluster: {_NOT_LIVE[action]}")

    if action in ("link-down", "link-up"):
        run, undo = _links(cluster, action, _targets(cluster, step, uplinks=True))
    elif action == "partition":
        run, undo = _partition(cluster, step)
    elif action == "heal":
        run, undo = _heal(cluster, step), None
    elif action in ("crash", "restart", "pause", "resume"):
        run, undo = _process(cluster, action, _targets(cluster, step, uplinks=False))
    elif action == "toxic":
        run, undo = _add_toxic(cluster, _targets(cluster, step, uplinks=True), _toxic(step))
    elif action == "remove-toxic":
        run, undo = _remove_toxic(cluster, _targets(cluster, step, uplinks=True), step), None
    else:
        raise _fail("action", f"'{action}' is not a fault action")
    if lasting is not None and undo is None:
        raise _fail("for", f"{action} has nothing to undo")
    return at, run, (lasting or 0), (undo if lasting is not None else None)


Action = Callable[[], None]


def _links(cluster: "LiveCluster", action: str, targets: List[str]) -> Tuple[Action, Optional[Action]]:
    if action == "link-down":
        for target in targets:  # refuses now what cannot be cut
            cluster._cut_links([target], f"link-down {target}")

    def down() -> None:
        for target in targets:
            cluster.link(target).down()

    def up() -> None:
        for target in targets:
            cluster.link(target).up()

    return (down, up) if action == "link-down" else (up, None)


def _partition(cluster: "LiveCluster", step: Dict[str, Any]) -> Tuple[Action, Optional[Action]]:
    kind, side = _partition_side(cluster, step)
    if kind == "uplink":  # the target's own uplink only: its children still reach it
        child = side[0]
        cluster._cut_links([child], "partition uplink")
        return (lambda: cluster._cut(f"partition-uplink:{child}", cluster._cut_links([child], "partition")),
                lambda: cluster._uncut(f"partition-uplink:{child}"))
    normalized = cluster._side(side)
    if not normalized:  # as the simulator refuses it: its end would be a heal of every link
        raise _fail("target" if "groups" not in step else "groups",
                    "a partition's side holds at least one node, and not every node")
    cluster._cut_links(cluster._crossing(normalized), f"partition {normalized}")
    return (lambda: cluster._link_fault("partition", normalized),
            lambda: cluster._link_fault("heal", normalized))


def _heal(cluster: "LiveCluster", step: Dict[str, Any]) -> Action:
    if "groups" in step or "shape" in step:
        kind, side = _partition_side(cluster, step)
        reason = f"partition-uplink:{side[0]}" if kind == "uplink" else f"partition:{','.join(cluster._side(side))}"
        return lambda: cluster._uncut(reason)
    targets = _targets(cluster, step, uplinks=False, required=False)

    def run() -> None:
        cluster._link_fault("heal", targets)
        if not targets:  # every link healed, as the simulator's heal step counts it
            cluster._drop_link_undos()
    return run


def _process(cluster: "LiveCluster", action: str, targets: List[str]) -> Tuple[Action, Optional[Action]]:
    opposite = {"crash": "restart", "pause": "resume"}.get(action)
    undo = (lambda: cluster._node_fault(opposite, targets)) if opposite else None
    return (lambda: cluster._node_fault(action, targets)), undo


def _add_toxic(cluster: "LiveCluster", targets: List[str], toxic: Dict[str, Any]) -> Tuple[Action, Action]:
    # Checked now, applied when the step is due: a `down` (no proxy toxic: the link cut under the toxic's name) needs
    # links that can be cut for the target alone, any other toxic links no sibling shares.
    for target in targets:
        if toxic["type"] == "down":
            cluster._cut_links([target], f"toxic {toxic['name']}")
        else:
            cluster._exclusive_links(target, f"toxic {toxic['name']}")

    def add() -> None:
        for target in targets:
            cluster.link(target).add_toxic(toxic["type"], name=toxic["name"], stream=toxic["stream"],
                                           toxicity=toxic["toxicity"], **toxic["attributes"])

    def remove() -> None:
        for target in targets:
            cluster.link(target).remove_toxic(toxic["name"])

    return add, remove


def _remove_toxic(cluster: "LiveCluster", targets: List[str], step: Dict[str, Any]) -> Action:
    named = step.get("toxic") if isinstance(step.get("toxic"), dict) else step
    name = named.get("name") or (f"{named['type']}_{named.get('stream', 'downstream')}"
                                 if isinstance(named.get("type"), str) else None)
    if not isinstance(name, str):
        raise _fail("toxic", "name the toxic: {\"name\"} or the {\"type\", \"stream\"} of a default name")

    def remove() -> None:
        for target in targets:
            cluster.link(target).remove_toxic(name)

    return remove
