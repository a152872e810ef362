"""Synchronization seen from outside (SPEC 5.1, 5.4, 2.5): what is pushed, moved, referred to or deleted at one node
shows at every node that syncs the repository within the endpoints file's `timeouts.propagation`, and nowhere else.

Each check waits by polling with that deadline (continuous sync, SPEC 5.4, makes "soon" the only promise); a
failure says what was last seen.
"""

from __future__ import annotations

import pytest

from conformance_content import OCI_INDEX, make_image, make_referrer
from conformance_deployment import Deployment
from conformance_endpoints import ConnectedRegistry
from conformance_http import Client, check, expect_status, fail, wait_until

ARTIFACT_TYPE = "application/vnd.outpost.conformance.note"


def _wait_manifest(deployment: Deployment, client: Client, repository: str, reference: str, expected: bytes | None,
                   what: str) -> None:
    """Until `repository:reference` reads as `expected` (None: until it is gone, 404)."""
    def observe():
        answer = client.manifest(repository, reference)
        if expected is None:
            return answer.status_code == 404, answer
        return answer.status_code == 200 and answer.content == expected, answer

    wait_until(observe, deployment.timeouts.propagation, deployment.timeouts.poll, what)


def _reader_client(deployment: Deployment, cr: ConnectedRegistry, repository: str) -> Client:
    return deployment.at(cr, deployment.reader(cr, repository).credentials, auth="auto")


