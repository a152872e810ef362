"""Who is accepted where (SPEC 4.1, 4.2, 4.3, 7.1): client tokens at their registry and at the cloud, the tokens of
other registries, sync tokens, the admin user, unknown tokens; and what an accepted token may do."""

from __future__ import annotations

import pytest

from conformance_deployment import Deployment
from conformance_endpoints import ConnectedRegistry, Credentials
from conformance_http import check, expect_error, expect_status

INSUFFICIENT = "Insufficient scopes to perform the operation"  # SPEC 4.3 (3), Basic credentials


def _refused(deployment: Deployment, node: str, credentials: Credentials, who: str) -> None:
    """SPEC 4.3 (1): a token this node does not accept gets 401 UNAUTHORIZED with the challenge."""
    answer = deployment.client(node, deployment.node_url(node), credentials, "basic").get("/v2/")
    expect_error(answer, 401, "UNAUTHORIZED", f"{node}: GET /v2/ with {who} ({credentials.username})")
    check(answer.headers.get("WWW-Authenticate", "").lower().startswith("bearer "),
          f"{node}: the 401 for {credentials.username} carries no Bearer challenge", answer)


def _accepted(deployment: Deployment, node: str, credentials: Credentials, who: str) -> None:
    answer = deployment.client(node, deployment.node_url(node), credentials, "basic").get("/v2/")
    expect_status(answer, 200, f"{node}: GET /v2/ with {who} ({credentials.username})")


@pytest.mark.spec("4.2", "3.6", "5.1")
def test_client_token_pulls_its_repositories(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 4.2 (a): a client token in the registry's list reads the repositories it may read there (the seed image
    pushed at the cloud: manifest, blobs, tag list), with Basic credentials."""
    image = deployment.require_arrival(each_cr)
    repository = deployment.test_repository(each_cr)
    for token in each_cr.client_tokens:
        if not token.can_read(repository):
            continue
        client = deployment.at(each_cr, token.credentials)
        answer = expect_status(client.manifest(repository, deployment.seed_tag), 200,
                               f"{each_cr.name}: GET {repository}:{deployment.seed_tag} with {token.name}")
        check(answer.content == image.manifest, f"{each_cr.name}: the manifest bytes differ from those pushed", answer)
        for digest, data in image.blobs.items():
            blob = expect_status(client.get(f"/v2/{repository}/blobs/{digest}"), 200,
                                 f"{each_cr.name}: GET blob {digest[:19]} with {token.name}")
            check(blob.content == data, f"{each_cr.name}: blob {digest[:19]} bytes differ", blob)
        tags = expect_status(client.tags(repository), 200, f"{each_cr.name}: tags/list of {repository}")
        check(deployment.seed_tag in (tags.json().get("tags") or []),
              f"{each_cr.name}: {deployment.seed_tag} not listed in {repository}", tags)


@pytest.mark.spec("4.3", "3.6")
def test_client_token_is_refused_outside_its_repositories(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 4.3: a repository the token may not read -> 403 DENIED "Insufficient scopes..." with Basic credentials
    (step 3); one it may read but the registry does not sync -> 404 NAME_UNKNOWN / MANIFEST_UNKNOWN (step 4)."""
    outside = deployment.endpoints.outside_repository(each_cr, deployment.run_id)
    if outside is None:
        pytest.skip(f"{each_cr.name} syncs `*`: every repository is its own")
    if not each_cr.client_tokens:
        pytest.skip(f"{each_cr.name}: the endpoints file lists no client token for it")
    for token in each_cr.client_tokens:
        client = deployment.at(each_cr, token.credentials)
        for what, answer in (("manifest", client.manifest(outside, "latest")), ("tags/list", client.tags(outside))):
            label = f"{each_cr.name}: {what} of {outside} (not synced) with {token.name}"
            if token.can_read(outside):
                expect_error(answer, 404, ("NAME_UNKNOWN", "MANIFEST_UNKNOWN"), label)
            else:
                expect_error(answer, 403, "DENIED", label, message_contains=INSUFFICIENT)


@pytest.mark.spec("4.3", "3.6")
def test_push_without_write_action_is_denied(deployment: Deployment, each_read_write_cr: ConnectedRegistry):
    """SPEC 4.3 (3): at a ReadWrite registry, a client token without content/write on the repository gets 403 DENIED
    "Insufficient scopes..." for an upload."""
    cr = each_read_write_cr
    repository = deployment.test_repository(cr)
    readers = [t for t in cr.client_tokens if not t.allows(repository, "content/write")]
    if not readers:
        pytest.skip(f"{cr.name}: every client token in the endpoints file may push to {repository}")
    for token in readers:
        answer = deployment.at(cr, token.credentials).request("POST", f"/v2/{repository}/blobs/uploads/")
        expect_error(answer, 403, "DENIED", f"{cr.name}: upload to {repository} with {token.name}",
                     message_contains=INSUFFICIENT)


