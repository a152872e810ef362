"""Authentication as a client meets it (SPEC 3.4, 3.6, 4.3, 4.5): the challenge, the scope it names per route, the
token endpoint and its JWTs, Bearer scopes, and refusals that do not tell whether a token exists."""

from __future__ import annotations

import time
import urllib.parse

import pytest

from conformance_deployment import Deployment
from conformance_endpoints import ConnectedRegistry, Credentials
from conformance_http import check, expect_error, expect_status, fail, jwt_parts, parse_challenge

ZERO_DIGEST = "sha256:" + "0" * 64

# SPEC 3.6: route -> (method, path template, challenge scopes). {n} is the repository, {o} another one.
ROUTES = {
    "manifest-get": ("GET", "/v2/{n}/manifests/cf-tag", ["repository:{n}:pull"]),
    "manifest-head": ("HEAD", "/v2/{n}/manifests/cf-tag", ["repository:{n}:pull"]),
    "blob-get": ("GET", f"/v2/{{n}}/blobs/{ZERO_DIGEST}", ["repository:{n}:pull"]),
    "upload-start": ("POST", "/v2/{n}/blobs/uploads/", ["repository:{n}:pull,push"]),
    "manifest-put": ("PUT", "/v2/{n}/manifests/cf-tag", ["repository:{n}:pull,push"]),
    "mount": ("POST", f"/v2/{{n}}/blobs/uploads/?mount={ZERO_DIGEST}&from={{o}}",
              ["repository:{n}:pull,push", "repository:{o}:pull"]),
    "manifest-delete-digest": ("DELETE", f"/v2/{{n}}/manifests/{ZERO_DIGEST}", ["repository:{n}:delete"]),
    "manifest-delete-tag": ("DELETE", "/v2/{n}/manifests/cf-tag", ["repository:{n}:metadata_write"]),
    "blob-delete": ("DELETE", f"/v2/{{n}}/blobs/{ZERO_DIGEST}", ["repository:{n}:delete"]),
    "tags-list": ("GET", "/v2/{n}/tags/list", ["repository:{n}:pull"]),
    "referrers": ("GET", f"/v2/{{n}}/referrers/{ZERO_DIGEST}", ["repository:{n}:pull"]),
    "catalog": ("GET", "/v2/_catalog", ["registry:catalog:*"]),
}


def _repository_at(deployment: Deployment, node: str) -> str:
    if node == "cloud":
        return deployment.scratch("auth")
    return deployment.endpoints.test_repository(deployment.endpoints.cr(node), deployment.run_id) or "conformance"


def _user_of(deployment: Deployment, node: str) -> tuple[Credentials, str]:
    """Credentials a user of `node` holds, and a repository they may read there."""
    if node == "cloud":
        return deployment.require_cloud_credentials(), deployment.scratch("auth")
    cr = deployment.endpoints.cr(node)
    repository = deployment.test_repository(cr)
    return deployment.reader(cr, repository).credentials, repository


