"""Repository-scoped tokens on the wire, against a real `outpost serve` (SPEC 3, 4.1, 4.3, 4.5, 7).

Every token here is made through the CLI (`outpost token create ...`, `outpost scope-map update ...`,
`outpost token credential generate ...`), as an operator would, and used three ways: HTTP Basic on a registry route, the
Docker token flow (`GET`/`POST /oauth2/token`, then `Authorization: Bearer <JWT>`), and skopeo, which finds the flow on
its own from the 401 challenge. Each test names the SPEC clauses it checks.

Requests that must carry no credentials, or other credentials than the admin user's, go through a `requests.Session`
that ignores the environment (conftest's NETRC would otherwise add the admin user's Basic credentials, and would even
replace an explicit `Authorization: Bearer` header). The admin user is only used, explicitly, to set up content.

Forged JWTs: ES256 signatures are made with the `openssl` command line (Python's standard library has no ECDSA). To
tell "refused because of this claim" from "refused because the signature no longer matches", the tests that change a
claim re-sign the token with the node's own key, read from the node's control database, and first show that the same
re-signing with the claims unchanged is accepted. The test that only edits `exp` without re-signing is refused by the
signature check alone, as noted there; the exact expiry arithmetic (leeway included) is covered by the unit tests.

Not repeated here: the OCI conformance workflows (test_conformance.py) run with the admin user's credentials, which
every request of that module carries through NETRC, so they show the admin user may do every repository action (SPEC
7.1) and that authentication did not change the registry's OCI behaviour.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest
import requests

from conftest import ADMIN_PASSWORD, ADMIN_USER
from oci_client import (
    OCI_INDEX, OCI_MANIFEST, OCTET_STREAM, Blob, OciClient, assert_oci_error, digest_of, make_config, make_image,
    make_layer, random_bytes,
)
from oci_layout import OciLayout, blob_path, read_ref, sha256_file

TIMEOUT = 30
SKOPEO_TIMEOUT = 300
ADMIN = (ADMIN_USER, ADMIN_PASSWORD)
PAST = "2001-02-03T04:05:06Z"
INSUFFICIENT_SCOPES = "Insufficient scopes to perform the operation"  # SPEC 4.3 step 3
MANIFEST_ACCEPT = {"Accept": f"{OCI_MANIFEST}, {OCI_INDEX}"}
SIGNING_KEY_SETTING = "jwt.signing_key"  # where a node keeps its JWT key, in <data>/control.db (SPEC 3.4)


# --- the node and its CLI ----------------------------------------------------------------------------------------------


class Node:
    """One `outpost serve`, driven through the CLI and a credential-free HTTP session."""

    def __init__(self, server, binary: Path):
        self.server = server
        self.binary = binary
        self.http = requests.Session()
        self.http.trust_env = False  # no NETRC: only the credentials a call names are sent

    @property
    def url(self) -> str:
        return self.server.url

    @property
    def address(self) -> str:
        return self.server.address

    # CLI ------------------------------------------------------------------------------------------------------------

    def outpost(self, *args: str) -> subprocess.CompletedProcess:
        environment = {k: v for k, v in os.environ.items() if not k.startswith("OUTPOST_")}
        environment["OUTPOST_PASSWORD"] = ADMIN_PASSWORD  # not on the command line (SPEC 7.1: the admin user)
        result = subprocess.run([str(self.binary), *args, "--registry", self.url], capture_output=True, text=True,
                                timeout=TIMEOUT, env=environment)
        assert result.returncode == 0, f"outpost {' '.join(args)} exited {result.returncode}:\n{result.stderr}"
        return result

    def create_token(self, name: str, *args: str) -> dict[str, str]:
        """`outpost token create --name NAME ARGS...`; returns {password name: value}."""
        created = json.loads(self.outpost("token", "create", "--name", name, *args).stdout)
        return {p["name"]: p["value"] for p in created["passwords"]}

    def regenerate(self, name: str, *args: str) -> dict[str, str]:
        """`outpost token credential generate --name NAME ARGS...`; returns {password name: new value}."""
        generated = json.loads(self.outpost("token", "credential", "generate", "--name", name, *args).stdout)
        return {p["name"]: p["value"] for p in generated["passwords"]}

    # HTTP -----------------------------------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, auth=None, bearer: str | None = None, host: str | None = None,
                headers: dict | None = None, **kwargs) -> requests.Response:
        headers = dict(headers or {})
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        if host is not None:
            headers["Host"] = host
        kwargs.setdefault("timeout", TIMEOUT)
        kwargs.setdefault("allow_redirects", False)
        return self.http.request(method, self.url + path, auth=auth, headers=headers, **kwargs)

    def get_manifest(self, repository: str, reference: str, **kwargs) -> requests.Response:
        return self.request("GET", f"/v2/{repository}/manifests/{reference}", headers=MANIFEST_ACCEPT, **kwargs)

    def token_get(self, username: str, password: str, *scopes: str, offline: bool = False,
                  host: str | None = None) -> requests.Response:
        """GET /oauth2/token with Basic credentials (SPEC 3.4)."""
        params: list[tuple[str, str]] = [("service", host or self.address)]
        params += [("scope", scope) for scope in scopes]
        if offline:
            params.append(("offline_token", "true"))
        return self.request("GET", "/oauth2/token", auth=(username, password), params=params, host=host)

    def token_post(self, form: dict[str, str], *scopes: str) -> requests.Response:
        """POST /oauth2/token with a form (SPEC 3.4); `scope` given once, space-separated."""
        data = {"service": self.address, **form}
        if scopes:
            data["scope"] = " ".join(scopes)
        return self.request("POST", "/oauth2/token", data=data)

    def password_grant(self, username: str, password: str, *scopes: str, offline: bool = False) -> requests.Response:
        form = {"grant_type": "password", "username": username, "password": password}
        if offline:
            form["access_type"] = "offline"
        return self.token_post(form, *scopes)

    def refresh(self, refresh_token: str, *scopes: str) -> requests.Response:
        return self.token_post({"grant_type": "refresh_token", "refresh_token": refresh_token}, *scopes)

    def access_token(self, username: str, password: str, *scopes: str, host: str | None = None) -> str:
        answer = self.token_get(username, password, *scopes, host=host)
        assert answer.status_code == 200, f"token request: {answer.status_code} {answer.text}"
        return answer.json()["token"]

    # Content, pushed by the admin user -------------------------------------------------------------------------------

    def admin_client(self) -> OciClient:
        client = OciClient(self.url)
        client.session.trust_env = False
        client.session.auth = ADMIN
        return client

    def push_image(self, repository: str, tag: str, seed: str):
        image = make_image(make_config(author=seed), [make_layer({"file": seed.encode()})])
        with self.admin_client() as client:
            client.push_image(repository, image, reference=tag)
        return image

    def push_blob(self, repository: str, blob: Blob) -> None:
        with self.admin_client() as client:
            client.push_blob(repository, blob)

    def admin_blob_status(self, repository: str, digest: str) -> int:
        return self.request("GET", f"/v2/{repository}/blobs/{digest}", auth=ADMIN).status_code

    # The node's own JWT key (for re-signing tokens in the forgery tests) ----------------------------------------------

    def signing_key_pem(self) -> str:
        database = self.server.data_dir / "control.db"
        with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
            row = connection.execute("SELECT value FROM settings WHERE key = ?", (SIGNING_KEY_SETTING,)).fetchone()
        assert row is not None, f"no {SIGNING_KEY_SETTING} in {database}"
        return row[0]

    def token_endpoint_requests(self) -> list[dict]:
        return [e for e in self.server.log_entries()
                if e.get("msg") == "request" and e.get("target", "").startswith("/oauth2/token")]


@pytest.fixture
def node(registry, outpost_bin) -> Node:
    return Node(registry, outpost_bin)


# --- challenges and JWTs -----------------------------------------------------------------------------------------------


def parse_challenge(header: str) -> tuple[str, dict[str, str]]:
    """`Bearer realm="...",service="...",scope="..."` -> ("Bearer", {param: value}) (RFC 7235 auth-params)."""
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    position = 0
    pattern = re.compile(r'\s*([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))\s*(?:,|$)')
    while position < len(rest):
        match = pattern.match(rest, position)
        assert match, f"unparsable WWW-Authenticate: {header!r}"
        key = match.group(1).lower()
        assert key not in params, f"{key} repeated in {header!r}"
        quoted = match.group(2)
        params[key] = re.sub(r"\\(.)", r"\1", quoted) if quoted is not None else match.group(3)
        position = match.end()
    return scheme, params


def challenge_of(response: requests.Response) -> dict[str, str]:
    header = response.headers.get("WWW-Authenticate")
    assert header, f"{response.request.method} {response.request.url} -> {response.status_code} without a challenge"
    scheme, params = parse_challenge(header)
    assert scheme == "Bearer", header
    return params


def assert_challenged(response: requests.Response, node: Node, scope: str | None, *,
                      insufficient: bool = False) -> None:
    """401 UNAUTHORIZED with the Bearer challenge of SPEC 3.4 naming `scope` (SPEC 3.6; None: no scope parameter),
    and `error="insufficient_scope"` exactly when `insufficient` (SPEC 4.3 steps 1 and 3)."""
    request = f"{response.request.method} {response.request.url}"
    assert response.status_code == 401, f"{request}: expected 401, got {response.status_code} {response.text}"
    if response.request.method != "HEAD":
        assert_oci_error(response, 401, "UNAUTHORIZED")
    params = challenge_of(response)
    assert params.get("realm") == f"http://{node.address}/oauth2/token", params
    assert params.get("service") == node.address, params
    if scope is None:
        assert "scope" not in params, params
    else:
        assert sorted(params.get("scope", "").split(" ")) == sorted(scope.split(" ")), (request, params)
    if insufficient:
        assert params.get("error") == "insufficient_scope", (request, params)
    else:
        assert params.get("error") != "insufficient_scope", (request, params)


def assert_denied(response: requests.Response) -> None:
    """SPEC 4.3 step 3 with Basic credentials: 403 DENIED "Insufficient scopes...", no challenge."""
    assert_oci_error(response, 403, "DENIED")
    assert response.json()["errors"][0]["message"] == INSUFFICIENT_SCOPES
    assert "WWW-Authenticate" not in response.headers


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_parts(jwt: str) -> tuple[dict, dict, str]:
    header, payload, signature = jwt.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload)), signature


def der_to_jose(der: bytes) -> bytes:
    """An ECDSA-Sig-Value (DER SEQUENCE of two INTEGERs, as openssl writes it) -> the 64-byte r||s of JWS ES256."""
    assert der[0] == 0x30 and der[1] < 0x80, der.hex()
    position, numbers = 2, []
    for _ in range(2):
        assert der[position] == 0x02, der.hex()
        length = der[position + 1]
        value = der[position + 2:position + 2 + length].lstrip(b"\0")
        assert len(value) <= 32, der.hex()
        numbers.append(value.rjust(32, b"\0"))
        position += 2 + length
    return numbers[0] + numbers[1]


class Signer:
    """Signs JWTs with P-256 keys through the openssl command line."""

    def __init__(self, workdir: Path):
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.count = 0

    def _file(self, suffix: str, content: bytes | str | None = None) -> Path:
        self.count += 1
        path = self.workdir / f"{self.count}{suffix}"
        if content is not None:
            path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path

    def openssl(self, *args: str) -> None:
        result = subprocess.run(["openssl", *args], capture_output=True, timeout=TIMEOUT)
        assert result.returncode == 0, f"openssl {' '.join(args)}: {result.stderr.decode(errors='replace')}"

    def fresh_key(self) -> Path:
        path = self._file(".pem")
        self.openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(path))
        return path

    def key_file(self, pem: str) -> Path:
        path = self._file(".pem", pem)
        path.chmod(0o600)
        return path

    def public_pem(self, key: Path) -> bytes:
        out = self._file(".pub")
        self.openssl("pkey", "-in", str(key), "-pubout", "-out", str(out))
        return out.read_bytes()

    def es256(self, signing_input: str, key: Path) -> str:
        data = self._file(".in", signing_input)
        signature = self._file(".der")
        self.openssl("dgst", "-sha256", "-sign", str(key), "-out", str(signature), str(data))
        return b64url(der_to_jose(signature.read_bytes()))

    def sign(self, header: dict, payload: dict, key: Path) -> str:
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
        return f"{signing_input}.{self.es256(signing_input, key)}"


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return Signer(tmp_path / "jwt-keys")


# --- skopeo ------------------------------------------------------------------------------------------------------------


class Skopeo:
    """skopeo with an isolated cache and auth file (as in test_skopeo.py), against a plain-HTTP registry."""

    def __init__(self, home: Path):
        (home / "xdg").mkdir(parents=True, exist_ok=True)
        auth = home / "auth.json"
        auth.write_text('{"auths": {}}')
        self.env = dict(os.environ)
        self.env.update({"XDG_DATA_HOME": str(home / "xdg"), "_CONTAINERS_ROOTLESS_UID": "1000",
                         "REGISTRY_AUTH_FILE": str(auth)})

    def run(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["skopeo", *args], env=self.env, capture_output=True, text=True, timeout=SKOPEO_TIMEOUT)

    def copy(self, source: str, destination: str, *, src_creds: str | None = None,
             dest_creds: str | None = None) -> subprocess.CompletedProcess:
        args = ["copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--preserve-digests"]
        if src_creds:
            args += ["--src-creds", src_creds]
        if dest_creds:
            args += ["--dest-creds", dest_creds]
        return self.run(*args, source, destination)


def succeeded(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert result.returncode == 0, (f"{' '.join(result.args)} exited {result.returncode}\n"
                                    f"stdout: {result.stdout}\nstderr: {result.stderr}")
    return result


needs_skopeo = pytest.mark.skipif(shutil.which("skopeo") is None, reason="skopeo is not installed")


@pytest.fixture
def skopeo(tmp_path: Path) -> Skopeo:
    return Skopeo(tmp_path / "skopeo")


# --- skopeo through the Bearer flow ------------------------------------------------------------------------------------


@needs_skopeo
def test_skopeo_pushes_with_a_push_token_and_pulls_with_a_pull_token(node, skopeo, tmp_path):
    """SPEC 3.2 (_repositories_push), 3.3 (either password authenticates), 3.4 (the client follows the challenge to the
    token endpoint with Basic credentials and retries with the JWT), 3.6 (the scopes it asks for come from the
    challenges), 4.1 (tokens are accepted at the cloud)."""
    push = node.create_token("ci-pusher", "--scope-map", "_repositories_push")
    pull = node.create_token("app-puller", "--repository", "samples/app", "content/read")

    layout = OciLayout(tmp_path / "source")
    image = layout.add_image([300 * 1024, 4096], ref="v1")
    destination = f"docker://{node.address}/samples/app:v1"

    succeeded(skopeo.copy(f"oci:{layout.root}:v1", destination, dest_creds=f"ci-pusher:{push['password1']}"))
    pushed_through = node.token_endpoint_requests()
    assert pushed_through and all(e["status"] == 200 for e in pushed_through), pushed_through

    served = node.get_manifest("samples/app", "v1", auth=ADMIN)
    assert served.status_code == 200 and served.content == image.manifest_bytes

    out = tmp_path / "pulled"
    succeeded(skopeo.copy(destination, f"oci:{out}:v1", src_creds=f"app-puller:{pull['password2']}"))
    pulled_through = node.token_endpoint_requests()[len(pushed_through):]
    assert pulled_through and all(e["status"] == 200 for e in pulled_through), pulled_through

    assert read_ref(out, "v1")["digest"] == image.manifest.digest
    for digest in image.digests:
        assert sha256_file(blob_path(out, digest)) == digest


@needs_skopeo
def test_the_pull_tokens_push_is_refused(node, skopeo, tmp_path):
    """SPEC 3.4 (granted = asked ∩ allowed; asking for more is not an error), 3.6 (uploads need content/write),
    4.3 step 3 (missing actions: 403 DENIED with Basic, 401 insufficient_scope with a Bearer JWT)."""
    pull = node.create_token("app-puller", "--repository", "samples/app", "content/read")
    push = node.create_token("app-pusher", "--repository", "samples/app", "content/read", "content/write")
    layout = OciLayout(tmp_path / "source")
    image = layout.add_image([2048], ref="v1")
    destination = f"docker://{node.address}/samples/app:v1"

    refused = skopeo.copy(f"oci:{layout.root}:v1", destination, dest_creds=f"app-puller:{pull['password1']}")
    assert refused.returncode != 0, refused.stdout
    assert node.get_manifest("samples/app", "v1", auth=ADMIN).status_code == 404
    for digest in image.blob_digests:
        assert node.admin_blob_status("samples/app", digest) == 404

    # Basic: authenticated, but the scope map lacks content/write.
    assert_denied(node.request("POST", "/v2/samples/app/blobs/uploads/", auth=("app-puller", pull["password1"])))

    # Bearer: the token endpoint grants only what the scope map allows...
    jwt = node.access_token("app-puller", pull["password1"], "repository:samples/app:pull,push")
    assert jwt_parts(jwt)[1]["access"] == [{"type": "repository", "name": "samples/app", "actions": ["pull"]}]
    # ...and the upload asks for the rest.
    assert_challenged(node.request("POST", "/v2/samples/app/blobs/uploads/", bearer=jwt), node,
                      "repository:samples/app:pull,push", insufficient=True)

    # Control: the same copy with a push token goes through, so the refusal above was the pull token's.
    succeeded(skopeo.copy(f"oci:{layout.root}:v1", destination, dest_creds=f"app-pusher:{push['password1']}"))
    assert node.get_manifest("samples/app", "v1", auth=ADMIN).content == image.manifest_bytes


# --- scope of a prefix token -------------------------------------------------------------------------------------------


def test_a_prefix_token_reads_under_its_prefix_and_nowhere_else(node):
    """SPEC 3.1 (`prefix/*` matches every repository under `prefix/` but not `prefix` itself), 3.4 (the grant is the
    intersection), 3.6 (manifest GET needs content/read), 4.3 step 3."""
    for repository in ("samples/a", "other/x", "samples"):
        node.push_image(repository, "v1", seed=repository)
    token = node.create_token("samples-reader", "--repository", "samples/*", "content/read")
    basic = ("samples-reader", token["password1"])

    assert node.get_manifest("samples/a", "v1", auth=basic).status_code == 200
    assert_denied(node.get_manifest("other/x", "v1", auth=basic))
    assert_denied(node.get_manifest("samples", "v1", auth=basic))
    assert_denied(node.request("GET", "/v2/other/x/tags/list", auth=basic))

    jwt = node.access_token(*basic, "repository:samples/a:pull", "repository:other/x:pull", "repository:samples:pull")
    assert jwt_parts(jwt)[1]["access"] == [{"type": "repository", "name": "samples/a", "actions": ["pull"]}]
    assert node.get_manifest("samples/a", "v1", bearer=jwt).status_code == 200
    assert_challenged(node.get_manifest("other/x", "v1", bearer=jwt), node, "repository:other/x:pull",
                      insufficient=True)
    # A JWT asked for other/x alone grants nothing there either.
    only_other = node.access_token(*basic, "repository:other/x:pull")
    assert jwt_parts(only_other)[1]["access"] == []
    assert_challenged(node.get_manifest("other/x", "v1", bearer=only_other), node, "repository:other/x:pull",
                      insufficient=True)


# --- changes take effect on the next request ---------------------------------------------------------------------------


class Holder:
    """A token reading samples/app, with every credential a client could hold: both passwords, a Bearer JWT and
    refresh tokens from GET (offline_token=true) and POST (access_type=offline). `check_all_work` uses each once,
    which also fills the node's caches of verified passwords and JWTs, so a change must drop them."""

    SCOPE = "repository:samples/app:pull"

    def __init__(self, node: Node, name: str = "app-reader"):
        self.node = node
        self.name = name
        node.push_image("samples/app", "v1", seed="samples/app")
        node.push_image("other/app", "v1", seed="other/app")
        self.passwords = node.create_token(name, "--repository", "samples/app", "content/read")
        got = node.token_get(name, self.passwords["password1"], self.SCOPE, offline=True)
        assert got.status_code == 200, got.text
        self.jwt = got.json()["token"]
        self.refresh_from_get = got.json()["refresh_token"]
        posted = node.password_grant(name, self.passwords["password2"], self.SCOPE, offline=True)
        assert posted.status_code == 200, posted.text
        self.refresh_from_post = posted.json()["refresh_token"]

    def basic(self, which: str = "password1") -> tuple[str, str]:
        return self.name, self.passwords[which]

    def check_all_work(self) -> None:
        for which in ("password1", "password2"):
            assert self.node.get_manifest("samples/app", "v1", auth=self.basic(which)).status_code == 200
        assert self.node.get_manifest("samples/app", "v1", bearer=self.jwt).status_code == 200
        for refresh_token in (self.refresh_from_get, self.refresh_from_post):
            refreshed = self.node.refresh(refresh_token, self.SCOPE)
            assert refreshed.status_code == 200, refreshed.text
            assert self.node.get_manifest("samples/app", "v1", bearer=refreshed.json()["token"]).status_code == 200

    def assert_refresh_refused(self) -> None:
        for refresh_token in (self.refresh_from_get, self.refresh_from_post):
            assert_challenged(self.node.refresh(refresh_token, self.SCOPE), self.node, self.SCOPE)

    def assert_login_refused(self, which: str = "password1") -> None:
        assert_challenged(self.node.get_manifest("samples/app", "v1", auth=self.basic(which)), self.node, self.SCOPE)
        assert_challenged(self.node.token_get(*self.basic(which), self.SCOPE), self.node, self.SCOPE)
        assert_challenged(self.node.password_grant(*self.basic(which), self.SCOPE), self.node, self.SCOPE)


