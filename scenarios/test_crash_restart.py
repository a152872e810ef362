"""Crash and restart of each node role (SPEC 1.4, 2.7, 5.6): a crashed registry (kill -9) leaves the tree below it
behind; restarted on the same data directory it is the same instance, activates again freely, keeps what it held and
catches up. A crashed cloud leaves its registries serving; a paused registry resumes where it was."""

from __future__ import annotations

import pytest

import outpost
from scenario_support import HOP, RECOVERY, converged, wait_for


def ready(cluster: outpost.Cluster, name: str) -> bool:
    status = cluster.node(name).status()
    return status["state"] == "running" and bool(status["ready"])


@pytest.mark.spec("2.7", "5.6", "1.4")
def test_a_crashed_registry_restarts_as_itself_and_catches_up(target):
    """cloud -> node1 -> node1n1 -> node1n1n1: node1n1 crashes; the registry below it keeps serving; pushed at the
    cloud meanwhile, a new image stops at node1; restarted, node1n1 is the same instance (no ALREADY_ACTIVATED),
    has kept its content, and the tree converges."""
    cluster = target(outpost.tree(3, 1))
    before = cluster.cloud.push("apps/crash", "before")
    converged(cluster, 3 * HOP)
    middle = cluster.node("node1n1")
    middle.crash()
    assert middle.status()["state"] != "running"
    cluster.cloud.push("apps/crash", "during")
    wait_for(cluster, "node1 getting the new image", lambda: cluster.node("node1").has("apps/crash", "during"), HOP)
    leaf = cluster.node("node1n1n1")
    assert leaf.pull("apps/crash", "before").digest == before.digest      # offline, still serving (5.6)
    assert not leaf.has("apps/crash", "during")
    middle.restart()
    wait_for(cluster, "node1n1 ready again (activated, synced once)", lambda: ready(cluster, "node1n1"), RECOVERY)
    assert middle.status()["crashes"] == 1
    assert middle.pull("apps/crash", "before").digest == before.digest    # its data directory survived
    converged(cluster, RECOVERY)
    statuses = [entry.get("message", "") for entry in cluster.connected_registries.show("node1n1")["statusDetails"]]
    assert not any("ALREADY_ACTIVATED" in message for message in statuses), statuses


@pytest.mark.spec("5.6", "2.7")
def test_registries_keep_serving_while_the_cloud_is_down(target):
    """The cloud crashes: its registries serve what they hold and a ReadWrite one takes pushes; once the cloud is
    back the pushes reach it and the cloud's new content comes down."""
    cluster = target(outpost.tree(2, 1))
    before = cluster.cloud.push("apps/cloudless", "before")
    converged(cluster, 2 * HOP)
    cluster.cloud.crash()
    for name in ("node1", "node1n1"):
        assert cluster.node(name).pull("apps/cloudless", "before").digest == before.digest
    local = cluster.node("node1n1").push("apps/cloudless", "made-while-down")
    wait_for(cluster, "the push reaching node1", lambda: cluster.node("node1").has("apps/cloudless",
                                                                                 "made-while-down"), HOP)
    cluster.cloud.restart()
    wait_for(cluster, "the push reaching the cloud again up",
             lambda: cluster.cloud.has("apps/cloudless", "made-while-down"), RECOVERY)
    cluster.cloud.push("apps/cloudless", "after")
    verdict = converged(cluster, RECOVERY)
    assert not verdict.lost_pushes
    assert cluster.cloud.client().digest("apps/cloudless", "made-while-down") == local.digest


@pytest.mark.spec("5.6", "5.1")
def test_a_paused_registry_resumes_and_catches_up(target):
    """SIGSTOP on node1 (the simulator's pause): nothing changes below it; SIGCONT, and everything converges."""
    cluster = target(outpost.tree(2, 1))
    converged(cluster, 2 * HOP)
    cluster.node("node1").pause()
    assert cluster.node("node1").status()["paused"]
    cluster.cloud.push("apps/paused", "v1")
    cluster.run_for(1.0)
    assert not cluster.node("node1n1").has("apps/paused", "v1")
    verdict = cluster.converge(0.2)
    assert not verdict and "node1" in verdict.nodes, verdict.why
    cluster.node("node1").resume()
    converged(cluster, RECOVERY)


@pytest.mark.spec("5.6", "2.7")
def test_heal_all_restarts_crashed_nodes_and_resumes_paused_ones(target):
    """Several faults at once, one heal: a crashed leaf, a paused middle registry and a cut uplink, all ended by
    heal_all(); the tree converges with what was pushed meanwhile."""
    cluster = target(outpost.tree(3, 1))
    cluster.node("node1n1n1").crash()
    cluster.node("node1n1").pause()
    cluster.link("node1").down()
    cluster.cloud.push("apps/many", "v1")
    assert not cluster.converge(0.5)
    cluster.heal_all()
    for name in cluster.names:
        status = cluster.node(name).status()
        assert status["state"] == "running" and not status["paused"], status
    converged(cluster, RECOVERY)