def _host(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme, parts.netloc


def _challenge(answer, what: str) -> dict[str, str]:
    header = answer.headers.get("WWW-Authenticate")
    check(header, f"{what}: 401 without a WWW-Authenticate challenge", answer)
    scheme, params = parse_challenge(header)
    check(scheme == "bearer", f"{what}: the challenge is {header!r}, expected a Bearer challenge", answer)
    return params


@pytest.mark.spec("3.4", "4.3")
def test_request_without_credentials_is_challenged(deployment: Deployment, each_node: str):
    """SPEC 3.4, 4.3 (1): no credentials -> 401 UNAUTHORIZED with `Bearer realm="<scheme>://<Host>/oauth2/token",
    service="<Host>"`, Host as the request named it."""
    url = deployment.node_url(each_node)
    answer = deployment.client(each_node, url, None).raw("GET", "/v2/")
    expect_error(answer, 401, "UNAUTHORIZED", f"{each_node}: GET /v2/ without credentials")
    params = _challenge(answer, f"{each_node}: GET /v2/")
    scheme, host = _host(url)
    check(params.get("realm") == f"{scheme}://{host}/oauth2/token",
          f"{each_node}: challenge realm {params.get('realm')!r}, expected {scheme}://{host}/oauth2/token", answer)
    check(params.get("service") == host,
          f"{each_node}: challenge service {params.get('service')!r}, expected {host!r}", answer)


@pytest.mark.spec("3.6", "3.4")
@pytest.mark.parametrize("route", list(ROUTES))
def test_challenge_names_the_scope_the_route_needs(deployment: Deployment, each_node: str, route: str):
    """SPEC 3.6: the 401 challenge of each route names the scope that route needs (mount: both repositories)."""
    method, template, scopes = ROUTES[route]
    repository = _repository_at(deployment, each_node)
    other = f"{deployment.endpoints.cloud.scratch_repository}/{deployment.run_id}-source"
    path = template.format(n=repository, o=other)
    answer = deployment.client(each_node, deployment.node_url(each_node), None).raw(method, path)
    expect_status(answer, 401, f"{each_node}: {method} {path} without credentials")
    params = _challenge(answer, f"{each_node}: {method} {path}")
    wanted = sorted(s.format(n=repository, o=other) for s in scopes)
    found = sorted(params.get("scope", "").split())
    check(found == wanted, f"{each_node}: {method} {path}: challenge scope {params.get('scope')!r}, expected "
                           f"{' '.join(wanted)!r}", answer)


def _token_from(deployment: Deployment, node: str, credentials: Credentials, scopes: list[str], realm_path: str = "",
                method: str = "GET") -> tuple[dict, str]:
    """Asks the node's token endpoint (the realm of its challenge, or `realm_path`) for `scopes`; returns the JSON
    answer and the service it named."""
    url = deployment.node_url(node)
    anonymous = deployment.client(node, url, None)
    params = _challenge(expect_status(anonymous.raw("GET", "/v2/"), 401, f"{node}: GET /v2/ without credentials"),
                        f"{node}: GET /v2/")
    realm = realm_path or params.get("realm", "")
    service = params.get("service", "")
    if method == "GET":
        answer = anonymous.raw("GET", realm, params=[("service", service), *[("scope", s) for s in scopes]],
                               auth=credentials.auth)
    else:
        answer = anonymous.raw("POST", realm, data={"grant_type": "password", "username": credentials.username,
                                                    "password": credentials.password, "service": service,
                                                    "scope": " ".join(scopes)})
    expect_status(answer, 200, f"{node}: {method} token endpoint {realm} for {' '.join(scopes)} as "
                               f"{credentials.username}")
    try:
        document = answer.json()
    except ValueError:
        fail(f"{node}: the token endpoint's answer is not JSON", answer)
    missing = [k for k in ("token", "access_token", "expires_in", "issued_at") if k not in document]
    check(not missing, f"{node}: the token answer lacks {', '.join(missing)}", answer)
    return document, service


def _claims(deployment: Deployment, node: str, document: dict, service: str) -> dict:
    parts = jwt_parts(document["access_token"])
    check(parts is not None, f"{node}: access_token is not a JWT: {document['access_token'][:40]!r}")
    header, payload = parts
    check(header.get("alg") == "ES256" and header.get("kid"),
          f"{node}: JWT header {header}, expected alg ES256 with a kid")
    missing = [k for k in ("iss", "sub", "aud", "exp", "nbf", "iat", "jti", "access") if k not in payload]
    check(not missing, f"{node}: JWT lacks claims {', '.join(missing)}: {payload}")
    audience = payload["aud"] if isinstance(payload["aud"], list) else [payload["aud"]]
    check(service in audience, f"{node}: JWT aud {payload['aud']!r}, expected the service {service!r}")
    check(payload["exp"] > time.time() - 60, f"{node}: JWT already expired (exp {payload['exp']})")
    return payload


def _granted(payload: dict, repository: str) -> set[str]:
    return {action for entry in payload.get("access") or [] if entry.get("type") == "repository"
            and entry.get("name") == repository for action in entry.get("actions") or []}


@pytest.mark.spec("3.4")
def test_token_endpoint_issues_a_jwt_that_pulls(deployment: Deployment, each_node: str):
    """SPEC 3.4: `GET /oauth2/token` with Basic credentials, `service` and `scope` -> {token, access_token,
    expires_in, issued_at}; the access token is an ES256 JWT for this service granting the pull, and it works."""
    credentials, repository = _user_of(deployment, each_node)
    document, service = _token_from(deployment, each_node, credentials, [f"repository:{repository}:pull"])
    payload = _claims(deployment, each_node, document, service)
    check("pull" in _granted(payload, repository),
          f"{each_node}: JWT access {payload.get('access')} does not grant pull on {repository}")
    client = deployment.client(each_node, deployment.node_url(each_node), None)
    answer = client.raw("GET", f"/v2/{repository}/tags/list",
                        headers={"Authorization": f"Bearer {document['access_token']}"})
    check(answer.status_code in (200, 404), f"{each_node}: tags/list with the issued Bearer token: expected 200 (or "
                                            f"404 for a repository not there yet), got {answer.status_code}", answer)


@pytest.mark.spec("3.4")
def test_token_endpoint_takes_a_password_grant(deployment: Deployment, each_node: str):
    """SPEC 3.4: `POST /oauth2/token` with `grant_type=password`, `username`, `password` -> the same answer."""
    credentials, repository = _user_of(deployment, each_node)
    document, service = _token_from(deployment, each_node, credentials, [f"repository:{repository}:pull"],
                                    method="POST")
    _claims(deployment, each_node, document, service)


@pytest.mark.spec("3.4")
def test_connected_registry_serves_the_acr_token_path(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 3.4: a connected registry also serves the token endpoint at `/acr/oauth2/token`."""
    credentials, repository = _user_of(deployment, each_cr.name)
    document, service = _token_from(deployment, each_cr.name, credentials, [f"repository:{repository}:pull"],
                                    realm_path="/acr/oauth2/token")
    _claims(deployment, each_cr.name, document, service)


@pytest.mark.spec("3.4")
def test_asking_for_more_is_granted_the_intersection(deployment: Deployment, each_cr: ConnectedRegistry):
    """SPEC 3.4: asking for more than the token may do is not an error; the grant is the intersection (a read-only
    client token asking for push and delete gets pull only; a repository it cannot read gets nothing)."""
    repository = deployment.test_repository(each_cr)
    token = deployment.reader(each_cr, repository)
    outside = deployment.endpoints.outside_repository(each_cr, deployment.run_id) or "conformance-nowhere/x"
    document, service = _token_from(deployment, each_cr.name, token.credentials,
                                    [f"repository:{repository}:pull,push,delete", f"repository:{outside}:pull"])
    payload = _claims(deployment, each_cr.name, document, service)
    granted = _granted(payload, repository)
    allowed = {"pull"} | ({"push"} if token.allows(repository, "content/write") else set()) \
        | ({"delete"} if token.allows(repository, "content/delete") else set())
    check("pull" in granted and granted <= allowed,
          f"{each_cr.name}: {token.name} was granted {sorted(granted)} on {repository}, expected pull and at most "
          f"{sorted(allowed)}")
    if not token.can_read(outside):
        check(not _granted(payload, outside),
              f"{each_cr.name}: {token.name} was granted {sorted(_granted(payload, outside))} on {outside}, which it "
              "may not read")


@pytest.mark.spec("4.3", "3.4")
def test_bearer_token_without_the_scope_gets_insufficient_scope(deployment: Deployment, each_node: str):
    """SPEC 4.3 (3): an action missing from a Bearer JWT -> 401 with the challenge and `error="insufficient_scope"`
    (a JWT for one repository used on another)."""
    credentials, repository = _user_of(deployment, each_node)
    document, _ = _token_from(deployment, each_node, credentials, [f"repository:{repository}:pull"])
    other = deployment.scratch("elsewhere") if each_node == "cloud" else \
        (deployment.endpoints.outside_repository(deployment.endpoints.cr(each_node), deployment.run_id)
         or "conformance-nowhere/x")
    client = deployment.client(each_node, deployment.node_url(each_node), None)
    answer = client.raw("GET", f"/v2/{other}/tags/list", headers={"Authorization": f"Bearer {document['token']}"})
    expect_error(answer, 401, "UNAUTHORIZED", f"{each_node}: tags/list of {other} with a JWT for {repository}")
    header = answer.headers.get("WWW-Authenticate", "")
    _, params = parse_challenge(header)
    check(params.get("error") == "insufficient_scope" and params.get("scope") == f"repository:{other}:pull",
          f"{each_node}: challenge {header!r}, expected error=\"insufficient_scope\" and scope "
          f"repository:{other}:pull", answer)


def _known_token(deployment: Deployment, node: str) -> str:
    if node == "cloud":
        for cr in deployment.endpoints.connected_registries:
            for token in cr.client_tokens:
                return token.name
        if deployment.endpoints.cloud.token is not None:
            return deployment.endpoints.cloud.token.username
        pytest.skip("the endpoints file names no token known to the cloud")
    cr = deployment.endpoints.cr(node)
    if not cr.client_tokens:
        pytest.skip(f"{node}: the endpoints file lists no client token for it")
    return cr.client_tokens[0].name


@pytest.mark.spec("4.5")
def test_wrong_password_and_unknown_token_are_indistinguishable(deployment: Deployment, each_node: str):
    """SPEC 4.5: a wrong password for an existing token and an unknown token get byte-identical answers."""
    known = _known_token(deployment, each_node)
    client = deployment.client(each_node, deployment.node_url(each_node), None)
    path = f"/v2/{_repository_at(deployment, each_node)}/tags/list"
    answers = {}
    for label, user in (("wrong password", known), ("unknown token", f"cfnobody{deployment.run_id}")):
        answers[label] = client.raw("GET", path, auth=(user, f"not-the-password-{deployment.run_id}"))
        expect_error(answers[label], 401, "UNAUTHORIZED", f"{each_node}: {label} ({user})")
    wrong, unknown = answers["wrong password"], answers["unknown token"]
    check(wrong.content == unknown.content,
          f"{each_node}: the bodies differ between a wrong password and an unknown token", wrong, unknown)
    check(wrong.headers.get("WWW-Authenticate") == unknown.headers.get("WWW-Authenticate"),
          f"{each_node}: the challenges differ between a wrong password and an unknown token", wrong, unknown)