def test_a_disabled_token_is_refused_from_the_next_request(node):
    """SPEC 3.3 (status), 3.4 (refresh tokens stop working when their token is disabled), 4.1 (only enabled tokens;
    changes apply from the next request), 4.3 step 1 (401 with the challenge)."""
    holder = Holder(node)
    holder.check_all_work()

    node.outpost("token", "update", "--name", holder.name, "--status", "disabled")

    holder.assert_login_refused("password1")
    holder.assert_login_refused("password2")
    assert_challenged(node.get_manifest("samples/app", "v1", bearer=holder.jwt), node, Holder.SCOPE)
    holder.assert_refresh_refused()

    # Enabling it again restores the passwords, but not JWTs issued before (SPEC 3.4: refresh tokens stay revoked).
    node.outpost("token", "update", "--name", holder.name, "--status", "enabled")
    assert node.get_manifest("samples/app", "v1", auth=holder.basic()).status_code == 200
    holder.assert_refresh_refused()


def test_a_deleted_token_is_refused_from_the_next_request(node):
    """SPEC 3.4 (refresh tokens stop working when their token is deleted), 4.1, 4.3 step 1."""
    holder = Holder(node)
    holder.check_all_work()

    node.outpost("token", "delete", "--name", holder.name)

    holder.assert_login_refused("password1")
    holder.assert_login_refused("password2")
    assert_challenged(node.get_manifest("samples/app", "v1", bearer=holder.jwt), node, Holder.SCOPE)
    holder.assert_refresh_refused()

    # A new token of the same name is a new token: nothing issued to the old one works for it.
    node.create_token(holder.name, "--scope-map", "_repositories_pull")
    assert_challenged(node.get_manifest("samples/app", "v1", bearer=holder.jwt), node, Holder.SCOPE)
    holder.assert_refresh_refused()


