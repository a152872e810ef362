"""Disabled connected registries (SPEC 2.6): disabling a registry's sync token at the cloud stops it: its parent
refuses the token (403 "connected registry disabled", though the password is right), the registry answers its clients
503 UNAVAILABLE and stops syncing, until the token is enabled again."""

from __future__ import annotations

import pytest

import outpost
from scenario_support import HOP, RECOVERY, converged, refused, sync_credentials, wait_for


def unavailable(node: outpost.Node) -> bool:
    try:
        node.tags("apps/gate")
        return False
    except outpost.Unavailable as error:
        assert error.status == 503 and "disabled" in error.message, error
        return True


@pytest.mark.spec("2.6", "4.5", "5.2")
def test_a_disabled_registry_stops_and_comes_back(target):
    cluster = target(outpost.tree(2, 1))
    before = cluster.cloud.push("apps/gate", "before")
    converged(cluster, 2 * HOP)
    token, password = sync_credentials(cluster, "node1n1")
    cluster.tokens.disable(token)
    leaf = cluster.node("node1n1")
    wait_for(cluster, "node1n1 answering 503 to its clients", lambda: unavailable(leaf), 3 * HOP)
    # Its parent knows the token is disabled and, the password being right, says so (an exception to 4.5).
    wait_for(cluster, "node1 refusing node1n1's sync token", lambda: _refused_as_disabled(
        cluster.node("node1").client(token, password)), 3 * HOP)
    wrong = cluster.node("node1").client(token, "not-its-password")
    refused(lambda: wrong.tags("apps/gate"), outpost.Unauthorized, "UNAUTHORIZED")   # no hint without the password
    cluster.cloud.push("apps/gate", "while-disabled")
    wait_for(cluster, "node1 still syncing from the cloud", lambda: cluster.node("node1").has("apps/gate",
                                                                                        "while-disabled"), HOP)
    cluster.tokens.enable(token)
    wait_for(cluster, "node1n1 serving again", lambda: not unavailable(leaf), RECOVERY)
    converged(cluster, RECOVERY)
    assert leaf.pull("apps/gate", "before").digest == before.digest
    assert leaf.has("apps/gate", "while-disabled")


def _refused_as_disabled(client: outpost.Client) -> bool:
    try:
        client.tags("apps/gate")
        return False
    except outpost.Denied as error:
        return "disabled" in error.message
    except outpost.Unauthorized:
        return False
