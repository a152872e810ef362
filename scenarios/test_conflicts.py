"""Conflicts (SPEC 5.7): the same tag changed at a ReadWrite registry and at the cloud before they sync. The parent's
value wins everywhere; the registry's value stays reachable by digest, and no acknowledged push is lost."""

from __future__ import annotations

import pytest

import outpost
from scenario_support import HOP, RECOVERY, converged


def clash(cluster):
    """The cloud and node1 both move apps/clash:v1 while node1's uplink is down, then it comes back."""
    cluster.cloud.push("apps/clash", "v1")
    converged(cluster, 2 * HOP)
    cluster.link("node1").down()
    at_cloud = cluster.cloud.push("apps/clash", "v1", {"layers": [b"the cloud's v1, second edition"]})
    at_edge = cluster.node("node1").push("apps/clash", "v1", {"layers": [b"node1's own v1"]})
    assert at_cloud.digest != at_edge.digest
    assert cluster.node("node1").client().digest("apps/clash", "v1") == at_edge.digest
    cluster.link("node1").up()
    verdict = converged(cluster, RECOVERY)          # includes: every acknowledged push at the cloud by digest
    assert not verdict.lost_pushes
    for node in cluster.nodes:
        assert node.client().digest("apps/clash", "v1") == at_cloud.digest, node.name
    for name in ("node1", "cloud"):
        assert cluster.node(name).has("apps/clash", at_edge.digest), f"{name} lost node1's value"
    assert cluster.node("node1").pull("apps/clash", at_edge.digest).layers == [b"node1's own v1"]


@pytest.mark.spec("5.7", "5.6")
def test_the_parents_value_wins_and_the_childs_stays_reachable(target):
    clash(target(outpost.tree(2, 1)))


# Regression: before the fix, these seeds let node1's value win (the cloud's message for the tag came down before
# node1's journal entry went up, and node1 took the cloud's value as the base it had last seen above).
@pytest.mark.spec("5.7")
@pytest.mark.sim_only("replays the seeds that found the bug")
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5, 7, 12])
def test_seeds_where_the_childs_value_used_to_win(seed):
    clash(outpost.Simulation(outpost.tree(2, 1), seed=seed))


@pytest.mark.spec("5.7")
def test_a_tag_removed_above_while_the_child_moved_it_stays_removed(target):
    cluster = target(outpost.tree(1, 1))
    cluster.cloud.push("apps/clash", "v1")
    converged(cluster, 2 * HOP)
    cluster.link("node1").down()
    cluster.cloud.client().delete("apps/clash", "v1")
    at_edge = cluster.node("node1").push("apps/clash", "v1", {"layers": [b"node1's own v1"]})
    cluster.link("node1").up()
    verdict = converged(cluster, RECOVERY)
    assert not verdict.lost_pushes
    for node in cluster.nodes:
        assert "v1" not in node.client().tags("apps/clash"), node.name
    assert cluster.node("cloud").has("apps/clash", at_edge.digest), "node1's manifest did not reach the cloud"