def test_a_scope_map_change_applies_from_the_next_request(node):
    """SPEC 3.1 (permissions come from the scope map), 4.1 (changes to scope maps apply from the next request, to
    JWTs issued before them too: the JWT stays valid and the map as it is now bounds it), 3.4 (refresh tokens stop
    only when their token is disabled, deleted or has a password regenerated), 4.3 step 3 (Basic now lacks the
    action: 403; the JWT: 401 insufficient_scope)."""
    holder = Holder(node)
    holder.check_all_work()

    node.outpost("scope-map", "update", "--name", f"{holder.name}-scope-map",
                 "--remove-repository", "samples/app", "content/read", "--add-repository", "other/app", "content/read")

    for which in ("password1", "password2"):
        assert_denied(node.get_manifest("samples/app", "v1", auth=holder.basic(which)))
        assert node.get_manifest("other/app", "v1", auth=holder.basic(which)).status_code == 200
    assert_challenged(node.get_manifest("samples/app", "v1", bearer=holder.jwt), node, Holder.SCOPE, insufficient=True)
    # The refresh tokens still work, and what they now get is bounded by the new map.
    for refresh_token in (holder.refresh_from_get, holder.refresh_from_post):
        refreshed = node.refresh(refresh_token, Holder.SCOPE, "repository:other/app:pull")
        assert refreshed.status_code == 200, refreshed.text
        access = jwt_parts(refreshed.json()["token"])[1]["access"]
        assert access == [{"type": "repository", "name": "other/app", "actions": ["pull"]}]

    # A JWT issued now reflects the new map.
    jwt = node.access_token(*holder.basic(), Holder.SCOPE, "repository:other/app:pull")
    assert jwt_parts(jwt)[1]["access"] == [{"type": "repository", "name": "other/app", "actions": ["pull"]}]
    assert node.get_manifest("other/app", "v1", bearer=jwt).status_code == 200
    assert_challenged(node.get_manifest("samples/app", "v1", bearer=jwt), node, Holder.SCOPE, insufficient=True)

    # The map given back its old action: the JWT issued before both changes reads again (it was never revoked).
    node.outpost("scope-map", "update", "--name", f"{holder.name}-scope-map",
                 "--add-repository", "samples/app", "content/read")
    assert node.get_manifest("samples/app", "v1", bearer=holder.jwt).status_code == 200


