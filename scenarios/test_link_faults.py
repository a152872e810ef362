"""Sync under link faults (SPEC 5.1, 5.6, 5.8): while its uplink is cut a connected registry keeps serving what it
holds (and takes pushes when ReadWrite); once healed everything converges, the pushes made meanwhile included.
The topologies are chains: a live cluster cuts and shapes an uplink through the fault proxy's links, which the
siblings of a node share (docs/python.md, "LiveCluster")."""

from __future__ import annotations

import pytest

import outpost
from scenario_support import HOP, RECOVERY, converged


def stays_behind(cluster: outpost.Cluster, nodes, repository: str, tag: str, span: float) -> None:
    """For ``span`` of the cluster's time none of ``nodes`` gets the image (the cut holds)."""
    cluster.run_for(span)
    early = [name for name in nodes if cluster.node(name).has(repository, tag)]
    assert not early, f"{repository}:{tag} crossed the cut to {early}"


@pytest.mark.spec("5.1", "5.6")
def test_a_cut_uplink_holds_and_the_heal_converges(target):
    """cloud -> node1 -> node1n1 -> node1n1n1, node1n1's uplink down: node1 gets a new image, node1n1 and below do
    not, and still serve what they had; after the link comes back every node converges."""
    cluster = target(outpost.tree(3, 1))
    before = cluster.cloud.push("apps/cut", "before")
    converged(cluster, 3 * HOP)
    cluster.link("node1n1").down()
    cluster.cloud.push("apps/cut", "during")
    assert cluster.run_until(lambda: cluster.node("node1").has("apps/cut", "during"), HOP, every="50ms")
    stays_behind(cluster, ["node1n1", "node1n1n1"], "apps/cut", "during", 2.0)
    for name in ("node1n1", "node1n1n1"):   # offline, still serving (SPEC 5.6)
        assert cluster.node(name).pull("apps/cut", "before").digest == before.digest
    verdict = cluster.converge(0.5)
    assert not verdict and set(verdict.nodes) == {"node1n1", "node1n1n1"}, verdict.why
    assert any("uplink is down" in reason for reason in verdict.nodes["node1n1"].reasons), verdict.why
    cluster.link("node1n1").up()
    converged(cluster, RECOVERY)


@pytest.mark.spec("5.6", "5.3")
def test_a_cut_off_node_knows_it_is_offline_before_the_cloud_does(target):
    """cloud -> node1 -> node1n1, node1n1's uplink down: node1n1's own status() turns Offline, while what the cloud
    shows for it (status()["cloud"]) is still its last report, Online, well within the cloud's 5-minute limit; once
    the link is back it is Online again in its own eyes."""
    cluster = target(outpost.tree(2, 1))
    converged(cluster, 3 * HOP)
    node = cluster.node("node1n1")
    assert cluster.run_until(lambda: node.status().get("cloud", {}).get("connectionState") == "Online", HOP,
                             every="500ms")
    cluster.link("node1n1").down()
    assert cluster.run_until(lambda: node.status().get("connectionState") == "Offline", HOP, every="200ms")
    assert node.status()["cloud"]["connectionState"] == "Online", node.status()["cloud"]
    cluster.link("node1n1").up()
    assert cluster.run_until(lambda: node.status().get("connectionState") == "Online", RECOVERY, every="500ms")


@pytest.mark.spec("5.6", "5.3")
@pytest.mark.sim_only("waits out the cloud's 5-minute limit on a silent node's last report")
def test_the_cloud_shows_a_silent_node_offline_and_online_again(target):
    """cloud -> node1 -> node1n1, node1n1's uplink down: the cloud shows node1n1's last report (Online) until it is
    older than the cloud's limit (5 minutes here), then Offline with a StatusOverdue entry saying when it arrived;
    node1, still reporting, stays Online; once the link is back, node1n1's next report shows it Online again."""
    cluster = target(outpost.tree(2, 1))
    converged(cluster, 3 * HOP)
    registries = cluster.connected_registries

    def state(name: str) -> str:
        return registries.show(name)["connectionState"]

    assert cluster.run_until(lambda: state("node1n1") == "Online", HOP, every="500ms")
    cluster.link("node1n1").down()
    cluster.run_for("4m")
    assert state("node1n1") == "Online"             # its last report still stands
    assert cluster.run_until(lambda: state("node1n1") == "Offline", "2m", every="5s")
    shown = registries.show("node1n1")
    overdue = [detail for detail in shown["statusDetails"] if detail["code"] == "StatusOverdue"]
    assert len(overdue) == 1 and "reached the cloud at" in overdue[0]["description"], shown
    assert state("node1") == "Online"
    assert [cr["name"] for cr in registries.list(connection_state="Offline")] == ["node1n1"]
    cluster.link("node1n1").up()
    assert cluster.run_until(lambda: state("node1n1") == "Online", RECOVERY, every="500ms")
    assert not [d for d in registries.show("node1n1")["statusDetails"] if d["code"] == "StatusOverdue"]


