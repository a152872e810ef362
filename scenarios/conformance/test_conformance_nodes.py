"""Every node's public endpoints (SPEC 1.2, 1.4, 6.1): probes, the API version check, the gateway's place."""

from __future__ import annotations

import urllib.parse

import pytest

from conformance_deployment import Deployment
from conformance_http import check, expect_error, expect_status

GATEWAY_PROTOCOL_HEADER = "Outpost-Gateway-Protocol"  # docs/protocol.md, "Versioning"


def _client_of(deployment: Deployment, node: str):
    """The node with the credentials a user of it has: the cloud's from the file, a registry's first client token."""
    if node == "cloud":
        return deployment.cloud()
    cr = deployment.endpoints.cr(node)
    if not cr.client_tokens:
        pytest.skip(f"{node}: the endpoints file lists no client token for it")
    return deployment.at(cr, cr.client_tokens[0].credentials, auth="auto")


@pytest.mark.spec("6.1", "3.6")
def test_api_version_check_answers_200_with_credentials(deployment: Deployment, each_node: str):
    """distribution-spec "end-1": `GET /v2/` is 200 for a client the registry accepts (SPEC 3.6: any valid
    credentials); the Docker API version header, when sent, says `registry/2.0`."""
    client = _client_of(deployment, each_node)
    answer = expect_status(client.get("/v2/"), 200, f"{each_node}: GET /v2/ as {client.who}")
    version = answer.headers.get("Docker-Distribution-API-Version")
    check(version in (None, "registry/2.0"),
          f"{each_node}: Docker-Distribution-API-Version is {version!r}, expected registry/2.0", answer)


@pytest.mark.spec("1.4")
@pytest.mark.parametrize("probe", ["/healthz", "/readyz"])
def test_probes_answer_without_credentials(deployment: Deployment, each_node: str, probe: str):
    """SPEC 1.4: /healthz while the process serves, /readyz once ready (for a registry: activated and synced once),
    both without credentials."""
    answer = deployment.client(each_node, deployment.node_url(each_node), None).raw("GET", probe)
    expect_status(answer, 200, f"{each_node}: GET {probe} without credentials")


def _cloud_child(deployment: Deployment):
    for cr in deployment.endpoints.connected_registries:
        if cr.parent == "cloud":
            return cr
    pytest.skip("the endpoints file lists no connected registry under the cloud: no gateway request to make")


@pytest.mark.spec("1.2")
def test_gateway_requests_at_the_login_server_are_refused(deployment: Deployment):
    """SPEC 1.2: a gateway request (docs/protocol.md) that reaches the cloud's login server is 403 DENIED and the
    message names the data endpoint, whoever sends it (here the child's sync token when the file gives it)."""
    cr = _cloud_child(deployment)
    answer = deployment.cloud_as(None).raw("GET", f"/gateway/v1/{cr.name}/config",
                                           headers={GATEWAY_PROTOCOL_HEADER: "1"},
                                           auth=cr.sync_token.auth if cr.sync_token else None)
    expect_error(answer, 403, "DENIED", f"cloud login server: gateway request for {cr.name}")
    data_endpoint = deployment.endpoints.cloud.data_endpoint
    if data_endpoint is not None:
        address = urllib.parse.urlsplit(data_endpoint).netloc
        message = answer.json()["errors"][0].get("message", "")
        check(address in message, f"the refusal does not name the data endpoint {address}: {message!r}", answer)


@pytest.mark.spec("1.2", "4.1")
def test_data_endpoint_serves_the_gateway_to_a_sync_token(deployment: Deployment):
    """SPEC 1.2: the data endpoint serves the gateway API; the child's sync token reads its configuration there."""
    cr = _cloud_child(deployment)
    if deployment.endpoints.cloud.data_endpoint is None or cr.sync_token is None:
        pytest.skip("needs cloud.dataEndpoint and the sync token of a connected registry under the cloud")
    client = deployment.client("cloud data endpoint", deployment.endpoints.cloud.data_endpoint, cr.sync_token, "basic")
    answer = client.request("GET", f"/gateway/v1/{cr.name}/config", headers={GATEWAY_PROTOCOL_HEADER: "1"})
    expect_status(answer, 200, f"data endpoint: configuration of {cr.name} with its sync token")
    without = client.raw("GET", f"/gateway/v1/{cr.name}/config", headers={GATEWAY_PROTOCOL_HEADER: "1"})
    expect_error(without, 401, "UNAUTHORIZED", "data endpoint: gateway request without credentials")