def test_a_regenerated_password_is_refused_and_the_other_keeps_working(node):
    """SPEC 3.3 (regenerating one password leaves the other valid: rotation), 3.4 (refresh tokens stop working when
    their token has a password regenerated), 4.1 (from the next request)."""
    holder = Holder(node)
    holder.check_all_work()

    new = node.regenerate(holder.name, "--password1")
    assert set(new) == {"password1"} and new["password1"] != holder.passwords["password1"]

    holder.assert_login_refused("password1")
    assert node.get_manifest("samples/app", "v1", auth=holder.basic("password2")).status_code == 200
    assert node.get_manifest("samples/app", "v1", auth=(holder.name, new["password1"])).status_code == 200
    holder.assert_refresh_refused()
    assert_challenged(node.get_manifest("samples/app", "v1", bearer=holder.jwt), node, Holder.SCOPE)

    # The token flow works with either current password.
    for password in (new["password1"], holder.passwords["password2"]):
        answer = node.password_grant(holder.name, password, Holder.SCOPE, offline=True)
        assert answer.status_code == 200, answer.text
        assert node.get_manifest("samples/app", "v1", bearer=answer.json()["token"]).status_code == 200
        assert node.refresh(answer.json()["refresh_token"], Holder.SCOPE).status_code == 200

    # Rotating the other one in turn leaves the new password1 working.
    newer = node.regenerate(holder.name, "--password2")
    assert_challenged(node.get_manifest("samples/app", "v1", auth=holder.basic("password2")), node, Holder.SCOPE)
    for password in (new["password1"], newer["password2"]):
        assert node.get_manifest("samples/app", "v1", auth=(holder.name, password)).status_code == 200


