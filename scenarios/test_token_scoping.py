"""Token scoping (SPEC 3-4) on every node role of the edge-factory hierarchy: the cloud; factory, a ReadWrite
connected registry with a child; line1, a ReadOnly registry under factory; store, a ReadOnly registry under the cloud
with no child. Each scenario runs in the simulator and against a live cluster."""

from __future__ import annotations

from pathlib import Path

import pytest

import outpost
from scenario_support import HOP, LOGIN_EVERY, accepted, harness_token, refused, sync_credentials, wait_for

EDGE_FACTORY = Path(__file__).resolve().parent / "topologies" / "edge-factory.json"
ROLES = ("cloud", "factory", "line1", "store")


@pytest.mark.spec("4.1", "4.2", "7.1", "2.4")
def test_who_is_accepted_where(target):
    """The admin user at the cloud only; a client token at the cloud and at the registries that list it; a sync
    token at its parent (the cloud only for the cloud's children); a registry's own sync token nowhere below."""
    cluster = target(EDGE_FACTORY)
    factory_sync = sync_credentials(cluster, "factory")
    line1_sync = sync_credentials(cluster, "line1")
    store_sync = sync_credentials(cluster, "store")
    expected = {
        ("admin", None): {"cloud"},
        ("factory-client", None): {"cloud", "factory"},
        ("line1-client", None): {"cloud", "line1"},
        ("store-client", None): {"cloud", "store"},
        factory_sync: {"cloud"},            # its parent; not factory itself, not below
        line1_sync: {"factory"},            # its parent; the cloud refuses sync tokens of CRs under CRs (4.1)
        store_sync: {"cloud"},
        ("nobody-here", "no-password"): set(),
    }
    wrong = []
    for (token, password), where in expected.items():
        for role in ROLES:
            client = cluster.node(role).client(token, password)
            if accepted(client) != (role in where):
                wrong.append(f"{token} at {role}: {'accepted' if role not in where else 'refused'}")
    assert not wrong, "; ".join(wrong)


@pytest.mark.spec("3.1", "3.6", "4.3")
def test_actions_decide_what_a_token_does_at_each_node(target):
    """Within a node the scope map's actions decide (403 DENIED "Insufficient scopes"); a repository the registry
    does not sync is 404 NAME_UNKNOWN, after the checks of acceptance, mode and actions."""
    cluster = target(EDGE_FACTORY)
    cluster.cloud.push("apps/tool", "v1")
    cluster.cloud.push("base", "v1")
    harness_token(cluster, "apps-reader", ["repositories/apps/*/content/read"], nodes=["factory", "line1"])
    harness_token(cluster, "any-reader", ["repositories/*/content/read", "repositories/*/metadata/read"],
                  nodes=["line1"])
    for role in ("factory", "line1"):
        reader = cluster.node(role).client("apps-reader")
        wait_for(cluster, f"apps-reader accepted at {role}", lambda: accepted(reader), 2 * HOP, LOGIN_EVERY)
        wait_for(cluster, f"apps/tool:v1 at {role}", lambda: cluster.node(role).has("apps/tool", "v1"), 2 * HOP)
        assert reader.pull("apps/tool", "v1").digest == cluster.cloud.client().digest("apps/tool", "v1")
        assert reader.tags("apps/tool") == ["v1"]                       # content/read suffices for the tag list
    refused(lambda: cluster.node("factory").client("apps-reader").tags("base"),
            outpost.Denied, "DENIED", "Insufficient scopes")             # a repository outside its rules
    refused(lambda: cluster.node("factory").client("apps-reader").push("apps/tool", "v2"),
            outpost.Denied, "DENIED", "Insufficient scopes")             # no content/write
    any_reader = cluster.node("line1").client("any-reader")
    wait_for(cluster, "any-reader accepted at line1", lambda: accepted(any_reader), 2 * HOP, LOGIN_EVERY)
    refused(lambda: any_reader.tags("base"), outpost.NotFound, "NAME_UNKNOWN")  # line1 syncs apps/* only
    factory = cluster.node("factory").client()                           # push access on apps/* and base
    pushed = factory.push("apps/tool", "v2")
    refused(lambda: factory.delete("apps/tool", pushed.digest), outpost.Denied, "DENIED")   # no content/delete
    factory.delete("apps/tool", "v2")                                     # untag: metadata/write suffices


