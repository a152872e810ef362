"""Conflicts (SPEC 5.7): the same tag changed at a ReadWrite registry and at the cloud before they sync. The parent's
value wins everywhere; the registry's value stays reachable by digest, and no acknowledged push is lost."""

from __future__ import annotations

import pytest

import outpost
from scenario_support import HOP, RECOVERY, converged


@pytest.mark.spec("5.7", "5.6")
@pytest.mark.xfail(strict=False, reason=(
    "known race in the reference's sync agent (both worlds, about half the seeds): when the parent's message for the "
    "tag is applied before the child's journal entry goes up, the child records the parent's value as last seen and "
    "then moves the tag above to its own value, so the child's value wins (docs/protocol.md, 'Up')"))
def test_the_parents_value_wins_and_the_childs_stays_reachable(target):
    cluster = target(outpost.tree(2, 1))
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
