"""Mode restrictions (SPEC 1, 2.2-2.3, 4.3-4.4): a ReadOnly connected registry refuses every write whatever the token,
before it looks at the token's actions; a ReadWrite one takes pushes and sends them up to the cloud."""

from __future__ import annotations

from pathlib import Path

import pytest

import outpost
from scenario_support import HOP, LOGIN_EVERY, accepted, converged, harness_token, refused, wait_for

EDGE_FACTORY = Path(__file__).resolve().parent / "topologies" / "edge-factory.json"
NOT_ALLOWED = "This operation is not allowed on this registry."


def writes(client: outpost.Client, repository: str, digest: str):
    """Every kind of write of SPEC 4.3 (2), each a call that must be refused."""
    blob = b"a blob for a registry that refuses writes"
    from outpost.oci import digest_of
    return {
        "upload start": lambda: client._call("POST", f"/v2/{repository}/blobs/uploads/", expect=(202,)),
        "monolithic upload": lambda: client.push_blob(repository, blob),
        "manifest PUT": lambda: client.push(repository, "refused"),
        "untag": lambda: client.delete(repository, "v1"),
        "manifest DELETE": lambda: client.delete(repository, digest),
        "blob DELETE": lambda: client._call("DELETE", f"/v2/{repository}/blobs/{digest_of(blob)}", expect=(202,)),
        "mount": lambda: client._call("POST", f"/v2/{repository}/blobs/uploads/?mount={digest_of(blob)}&from=base",
                                      expect=(201,)),
    }


@pytest.mark.spec("4.3", "4.4", "2.3", "1.1")
def test_read_only_registries_refuse_every_write_whatever_the_token(target):
    """At line1 (ReadOnly under a ReadWrite parent) and store (ReadOnly under the cloud), each write is 403 DENIED
    "This operation is not allowed on this registry.", with the node's own client token and with a token whose
    reads cover everything (ReadOnly registries hold read-only tokens only, SPEC 4.4)."""
    cluster = target(EDGE_FACTORY)
    cluster.cloud.push("apps/tool", "v1")
    pushed = cluster.cloud.push("base", "v1")
    harness_token(cluster, "reads-all", ["repositories/*/content/read", "repositories/*/metadata/read"],
                  nodes=["line1", "store"])
    converged(cluster, 2 * HOP)
    for role, repository in (("line1", "apps/tool"), ("store", "base")):
        digest = cluster.node(role).client().digest(repository, "v1")
        assert digest == cluster.cloud.client().digest(repository, "v1")
        for token in (None, "reads-all"):
            client = cluster.node(role).client(token)
            wait_for(cluster, f"{client!r} accepted", lambda: accepted(client), 2 * HOP, LOGIN_EVERY)
            for what, call in writes(client, repository, digest).items():
                error = refused(call, outpost.Denied, "DENIED")
                assert error.message == NOT_ALLOWED, f"{what} at {role}: {error.message}"
        assert cluster.node(role).has(repository, "v1")  # nothing was changed
    assert cluster.cloud.client().digest("base", "v1") == pushed.digest


@pytest.mark.spec("4.3", "1.3")
def test_the_mode_is_checked_before_the_actions(target):
    """A token without write actions gets the mode's refusal at a ReadOnly registry ("not allowed") and the actions'
    refusal at a ReadWrite one ("Insufficient scopes"): check 2 of SPEC 4.3 comes before check 3."""
    cluster = target(EDGE_FACTORY)
    harness_token(cluster, "apps-pull", ["repositories/apps/*/content/read"], nodes=["factory", "line1"])
    for role, message in (("line1", NOT_ALLOWED), ("factory", "Insufficient scopes")):
        client = cluster.node(role).client("apps-pull")
        wait_for(cluster, f"apps-pull accepted at {role}", lambda: accepted(client), 2 * HOP, LOGIN_EVERY)
        error = refused(lambda: client.push("apps/tool", "v9"), outpost.Denied, "DENIED")
        assert message in error.message, f"{role}: {error.message}"


@pytest.mark.spec("5.1", "2.2")
def test_a_read_write_registry_takes_pushes_and_sends_them_up(target):
    """A push at factory (ReadWrite, the default mode) is acknowledged there, reaches the cloud, and from there
    line1 below factory; store does not sync apps/* and never holds it."""
    cluster = target(EDGE_FACTORY)
    pushed = cluster.node("factory").push("apps/local", "v1", {"layers": [4096, 8192]})
    wait_for(cluster, "the push at factory reaching the cloud", lambda: cluster.cloud.has("apps/local", "v1"),
             2 * HOP)
    converged(cluster, 3 * HOP)
    assert cluster.node("line1").pull("apps/local", "v1").digest == pushed.digest
    assert "apps/local" not in cluster.node("store").client("store-client").catalog()
    assert cluster.connected_registries.show("factory")["mode"] == "ReadWrite"
