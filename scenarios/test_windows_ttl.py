"""Sync windows and message TTL (SPEC 2.2, 5.4, 5.5): outside its window a registry fetches nothing and gets the
change when the next window opens; a registry cut off longer than its messages' TTL repairs everything by a full
resync once back. Hours and days of the cluster's time: the simulator only (a live run would take that long)."""

from __future__ import annotations

import pytest

from scenario_support import converged

HOURS = "the scenario spans hours of cluster time; a live cluster would take as long"


@pytest.mark.spec("5.4", "2.1")
@pytest.mark.sim_only(HOURS)
def test_outside_its_window_a_registry_waits_for_the_next_one(target):
    """Window of 1 h every 2 h (cron 0 */2 * * *, UTC; the world starts at midnight): a push at 01:05 arrives at
    02:00, when the next window opens, and not before."""
    cluster = target({"nodes": [{"name": "edge1", "repositories": ["apps/*"],
                                 "sync": {"schedule": "0 */2 * * *", "window": "PT1H"}}]})
    cluster.cloud.push("apps/windowed", "early")
    converged(cluster, "5m")                                  # inside the first window: continuous sync
    cluster.run_for(3900 - cluster.now)                       # 01:05, the window closed at 01:00
    cluster.cloud.push("apps/windowed", "late")
    edge = cluster.node("edge1")
    assert not cluster.run_until(lambda: edge.has("apps/windowed", "late"), 7200 - 60 - cluster.now, every="1m")
    assert cluster.run_until(lambda: edge.has("apps/windowed", "late"), "10m", every="10s")
    assert 7200 <= cluster.now <= 7200 + 600, cluster.now    # in the window that opened at 02:00


@pytest.mark.spec("5.5", "2.2")
@pytest.mark.sim_only(HOURS)
def test_a_registry_back_after_its_messages_expired_resyncs_fully(target):
    """messageTtl P1D, the uplink down for 25 h while the cloud adds a tag and deletes another: when the link comes
    back the registry's messages are gone and a full resync repairs both differences."""
    cluster = target({"nodes": [{"name": "edge1", "repositories": ["apps/*"], "sync": {"messageTtl": "P1D"}}]})
    cluster.cloud.push("apps/ttl", "before")
    converged(cluster, "5m")
    cluster.link("edge1").down()
    cluster.cloud.push("apps/ttl", "during")
    cluster.cloud.client().delete("apps/ttl", "before")
    cluster.run_for("25h")
    assert cluster.node("edge1").tags("apps/ttl") == ["before"]    # offline all along, serving what it had
    cluster.link("edge1").up()
    converged(cluster, "30m")
    assert cluster.node("edge1").tags("apps/ttl") == ["during"]


@pytest.mark.spec("5.5", "5.1")
def test_a_cut_shorter_than_the_ttl_is_caught_up_from_the_messages(target):
    """The same cut for a few seconds, well within the TTL: the queued messages bring the same two changes."""
    cluster = target({"nodes": [{"name": "edge1", "repositories": ["apps/*"], "sync": {"messageTtl": "P1D"}}]})
    cluster.cloud.push("apps/ttl", "before")
    converged(cluster, "1m")
    cluster.link("edge1").down()
    cluster.cloud.push("apps/ttl", "during")
    cluster.cloud.client().delete("apps/ttl", "before")
    cluster.run_for(1.0)
    cluster.link("edge1").up()
    converged(cluster, "1m")
    assert cluster.node("edge1").tags("apps/ttl") == ["during"]