def test_an_expired_password_is_refused(node):
    """SPEC 3.3 (a past expiry is accepted and means already expired; each password has its own expiry), 4.1 (only
    an unexpired matching password), 4.3 step 1."""
    node.push_image("samples/app", "v1", seed="samples/app")
    expired = node.create_token("expired-token", "--repository", "samples/app", "content/read", "--expiration", PAST)
    scope = "repository:samples/app:pull"

    # (Few enough failed logins for one name to stay clear of the rate limit of SPEC 4.5.)
    for password in expired.values():
        assert_challenged(node.get_manifest("samples/app", "v1", auth=("expired-token", password)), node, scope)
    assert_challenged(node.token_get("expired-token", expired["password1"], scope), node, scope)
    assert_challenged(node.password_grant("expired-token", expired["password2"], scope), node, scope)

    # A password regenerated without an expiry works; the other one stays expired.
    fresh = node.regenerate("expired-token", "--password1")
    assert node.get_manifest("samples/app", "v1", auth=("expired-token", fresh["password1"])).status_code == 200
    assert node.token_get("expired-token", fresh["password1"], scope).status_code == 200
    assert_challenged(node.get_manifest("samples/app", "v1", auth=("expired-token", expired["password2"])), node,
                      scope)

    # `credential generate --expiration` in the past: the new value is refused from its first use.
    stale = node.regenerate("expired-token", "--password2", "--expiration", PAST)
    assert_challenged(node.get_manifest("samples/app", "v1", auth=("expired-token", stale["password2"])), node, scope)
    assert_challenged(node.password_grant("expired-token", stale["password2"], scope), node, scope)
    assert node.get_manifest("samples/app", "v1", auth=("expired-token", fresh["password1"])).status_code == 200


def test_a_wrong_password_is_refused(node):
    """SPEC 3.3 (either password authenticates, nothing else), 3.4, 4.1, 4.3 step 1."""
    node.push_image("samples/app", "v1", seed="samples/app")
    token = node.create_token("app-reader", "--repository", "samples/app", "content/read")
    other = node.create_token("other-reader", "--repository", "samples/app", "content/read")
    scope = "repository:samples/app:pull"

    for wrong in ("not-the-password", token["password1"][:-2], other["password1"], ADMIN_PASSWORD):
        assert_challenged(node.get_manifest("samples/app", "v1", auth=("app-reader", wrong)), node, scope)
    assert_challenged(node.token_get("app-reader", "not-the-password", scope), node, scope)
    assert_challenged(node.password_grant("app-reader", "not-the-password", scope), node, scope)
    # A Bearer "token" that is a password is no JWT.
    assert_challenged(node.get_manifest("samples/app", "v1", bearer=token["password1"]), node, scope)

    # Control: the right password, by each path.
    assert node.get_manifest("samples/app", "v1", auth=("app-reader", token["password1"])).status_code == 200
    assert node.token_get("app-reader", token["password1"], scope).status_code == 200
    assert node.password_grant("app-reader", token["password2"], scope).status_code == 200


# --- refusals reveal nothing -------------------------------------------------------------------------------------------