@pytest.mark.spec("3.3", "4.1", "5.2")
def test_token_changes_apply_from_the_next_request(target):
    """At the cloud a disabled token is refused from the next request and an enabled one accepted again; a second
    password leaves the first valid (rotation); at a registry the same changes arrive with the control plane."""
    cluster = target(EDGE_FACTORY)
    harness_token(cluster, "rotating", ["repositories/base/content/read"], nodes=["store"])
    at_cloud = cluster.cloud.client("rotating")
    at_store = cluster.node("store").client("rotating")
    assert accepted(at_cloud)
    wait_for(cluster, "the new token accepted at store", lambda: accepted(at_store), 2 * HOP, LOGIN_EVERY)

    cluster.tokens.disable("rotating")
    assert not accepted(at_cloud)
    wait_for(cluster, "the disabled token refused at store", lambda: not accepted(at_store), 2 * HOP, LOGIN_EVERY)
    cluster.tokens.enable("rotating")
    assert accepted(at_cloud)
    wait_for(cluster, "the enabled token accepted at store", lambda: accepted(at_store), 2 * HOP, LOGIN_EVERY)

    first = cluster.tokens.password("rotating")
    cluster.tokens.generate_credentials("rotating", "password2")
    second = cluster.tokens.password("rotating", "password2")
    assert first and second and first != second
    assert accepted(cluster.cloud.client("rotating", first)) and accepted(cluster.cloud.client("rotating", second))
    wait_for(cluster, "password2 accepted at store",
             lambda: accepted(cluster.node("store").client("rotating", second)), 2 * HOP, LOGIN_EVERY)
    assert accepted(cluster.node("store").client("rotating", first))
    cluster.tokens.generate_credentials("rotating", "password1")
    assert not accepted(cluster.cloud.client("rotating", first))     # the old password1 is gone at once


@pytest.mark.spec("4.5")
def test_refusals_never_reveal_whether_a_token_exists(target):
    """An unknown token, a wrong password and a disabled token get byte-identical 401 answers, at the cloud and at
    a registry."""
    cluster = target(EDGE_FACTORY)
    harness_token(cluster, "gone-quiet", ["repositories/base/content/read"], nodes=["store"])
    wait_for(cluster, "gone-quiet accepted at store",
             lambda: accepted(cluster.node("store").client("gone-quiet")), 2 * HOP, LOGIN_EVERY)
    cluster.tokens.disable("gone-quiet")
    wait_for(cluster, "gone-quiet refused at store",
             lambda: not accepted(cluster.node("store").client("gone-quiet")), 2 * HOP, LOGIN_EVERY)
    for role in ("cloud", "store"):
        node = cluster.node(role)
        answers = [node.client(token, password).request("GET", "/v2/base/tags/list")
                   for token, password in (("never-created", "whatever-1"), ("store-client", "not-its-password"),
                                           ("gone-quiet", cluster.tokens.password("gone-quiet")))]
        assert {answer.status for answer in answers} == {401}, [answer.status for answer in answers]
        assert len({answer.body for answer in answers}) == 1, [answer.body for answer in answers]


@pytest.mark.spec("3.1", "3.2", "4.4", "2.3", "2.6")
def test_the_control_plane_refuses_what_the_spec_forbids(target):
    """Malformed actions (400 INVALID_REQUEST), changes to system scope maps (403), a token that may write on a
    ReadOnly registry (400), a ReadWrite child under a ReadOnly parent (refused naming both) and deleting a sync
    token while its registry exists (409 CONFLICT)."""
    cluster = target(EDGE_FACTORY)
    for action in ("repositories/apps/*/*/content/read", "repositories/apps/content/fly", "gateway/line1/config/eat",
                   "repositories/a*b/content/read"):
        refused(lambda: cluster.scope_maps.create("broken-map", [action]), outpost.Invalid, "INVALID_REQUEST")
    refused(lambda: cluster.scope_maps.update("_repositories_pull", add=["repositories/x/content/write"]),
            outpost.Denied, "DENIED")
    refused(lambda: cluster.scope_maps.delete("_repositories_admin"), outpost.Denied, "DENIED")
    cluster.tokens.create("would-write", actions=["repositories/apps/*/content/write"])
    listed = cluster.connected_registries.show("line1")["clientTokens"]
    refused(lambda: cluster.connected_registries.update("line1", client_tokens=[*listed, "would-write"]),
            outpost.Invalid)
    error = refused(lambda: cluster.connected_registries.create("lineup", mode="ReadWrite", parent="line1",
                                                                repositories=["apps/*"]), outpost.RegistryError)
    assert "line1" in error.message and "lineup" in error.message, error.message
    refused(lambda: cluster.tokens.delete("store-sync-token"), outpost.Conflict, "CONFLICT")