@pytest.mark.spec("5.6", "5.1")
def test_pushes_made_while_cut_off_go_up_after_the_heal(target):
    """cloud -> node1 -> node1n1, all ReadWrite, node1's uplink down: pushes at node1 and below it are taken
    (journalled) and reach node1 but not the cloud; pushes at the cloud do not come down; after the heal both go
    their way and nothing acknowledged is lost."""
    cluster = target(outpost.tree(2, 1))
    cluster.link("node1").down()
    local = cluster.node("node1").push("apps/offline", "made-at-node1", {"layers": [16 * 1024]})
    below = cluster.node("node1n1").push("apps/offline", "made-below")
    cluster.cloud.push("apps/online", "made-above")
    assert cluster.run_until(lambda: cluster.node("node1").has("apps/offline", "made-below"), HOP, every="50ms")
    stays_behind(cluster, ["node1", "node1n1"], "apps/online", "made-above", 2.0)
    assert not cluster.cloud.has("apps/offline", "made-at-node1") and not cluster.cloud.has("apps/offline",
                                                                                            "made-below")
    assert cluster.node("node1").pull("apps/offline", "made-at-node1").digest == local.digest
    cluster.heal_all()
    verdict = converged(cluster, RECOVERY)
    assert not verdict.lost_pushes
    assert cluster.cloud.client().digest("apps/offline", "made-at-node1") == local.digest
    assert cluster.cloud.client().digest("apps/offline", "made-below") == below.digest
    assert cluster.node("node1n1").has("apps/online", "made-above")


@pytest.mark.spec("5.1", "5.6")
def test_a_partitioned_subtree_catches_up(target):
    """The subtree under node1 (node1, node1n1) cut from the cloud, through apply_fault's timeline vocabulary with
    a `for`: it lags while the cut lasts and converges after it ends by itself."""
    cluster = target(outpost.tree(2, 1))
    # 6 s: the push and the 1.5 s watch end well inside the window, even on a slow server (with 3 s, a push slow by
    # 1.5 s would have let the image cross after the cut's end, and the watch would blame the cut).
    cluster.apply_fault({"action": "partition", "shape": "subtree", "target": "node1", "for": "6s"})
    cluster.cloud.push("apps/part", "v1")
    stays_behind(cluster, ["node1", "node1n1"], "apps/part", "v1", 1.5)
    converged(cluster, RECOVERY)                # faults stay as they are: only the `for` can end the cut


@pytest.mark.spec("5.8", "5.1")
def test_a_stalled_uplink_delivers_nothing_until_the_toxic_goes(target):
    """A `timeout` toxic with timeout 0 on the responses of node1's uplink (the fault proxy's, by toxiproxy's name)
    holds every byte from the cloud: node1 gets nothing; once removed, the transfer completes, verified."""
    cluster = target(outpost.tree(1, 1), sim_options={"network": "simulated"})
    uplink = cluster.link("node1")
    uplink.add_toxic("timeout", name="stall", stream="downstream", timeout=0)
    assert [toxic["name"] for toxic in uplink.toxics()] == ["stall"]
    pushed = cluster.cloud.push("apps/stall", "v1", {"layers": [256 * 1024]})
    stays_behind(cluster, ["node1"], "apps/stall", "v1", 2.0)
    assert uplink.remove_toxic("stall") and not uplink.toxics()
    converged(cluster, RECOVERY)
    assert cluster.node("node1").pull("apps/stall", "v1").digest == pushed.digest


@pytest.mark.spec("5.1")
def test_faults_a_world_cannot_apply_say_so(target):
    """Each world refuses the faults it cannot apply with outpost.FaultNotSupported instead of pretending: clock
    skew and the simulator's own link faults live, toxics on the simulator's direct network."""
    cluster = target(outpost.tree(1, 1))
    if target.is_live:
        for attempt in (lambda: cluster.node("node1").skew("5m"), lambda: cluster.link("node1").jam(),
                        lambda: cluster.link("node1").lose_responses(0.5),
                        lambda: cluster.apply_fault({"action": "partition", "shape": "halves"}),
                        lambda: cluster.apply_fault({"action": "clock-skew", "target": "node1",
                                                     "attributes": {"skew": "5m"}})):
            with pytest.raises(outpost.FaultNotSupported):
                attempt()
    else:
        with pytest.raises(outpost.FaultNotSupported):
            cluster.link("node1").add_toxic("latency", latency=100)