def test_unknown_disabled_wrong_and_expired_credentials_get_identical_answers(node):
    """SPEC 4.5: unknown token, wrong password, disabled token and expired password give byte-identical responses
    (status, body, challenge), on a registry route and at the token endpoint (GET and POST)."""
    node.push_image("samples/app", "v1", seed="samples/app")
    scope = "repository:samples/app:pull"
    live = node.create_token("live-token", "--repository", "samples/app", "content/read")
    disabled = node.create_token("shut-token", "--repository", "samples/app", "content/read", "--status", "disabled")
    expired = node.create_token("past-token", "--repository", "samples/app", "content/read", "--expiration", PAST)
    credentials = {
        "unknown token": ("nope-token", live["password1"]),
        "disabled token": ("shut-token", disabled["password1"]),
        "wrong password": ("live-token", "x" * len(live["password1"])),
        "expired password": ("past-token", expired["password1"]),
    }

    def fingerprint(response: requests.Response) -> tuple:
        return (response.status_code, response.content, response.headers.get("WWW-Authenticate"),
                response.headers.get("Content-Type"), response.headers.get("Content-Length"))

    exchanges = {
        "GET manifest (Basic)": lambda user, pw: node.get_manifest("samples/app", "v1", auth=(user, pw)),
        "HEAD manifest (Basic)": lambda user, pw: node.request("HEAD", "/v2/samples/app/manifests/v1",
                                                               auth=(user, pw)),
        "GET /oauth2/token": lambda user, pw: node.token_get(user, pw, scope),
        "POST /oauth2/token": lambda user, pw: node.password_grant(user, pw, scope),
    }
    for exchange, send in exchanges.items():
        answers = {case: fingerprint(send(*creds)) for case, creds in credentials.items()}
        assert answers["unknown token"][0] == 401, (exchange, answers)
        distinct = set(answers.values())
        assert len(distinct) == 1, f"{exchange}: answers differ:\n" + "\n".join(f"  {k}: {v}" for k, v in
                                                                                 answers.items())
    # Control: the live token's real password is accepted, so "wrong password" above was about the password alone.
    assert node.get_manifest("samples/app", "v1", auth=("live-token", live["password1"])).status_code == 200


# --- forged and misdirected JWTs ---------------------------------------------------------------------------------------


class Forgery:
    """A valid JWT of a pull token for samples/app, the node's key, and the means to re-sign it."""

    SCOPE = "repository:samples/app:pull"

    def __init__(self, node: Node, signer: Signer):
        self.node = node
        self.signer = signer
        node.push_image("samples/app", "v1", seed="samples/app")
        self.passwords = node.create_token("app-reader", "--repository", "samples/app", "content/read")
        self.jwt = node.access_token("app-reader", self.passwords["password1"], self.SCOPE)
        self.header, self.payload, self.signature = jwt_parts(self.jwt)
        self.node_key = signer.key_file(node.signing_key_pem())

    def accepted(self, jwt: str, host: str | None = None) -> bool:
        response = self.node.get_manifest("samples/app", "v1", bearer=jwt, host=host)
        assert response.status_code in (200, 401), f"{response.status_code} {response.text}"
        return response.status_code == 200

    def assert_refused(self, jwt: str, host: str | None = None) -> None:
        response = self.node.get_manifest("samples/app", "v1", bearer=jwt, host=host)
        if host is None:
            assert_challenged(response, self.node, self.SCOPE)
        else:
            assert response.status_code == 401, f"{response.status_code} {response.text}"
            assert_oci_error(response, 401, "UNAUTHORIZED")

    def resigned(self, *, header: dict | None = None, payload: dict | None = None, key: Path | None = None) -> str:
        return self.signer.sign({**self.header, **(header or {})}, {**self.payload, **(payload or {})},
                                key or self.node_key)


@pytest.fixture
def forgery(node, signer) -> Forgery:
    forged = Forgery(node, signer)
    # The harness is sound: the real token, and the same claims re-signed with the node's key, are accepted.
    assert forged.accepted(forged.jwt)
    assert forged.accepted(forged.resigned())
    return forged


def test_a_jwt_with_alg_none_is_refused(forgery):
    """SPEC 3.4 (access tokens are ES256 JWTs: the algorithm is pinned, not read from the header), 4.3 step 1."""
    unsigned = f"{b64url(json.dumps({**forgery.header, 'alg': 'none'}).encode())}.{forgery.jwt.split('.')[1]}."
    forgery.assert_refused(unsigned)
    # With the original signature kept, too.
    forgery.assert_refused(f"{unsigned}{forgery.signature}")


def test_a_jwt_signed_with_hs256_is_refused(forgery, signer):
    """SPEC 3.4 (ES256 only): the classic confusion, an HMAC keyed with the node's public key, is refused."""
    header = {**forgery.header, "alg": "HS256"}
    signing_input = f"{b64url(json.dumps(header).encode())}.{forgery.jwt.split('.')[1]}"
    secret = signer.public_pem(forgery.node_key)
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    forgery.assert_refused(f"{signing_input}.{b64url(mac)}")


def test_a_jwt_signed_with_another_key_is_refused(forgery, signer):
    """SPEC 3.4 (tokens are signed with the node's own key and verified against it), 4.3 step 1: a fresh P-256 key,
    with the node's `kid` and with a `kid` of its own."""
    stranger = signer.fresh_key()
    forgery.assert_refused(forgery.resigned(key=stranger))
    forgery.assert_refused(forgery.resigned(key=stranger, header={"kid": b64url(hashlib.sha256(b"k").digest())}))
    # A changed signature byte on the real token.
    signature = bytearray(b64url_decode(forgery.signature))
    signature[10] ^= 0x01
    forgery.assert_refused(f"{forgery.jwt.rsplit('.', 1)[0]}.{b64url(bytes(signature))}")


def test_a_jwt_from_another_node_is_refused(forgery, outpost_factory, outpost_bin, tmp_path):
    """SPEC 3.4: a token issued by another node (another data directory, so another key) for a token of the same name
    and rights is refused, even presented with the Host (and so the audience) it was issued for."""
    other = Node(outpost_factory(data_dir=tmp_path / "other-node", name="other"), outpost_bin)
    other.push_image("samples/app", "v1", seed="samples/app")
    passwords = other.create_token("app-reader", "--repository", "samples/app", "content/read")
    foreign = other.access_token("app-reader", passwords["password1"], Forgery.SCOPE)
    assert other.get_manifest("samples/app", "v1", bearer=foreign).status_code == 200  # valid where it was issued
    assert jwt_parts(foreign)[0]["kid"] != forgery.header["kid"]

    forgery.assert_refused(foreign)
    forgery.assert_refused(foreign, host=other.address)
    # Control: this node accepts its own token under that Host once the token names it (see the audience test).
    host_token = forgery.node.access_token("app-reader", forgery.passwords["password1"], Forgery.SCOPE,
                                           host=other.address)
    assert forgery.accepted(host_token, host=other.address)