@pytest.mark.spec("5.1", "5.4")
def test_cloud_push_reaches_every_registry_that_syncs_it(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 5.1: an image pushed at the cloud reaches each connected registry syncing its repository (through every
    ancestor), manifest and blobs byte-identical, within the deadline."""
    arrived = deployment.arrival(each_cr)
    if not arrived.ok:
        fail(arrived.message)
    repository = deployment.test_repository(each_cr)
    image = deployment.seeded()[repository]
    client = _reader_client(deployment, each_cr, repository)
    for digest, data in image.blobs.items():
        blob = expect_status(client.get(f"/v2/{repository}/blobs/{digest}"), 200,
                             f"{each_cr.name}: blob {digest[:19]} of {repository}:{deployment.seed_tag}")
        check(blob.content == data, f"{each_cr.name}: blob {digest[:19]} bytes differ from those pushed", blob)


@pytest.mark.spec("5.1", "2.5", "4.3")
def test_content_stays_away_from_registries_that_do_not_sync_it(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 5.1, 2.5: once a seed image has reached the registries that sync its repository, a registry that does not
    sync it answers 404 for it (observable only through a client token that may read that repository there)."""
    seeded = deployment.seeded()
    pairs = [(repository, token) for repository in seeded if not deployment.endpoints.syncs(each_cr, repository)
             for token in each_cr.client_tokens if token.can_read(repository)]
    if not pairs:
        pytest.skip(f"{each_cr.name}: no client token may read a seeded repository it does not sync, so absence "
                    "cannot be told from refusal")
    for repository, token in pairs:
        for cr in deployment.endpoints.connected_registries:
            if deployment.endpoints.test_repository(cr, deployment.run_id) == repository:
                deployment.require_arrival(cr)
        answer = deployment.at(each_cr, token.credentials).manifest(repository, deployment.seed_tag)
        expect_status(answer, 404, f"{each_cr.name}: {repository}:{deployment.seed_tag}, a repository it does not sync")


@pytest.mark.spec("5.1")
def test_tag_moved_at_the_cloud_moves_everywhere(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 5.1: a tag pushed again at the cloud with another manifest shows the new manifest at the registry."""
    repository = deployment.test_repository(each_cr)
    client = _reader_client(deployment, each_cr, repository)
    tag = f"cf-{deployment.run_id}-move-{each_cr.name}"
    first, second = (make_image(f"move {n} {each_cr.name} {deployment.run_id}") for n in (1, 2))
    deployment.push_at_cloud(repository, first, tag)
    _wait_manifest(deployment, client, repository, tag, first.manifest,
                   f"{each_cr.name}: {repository}:{tag} (first manifest) pushed at the cloud")
    deployment.push_at_cloud(repository, second, tag)
    _wait_manifest(deployment, client, repository, tag, second.manifest,
                   f"{each_cr.name}: {repository}:{tag} moved to a second manifest at the cloud")


@pytest.mark.spec("5.1", "6.1")
def test_referrers_reach_the_registry(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 5.1: referrers travel with their subject: an artifact pushed at the cloud with the seed image as
    `subject` is listed by the registry's referrers API."""
    subject = deployment.require_arrival(each_cr)
    repository = deployment.test_repository(each_cr)
    artifact = make_referrer(subject, ARTIFACT_TYPE, f"{each_cr.name} {deployment.run_id}")
    deployment.push_at_cloud(repository, artifact, artifact.digest)
    client = _reader_client(deployment, each_cr, repository)

    def observe():
        answer = client.get(f"/v2/{repository}/referrers/{subject.digest}")
        if answer.status_code != 200:
            return False, answer
        listed = [m.get("digest") for m in (answer.json().get("manifests") or [])]
        return artifact.digest in listed, answer

    answer = wait_until(observe, deployment.timeouts.propagation, deployment.timeouts.poll,
                        f"{each_cr.name}: referrer {artifact.digest[:19]} of {repository}@{subject.digest[:19]}")
    check(answer.headers.get("Content-Type", "").startswith(OCI_INDEX),
          f"{each_cr.name}: the referrers answer is not an image index", answer)


@pytest.mark.spec("5.1")
@pytest.mark.parametrize("how", ["by-digest", "untag"])
def test_delete_at_the_cloud_reaches_the_registry(deployment: Deployment, each_cr: ConnectedRegistry, how: str):
    """SPEC 5.1: deletes and untags propagate like pushes: a manifest deleted by digest (or a tag deleted) at the
    cloud is gone (404) at the registry."""
    repository = deployment.test_repository(each_cr)
    client = _reader_client(deployment, each_cr, repository)
    tag = f"cf-{deployment.run_id}-{how}-{each_cr.name}"
    image = make_image(f"delete {how} {each_cr.name} {deployment.run_id}")
    deployment.push_at_cloud(repository, image, tag)
    _wait_manifest(deployment, client, repository, tag, image.manifest,
                   f"{each_cr.name}: {repository}:{tag} pushed at the cloud")
    reference = image.digest if how == "by-digest" else tag
    expect_status(deployment.cloud().delete_manifest(repository, reference), 202,
                  f"cloud: DELETE {repository} manifest {reference}")
    _wait_manifest(deployment, client, repository, tag, None,
                   f"{each_cr.name}: {repository}:{tag} gone after DELETE {reference[:19]} at the cloud")


@pytest.mark.spec("5.1")
def test_push_at_a_read_write_registry_reaches_the_cloud_and_the_others(deployment: Deployment,
                                                                         each_read_write_cr: ConnectedRegistry):
    """SPEC 5.1: content pushed to a ReadWrite registry goes up hop by hop to the cloud, and from there down to every
    other registry that syncs the repository."""
    cr = each_read_write_cr
    repository = deployment.test_repository(cr)
    token = deployment.writer(cr, repository)
    image = make_image(f"push-up {cr.name} {deployment.run_id}")
    tag = f"cf-{deployment.run_id}-up-{cr.name}"
    expect_status(deployment.at(cr, token.credentials, auth="auto").push_image(repository, image, tag), 201,
                  f"{cr.name}: manifest PUT {repository}:{tag} with {token.name}")
    deployment.pushed_at_cloud.append((repository, image.digest))
    deployment.require_cloud_credentials()
    _wait_manifest(deployment, deployment.cloud(), repository, tag, image.manifest,
                   f"cloud: {repository}:{tag} pushed at {cr.name}")
    for other in deployment.endpoints.connected_registries:
        if other.name == cr.name or not deployment.endpoints.syncs(other, repository):
            continue
        readers = [t for t in other.client_tokens if t.can_read(repository)]
        if readers:
            _wait_manifest(deployment, deployment.at(other, readers[0].credentials, auth="auto"), repository, tag,
                           image.manifest, f"{other.name}: {repository}:{tag} pushed at {cr.name}")
