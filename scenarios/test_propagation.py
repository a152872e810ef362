"""Propagation down (and up) a 5-level hierarchy (SPEC 1.1, 5.1-5.2): content, deletes, tokens, passwords and scope
maps each reach every depth within its deadline (depth x HOP), and a child never holds what its parent does not."""

from __future__ import annotations

import pytest

import outpost
from scenario_support import (HOP, LOGIN_EVERY, accepted, arrival_per_node, assert_per_depth, converged, harness_token,
                              wait_for)

DEPTH = 5


def chain(target, modes=None):
    """cloud -> node1 -> node1n1 -> ... : five connected registries, one per depth, each link 10 ms each way (the
    simulator's links; the fault proxy's latency toxics on a live cluster)."""
    topology = outpost.tree(DEPTH, 1, modes=modes).set_default_link(latency="10ms")
    return target(topology, sim_options={"network": "simulated"})


def parent_holds_it_too(cluster, repository, tag):
    """SPEC 5.1 (hop by hop): whenever a registry holds the image, its parent does."""
    def holds(node):
        if not node.has(repository, tag):
            return False
        parent = node.parent
        assert parent is None or parent.has(repository, tag), f"{node.name} holds {repository}:{tag}, its parent not"
        return True
    return holds


@pytest.mark.spec("5.1", "1.1")
def test_a_push_at_the_cloud_reaches_every_depth_in_time(target):
    cluster = chain(target, modes=["ReadWrite", "ReadWrite", "ReadOnly"])
    pushed = cluster.cloud.push("apps/deep", "v1", {"layers": [64 * 1024, 1024]})
    arrivals = arrival_per_node(cluster, cluster.topology.names, parent_holds_it_too(cluster, "apps/deep", "v1"),
                                DEPTH * HOP)
    assert_per_depth(cluster, arrivals, "apps/deep:v1 pushed at the cloud")
    leaf = cluster.node(cluster.topology.names[-1])
    assert leaf.depth == DEPTH and leaf.mode == "ReadOnly"
    assert leaf.pull("apps/deep", "v1").digest == pushed.digest   # every blob there, each verified


@pytest.mark.spec("5.1", "6.1")
def test_deletes_and_untags_reach_every_depth_in_time(target):
    cluster = chain(target)
    kept = cluster.cloud.push("apps/deep", "kept")
    doomed = cluster.cloud.push("apps/deep", "doomed")
    cluster.cloud.push("apps/deep", "untagged")
    converged(cluster, DEPTH * HOP)
    admin = cluster.cloud.client()
    admin.delete("apps/deep", doomed.digest)       # the manifest, by digest
    admin.delete("apps/deep", "untagged")          # the tag only
    gone = arrival_per_node(cluster, cluster.topology.names,
                            lambda node: not node.has("apps/deep", "doomed") and not node.has("apps/deep", "untagged"),
                            DEPTH * HOP)
    assert_per_depth(cluster, gone, "a delete and an untag at the cloud")
    for node in cluster.nodes:
        assert node.tags("apps/deep") == ["kept"], node.name
        assert node.client().digest("apps/deep", "kept") == kept.digest


@pytest.mark.spec("5.1", "5.6")
def test_a_push_at_the_deepest_registry_goes_up_hop_by_hop(target):
    """Content pushed at a ReadWrite registry at depth 5 goes up to the cloud, each ancestor first, and from the
    cloud to every registry syncing it."""
    cluster = chain(target)
    leaf = cluster.node(cluster.topology.names[-1])
    pushed = leaf.push("apps/edge", "made-here", {"layers": [32 * 1024]})
    upward = [name for name in reversed(cluster.names) if name != leaf.name]
    arrivals = arrival_per_node(cluster, upward, lambda node: node.has("apps/edge", "made-here"), DEPTH * HOP)
    late = [name for name in upward if name not in arrivals]
    assert not late, f"the push at {leaf.name} never reached {late}"
    hops = {name: DEPTH - cluster.topology.depth(name) for name in upward}   # the cloud is DEPTH hops up
    slow = [f"{name}: {arrivals[name]:.2f} s for {hops[name]} hops" for name in upward
            if arrivals[name] > hops[name] * HOP]
    assert not slow, "; ".join(slow)
    # An ancestor never holds it before the registry below it: never seen holding it before a probe began that saw
    # the registry below without it (the probes are one after another, so that is the order they can prove).
    for higher, lower in zip(upward[1:], upward):
        absent = arrivals.last_absent.get(lower)
        assert absent is None or arrivals[higher] >= absent, \
            f"{higher} held it at {arrivals[higher]:.3f} s, {lower} did not at {absent:.3f} s"
    assert cluster.cloud.pull("apps/edge", "made-here").digest == pushed.digest
    converged(cluster, DEPTH * HOP)


@pytest.mark.spec("5.2", "3.3", "4.1", "4.2")
def test_token_changes_reach_every_depth_in_time(target):
    """A new client token, a regenerated password, a narrower scope map and a disabled token, each made at the
    cloud, take effect at every registry that lists the token within its depth's deadline."""
    cluster = chain(target)
    cluster.cloud.push("apps/deep", "v1")
    cluster.cloud.push("apps/other", "v1")
    converged(cluster, DEPTH * HOP)
    names = cluster.topology.names
    harness_token(cluster, "everywhere", ["repositories/apps/*/content/read", "repositories/apps/*/metadata/read"],
                  nodes=names)

    def reads(password=None, repository="apps/deep"):
        def holds(node):
            try:
                node.client("everywhere", password).tags(repository)
                return True
            except (outpost.Unauthorized, outpost.Denied):
                return False
        return holds

    assert_per_depth(cluster, arrival_per_node(cluster, names, reads(), DEPTH * HOP, LOGIN_EVERY),
                     "a new client token")

    old = cluster.tokens.password("everywhere")
    cluster.tokens.generate_credentials("everywhere", "password1")
    new = cluster.tokens.password("everywhere")
    assert_per_depth(cluster, arrival_per_node(cluster, names, reads(new), DEPTH * HOP, LOGIN_EVERY),
                     "a regenerated password")
    assert_per_depth(cluster, arrival_per_node(cluster, names, lambda node: not accepted(
        node.client("everywhere", old)), DEPTH * HOP, LOGIN_EVERY), "the end of the old password")

    cluster.scope_maps.update("everywhere-map", actions=["repositories/apps/deep/content/read"])
    assert_per_depth(cluster, arrival_per_node(cluster, names, lambda node: not reads(repository="apps/other")(node),
                                               DEPTH * HOP), "a narrower scope map")
    assert all(reads()(cluster.node(name)) for name in names)     # what it still allows

    cluster.tokens.disable("everywhere")
    assert_per_depth(cluster, arrival_per_node(cluster, names, lambda node: not accepted(node.client("everywhere")),
                                               DEPTH * HOP, LOGIN_EVERY), "a disabled token")
    wait_for(cluster, "nothing else changed", lambda: all(accepted(node.client()) for node in cluster.nodes), HOP)