def test_a_jwt_for_another_audience_is_refused(forgery):
    """SPEC 3.4 (`aud` = service, the Host the request named; the registry checks `aud` against its own service
    name): a token issued for one Host is refused at another, and a re-signed token naming another service too."""
    elsewhere = f"localhost:{forgery.node.server.port}"
    forgery.assert_refused(forgery.jwt, host=elsewhere)
    assert forgery.accepted(forgery.jwt)  # the same token, at the Host it was issued for

    # A token issued for `elsewhere` works there and only there.
    there = forgery.node.access_token("app-reader", forgery.passwords["password1"], Forgery.SCOPE, host=elsewhere)
    assert jwt_parts(there)[1]["aud"] == elsewhere
    assert forgery.accepted(there, host=elsewhere)
    forgery.assert_refused(there)

    # Signed by the node itself, with only the audience changed.
    forgery.assert_refused(forgery.resigned(payload={"aud": "registry.example.com"}))
    forgery.assert_refused(forgery.resigned(payload={"aud": [elsewhere]}))


def test_an_expired_jwt_is_refused(forgery):
    """SPEC 3.4 (`exp` is checked; a small leeway for clock skew): the token's own claims moved an hour into the past
    and re-signed with the node's key are refused; so is the real token with only `exp` edited (there the signature
    check refuses it first: the precise expiry arithmetic, leeway included, is unit-tested)."""
    issued = forgery.payload["iat"]
    expired = {"iat": issued - 7200, "nbf": issued - 7200, "exp": issued - 3600}
    forgery.assert_refused(forgery.resigned(payload=expired))

    header, _, signature = forgery.jwt.split(".")
    edited = f"{header}.{b64url(json.dumps({**forgery.payload, **expired}).encode())}.{signature}"
    forgery.assert_refused(edited)


# --- blobs of other repositories ---------------------------------------------------------------------------------------


def test_a_token_cannot_read_or_mount_another_repositorys_blob(node):
    """SPEC 3.6 (a blob is readable in a repository only if that repository references it or an upload put it there;
    storing a blob once per digest never lets a token read another repository's blobs by digest, nor mount from a
    repository it cannot read), 4.3 step 3 (403 with Basic, 401 insufficient_scope with Bearer), 6.2 (a manifest's
    blobs must exist in its repository)."""
    secret = Blob(random_bytes(4096, "private blob"))
    node.push_blob("private/src", secret)
    assert node.admin_blob_status("private/src", secret.digest) == 200
    token = node.create_token("dst-writer", "--repository", "public/dst", "content/read", "content/write")
    basic = ("dst-writer", token["password1"])
    jwt = node.access_token(*basic, "repository:public/dst:pull,push", "repository:private/src:pull")
    assert jwt_parts(jwt)[1]["access"] == [{"type": "repository", "name": "public/dst", "actions": ["pull", "push"]}]

    for method in ("GET", "HEAD"):
        # In the source repository: no right to read there.
        source = f"/v2/private/src/blobs/{secret.digest}"
        response = node.request(method, source, auth=basic)
        assert response.status_code == 403 and "WWW-Authenticate" not in response.headers, response.status_code
        assert_challenged(node.request(method, source, bearer=jwt), node, "repository:private/src:pull",
                          insufficient=True)
        # In the token's own repository: the digest is stored, but not there.
        target = f"/v2/public/dst/blobs/{secret.digest}"
        for credentials in ({"auth": basic}, {"bearer": jwt}):
            response = node.request(method, target, **credentials)
            assert response.status_code == 404, (method, credentials, response.status_code)
            if method == "GET":
                assert_oci_error(response, 404, "BLOB_UNKNOWN")

    mount = f"/v2/public/dst/blobs/uploads/?mount={secret.digest}&from=private/src"
    by_basic = node.request("POST", mount, auth=basic)
    assert by_basic.status_code in (202, 403), f"{by_basic.status_code} {by_basic.text}"  # fallback or refusal
    if by_basic.status_code == 403:
        assert_denied(by_basic)
    by_bearer = node.request("POST", mount, bearer=jwt)
    if by_bearer.status_code != 202:
        assert_challenged(by_bearer, node, "repository:public/dst:pull,push repository:private/src:pull",
                          insufficient=True)
    # Without `from`, a registry may pick the source itself; never one the token cannot read.
    automatic = node.request("POST", f"/v2/public/dst/blobs/uploads/?mount={secret.digest}", auth=basic)
    assert automatic.status_code == 202, f"{automatic.status_code} {automatic.text}"
    # A manifest naming the digest does not bring the blob into the repository either.
    manifest = make_image(secret.as_type("application/vnd.oci.image.config.v1+json"), [])
    refused = node.request("PUT", "/v2/public/dst/manifests/v1", auth=basic, data=manifest.body,
                           headers={"Content-Type": OCI_MANIFEST})
    assert_oci_error(refused, 400, "MANIFEST_BLOB_UNKNOWN")

    # Whatever happened above, public/dst holds no such blob: not for the token, not even for the admin user.
    assert node.admin_blob_status("public/dst", secret.digest) == 404
    assert node.request("GET", f"/v2/public/dst/blobs/{secret.digest}", auth=basic).status_code == 404
    # Control: the token may push the same bytes itself, and then read them.
    with OciClient(node.url) as client:
        client.session.trust_env = False
        client.session.auth = basic
        client.push_blob("public/dst", secret)
    assert node.request("GET", f"/v2/public/dst/blobs/{secret.digest}", auth=basic).content == secret.data


# --- the challenge of every route --------------------------------------------------------------------------------------

NAME = "team/app"
SOURCE = "team/base"
DIGEST = digest_of(b"a blob nobody pushed")
UPLOAD = "/v2/team/app/blobs/uploads/0123456789abcdef0123456789abcdef"
PULL = f"repository:{NAME}:pull"
PULL_PUSH = f"repository:{NAME}:pull,push"