@pytest.mark.spec("4.2")
def test_client_tokens_of_other_registries_are_refused(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 4.2: client tokens of other connected registries (not in this one's list) get 401."""
    own = {t.name for t in each_cr.client_tokens}
    others = [(cr.name, t) for cr in deployment.endpoints.connected_registries if cr.name != each_cr.name
              for t in cr.client_tokens if t.name not in own]
    if not others:
        pytest.skip("the endpoints file lists no client token of another connected registry")
    for owner, token in others:
        _refused(deployment, each_cr.name, token.credentials, f"a client token of {owner}")


@pytest.mark.spec("4.2", "7.1")
def test_admin_user_is_refused_at_connected_registries(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 4.2, 7.1: the admin user is accepted only at the cloud."""
    admin = deployment.require_admin("whether connected registries refuse it is not checked")
    _refused(deployment, each_cr.name, admin, "the admin user")


@pytest.mark.spec("4.2")
def test_own_sync_token_is_refused_at_the_client_api(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 4.2: a connected registry does not accept its own sync token."""
    if each_cr.sync_token is None:
        pytest.skip(f"{each_cr.name}: the endpoints file gives no sync token for it")
    _refused(deployment, each_cr.name, each_cr.sync_token, "its own sync token")


@pytest.mark.spec("4.2")
def test_sync_tokens_of_children_are_accepted(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 4.2 (b): the sync tokens of a registry's direct children are accepted there, with content for the
    child's repositories."""
    children = [c for c in deployment.endpoints.children(each_cr.name) if c.sync_token is not None]
    if not children:
        pytest.skip(f"{each_cr.name}: no child with a sync token in the endpoints file")
    for child in children:
        _accepted(deployment, each_cr.name, child.sync_token, f"the sync token of its child {child.name}")
        image = deployment.require_arrival(child)
        repository = deployment.test_repository(child)
        answer = deployment.at(each_cr, child.sync_token).manifest(repository, deployment.seed_tag)
        expect_status(answer, 200, f"{each_cr.name}: {repository}:{deployment.seed_tag} with {child.name}'s sync token")
        check(answer.content == image.manifest, f"{each_cr.name}: manifest bytes differ", answer)


@pytest.mark.spec("4.2")
def test_sync_tokens_of_other_registries_are_refused(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 4.2: sync tokens other than its direct children's (siblings, grandchildren, cousins) get 401."""
    others = [cr for cr in deployment.endpoints.connected_registries
              if cr.sync_token is not None and cr.name != each_cr.name and cr.parent != each_cr.name]
    if not others:
        pytest.skip("the endpoints file gives no sync token of a registry that is not a child of this one")
    for other in others:
        _refused(deployment, each_cr.name, other.sync_token, f"the sync token of {other.name}")


@pytest.mark.spec("4.1", "3.6")
def test_client_tokens_are_accepted_at_the_cloud(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 4.1: every enabled token is accepted at the cloud with its scope map's actions: a client token reads its
    repositories there too."""
    if not each_cr.client_tokens:
        pytest.skip(f"{each_cr.name}: the endpoints file lists no client token for it")
    repository = deployment.test_repository(each_cr)
    image = deployment.seeded()[repository]
    for token in each_cr.client_tokens:
        _accepted(deployment, "cloud", token.credentials, f"a client token of {each_cr.name}")
        if token.can_read(repository):
            answer = deployment.cloud_as(token.credentials).manifest(repository, deployment.seed_tag)
            expect_status(answer, 200, f"cloud: {repository}:{deployment.seed_tag} with {token.name}")
            check(answer.content == image.manifest, "cloud: manifest bytes differ", answer)


@pytest.mark.spec("4.1")
def test_sync_tokens_at_the_cloud(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 4.1: the cloud accepts the sync token of a registry under it, and refuses (401) the sync token of a
    registry whose parent is another connected registry."""
    if each_cr.sync_token is None:
        pytest.skip(f"{each_cr.name}: the endpoints file gives no sync token for it")
    if each_cr.parent == "cloud":
        _accepted(deployment, "cloud", each_cr.sync_token, f"the sync token of {each_cr.name} (a child of the cloud)")
    else:
        _refused(deployment, "cloud", each_cr.sync_token, f"the sync token of {each_cr.name} (a child of "
                                                          f"{each_cr.parent})")


@pytest.mark.spec("4.1", "4.3")
def test_unknown_token_is_refused_at_the_cloud(deployment: Deployment):
    """SPEC 4.1, 4.3 (1): a token the deployment does not know gets 401 with the challenge at the cloud."""
    _refused(deployment, "cloud", Credentials(f"cfunknown{deployment.run_id}", "no-such-password"), "an unknown token")


@pytest.mark.spec("4.2", "4.3")
def test_unknown_token_is_refused_at_each_registry(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 4.2, 4.3 (1): a token the deployment does not know gets 401 with the challenge at a connected
    registry."""
    _refused(deployment, each_cr.name, Credentials(f"cfunknown{deployment.run_id}", "no-such-password"),
             "an unknown token")
