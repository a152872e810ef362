"""Modes (SPEC 2.1, 4.3 step 2): a ReadOnly connected registry refuses every write whatever the token allows; a
ReadWrite one takes pushes from a token that may push."""

from __future__ import annotations

import pytest

from conformance_content import make_image
from conformance_deployment import Deployment
from conformance_endpoints import ConnectedRegistry
from conformance_http import check, expect_error, expect_status, with_query

NOT_ALLOWED = "This operation is not allowed on this registry."  # SPEC 4.3 (2)


@pytest.mark.spec("4.3", "2.1")
def test_read_only_registry_refuses_every_write(deployment: Deployment, each_read_only_cr: ConnectedRegistry):
    """SPEC 4.3 (2): at a ReadOnly registry, an upload, a mount, a manifest PUT, a manifest DELETE by digest or tag
    and a blob DELETE are 403 DENIED "This operation is not allowed on this registry." with every client token
    (checked after acceptance, before the token's actions); what it holds stays readable."""
    cr = each_read_only_cr
    if not cr.client_tokens:
        pytest.skip(f"{cr.name}: the endpoints file lists no client token for it")
    repository = deployment.test_repository(cr)
    image = deployment.require_arrival(cr)
    config_digest = next(iter(image.blobs))
    writes = [
        ("POST", f"/v2/{repository}/blobs/uploads/", {}),
        ("POST", with_query(f"/v2/{repository}/blobs/uploads/", mount=config_digest, **{"from": repository}), {}),
        ("PUT", f"/v2/{repository}/manifests/{deployment.seed_tag}",
         {"data": image.manifest, "headers": {"Content-Type": image.media_type}}),
        ("DELETE", f"/v2/{repository}/manifests/{image.digest}", {}),
        ("DELETE", f"/v2/{repository}/manifests/{deployment.seed_tag}", {}),
        ("DELETE", f"/v2/{repository}/blobs/{config_digest}", {}),
    ]
    for token in cr.client_tokens:
        client = deployment.at(cr, token.credentials)
        for method, path, kwargs in writes:
            expect_error(client.request(method, path, **kwargs), 403, "DENIED",
                         f"{cr.name} (ReadOnly): {method} {path} with {token.name}", message_contains=NOT_ALLOWED)
    reader = deployment.reader(cr, repository)
    still = deployment.at(cr, reader.credentials).manifest(repository, deployment.seed_tag)
    expect_status(still, 200, f"{cr.name}: {repository}:{deployment.seed_tag} after the refused writes")
    check(still.content == image.manifest, f"{cr.name}: the manifest changed after refused writes", still)


@pytest.mark.spec("2.1", "4.3", "6.1")
def test_read_write_registry_accepts_a_push(deployment: Deployment, each_read_write_cr: ConnectedRegistry):
    """SPEC 2.1: a ReadWrite registry takes pushes from a client token with content/write; the image reads back
    identical there at once."""
    cr = each_read_write_cr
    repository = deployment.test_repository(cr)
    token = deployment.writer(cr, repository)
    client = deployment.at(cr, token.credentials, auth="auto")
    image = make_image(f"pushed at {cr.name} {deployment.run_id}")
    tag = f"cf-{deployment.run_id}-local"
    expect_status(client.push_image(repository, image, tag), 201, f"{cr.name}: manifest PUT {repository}:{tag}")
    deployment.pushed_at_cloud.append((repository, image.digest))  # it travels up (5.1): clean it up at the cloud
    answer = expect_status(client.manifest(repository, tag), 200, f"{cr.name}: GET {repository}:{tag} after the push")
    check(answer.content == image.manifest, f"{cr.name}: the manifest read back differs from the one pushed", answer)