# (method, path, the challenge's scope per SPEC 3.6; None: no scope)
ROUTES = [
    ("GET", "/v2/", None),
    ("GET", f"/v2/{NAME}/manifests/x", PULL),
    ("HEAD", f"/v2/{NAME}/manifests/x", PULL),
    ("GET", f"/v2/{NAME}/manifests/{DIGEST}", PULL),
    ("GET", f"/v2/{NAME}/blobs/{DIGEST}", PULL),
    ("HEAD", f"/v2/{NAME}/blobs/{DIGEST}", PULL),
    ("POST", f"/v2/{NAME}/blobs/uploads/", PULL_PUSH),
    ("POST", f"/v2/{NAME}/blobs/uploads/?digest={DIGEST}", PULL_PUSH),
    ("POST", f"/v2/{NAME}/blobs/uploads/?mount={DIGEST}&from={SOURCE}", f"{PULL_PUSH} repository:{SOURCE}:pull"),
    ("PATCH", UPLOAD, PULL_PUSH),
    ("PUT", f"{UPLOAD}?digest={DIGEST}", PULL_PUSH),
    ("GET", UPLOAD, PULL_PUSH),
    ("DELETE", UPLOAD, PULL_PUSH),
    ("PUT", f"/v2/{NAME}/manifests/x", PULL_PUSH),
    ("DELETE", f"/v2/{NAME}/manifests/{DIGEST}", f"repository:{NAME}:delete"),
    ("DELETE", f"/v2/{NAME}/manifests/x", f"repository:{NAME}:metadata_write"),
    ("DELETE", f"/v2/{NAME}/blobs/{DIGEST}", f"repository:{NAME}:delete"),
    ("GET", f"/v2/{NAME}/tags/list", PULL),
    ("GET", f"/v2/{NAME}/referrers/{DIGEST}", PULL),
    ("GET", "/v2/_catalog", "registry:catalog:*"),
]


@pytest.mark.parametrize("method,path,scope", ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
def test_the_challenge_of_every_route_names_its_scope(node, method, path, scope):
    """SPEC 3.4 (401 with `WWW-Authenticate: Bearer realm, service, scope`), 3.6 (the scope each route needs), 4.3
    step 1; and the named scope is enough: a JWT granted exactly it passes the authorization check."""
    response = node.request(method, path, data=b"", headers={"Content-Type": OCTET_STREAM})
    assert_challenged(response, node, scope)

    token = node.create_token("all-repos", "--scope-map", "_repositories_admin")
    jwt = node.access_token("all-repos", token["password1"], *(scope.split(" ") if scope else ()))
    retried = node.request(method, path, bearer=jwt, data=b"", headers={"Content-Type": OCTET_STREAM})
    # Past authorization: what is left is the registry's own answer (nothing exists here, so mostly a 404 or 400).
    assert retried.status_code not in (401, 403) and retried.status_code < 500, \
        f"{method} {path} with the challenged scope: {retried.status_code} {retried.text}"


def test_the_challenge_names_the_host_the_request_named(node):
    """SPEC 3.4: realm "<scheme>://<Host>/oauth2/token" and service "<Host>", with Host as the request named it (so the
    flow works through proxies), and a token issued through that realm works there."""
    host = "registry.example:5000"
    response = node.request("GET", f"/v2/{NAME}/tags/list", host=host)
    assert response.status_code == 401
    assert challenge_of(response) == {"realm": f"http://{host}/oauth2/token", "service": host, "scope": PULL}

    token = node.create_token("all-repos", "--scope-map", "_repositories_admin")
    jwt = node.access_token("all-repos", token["password1"], PULL, host=host)
    assert node.request("GET", f"/v2/{NAME}/tags/list", bearer=jwt, host=host).status_code == 404  # NAME_UNKNOWN


def test_parallel_guesses_get_no_more_password_checks_than_the_burst(outpost_factory, tmp_path):
    """SPEC 4.5: a burst of 10 failed logins, then refusals before the password is checked. Guesses sent at once each
    hold an attempt while their password is checked; the limit was checked first and charged after the hash, so every
    guess in flight together passed the check (a burst of 48 had 24 checked)."""
    from concurrent.futures import ThreadPoolExecutor

    # The default hash cost (tens of ms a check), so that guesses are in flight together, as against a real node.
    server = outpost_factory(data_dir=tmp_path / "guessed", name="guessed",
                             args=["--threads", "8", "--password-hash-iterations", "100000"])
    guesses = 40
    session = requests.Session()
    session.trust_env = False  # no NETRC: these are the guesser's credentials only

    def guess(i: int) -> int:
        return session.get(f"{server.url}/v2/", auth=("guessed-token", f"guess-{i}"), timeout=TIMEOUT).status_code

    with ThreadPoolExecutor(max_workers=guesses) as pool:
        statuses = list(pool.map(guess, range(guesses)))
    assert statuses.count(401) == 10, statuses
    assert statuses.count(429) == guesses - 10, statuses


def test_a_token_no_request_could_carry_is_refused_at_the_token_endpoint(node):
    """A token for a thousand scopes was issued (97 KB), and every request that carried it was answered 431: the
    endpoint now says so and issues none. A token for a few scopes is still issued and used."""
    scopes = [f"repository:team/repo{i:04d}:pull,push" for i in range(1000)]
    answer = node.token_get(ADMIN_USER, ADMIN_PASSWORD, *scopes)
    assert answer.status_code == 400, answer.status_code
    error = answer.json()["errors"][0]
    assert error["code"] == "INVALID_REQUEST" and "ask for fewer scopes" in error["message"], error
    jwt = node.access_token(ADMIN_USER, ADMIN_PASSWORD, *scopes[:10])
    assert node.request("GET", "/v2/team/repo0001/tags/list", bearer=jwt).status_code == 404  # NAME_UNKNOWN: past auth


def test_parallel_logins_with_the_right_password_are_all_served(outpost_factory, outpost_bin, tmp_path):
    """Checks in flight hold a place in the failed-login bucket, but checks of one password share it: twenty clients
    of one token logging in at once on a cold cache (a node just restarted) must not be refused for failures nobody
    made."""
    from concurrent.futures import ThreadPoolExecutor

    server = outpost_factory(data_dir=tmp_path / "busy", name="busy",
                             args=["--threads", "8", "--password-hash-iterations", "100000"])
    node = Node(server, outpost_bin)
    token = node.create_token("ci-puller", "--scope-map", "_repositories_pull")
    session = requests.Session()
    session.trust_env = False
    logins = 20

    def login(_: int) -> int:
        return session.get(f"{server.url}/v2/", auth=("ci-puller", token["password1"]), timeout=TIMEOUT).status_code

    with ThreadPoolExecutor(max_workers=logins) as pool:
        statuses = list(pool.map(login, range(logins)))
    assert statuses == [200] * logins, statuses
