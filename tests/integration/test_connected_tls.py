"""Connected registries over https: `ParentEndpointProtocol=https` (SPEC 7.3) between a cloud served with
`--tls-cert/--tls-key` (SPEC 7.4, both its listeners) and a connected registry that trusts the cloud's private CA with
`--parent-ca-file`.

The certificates are made for each test with the `openssl` command line: a throwaway CA, and a server certificate it
signed for 127.0.0.1 (an IP subjectAltName, as the connected registry dials the cloud by address). The system store
does not hold that CA, so without `--parent-ca-file` the connected registry must refuse the cloud's certificate.

As in test_connected_registries.py, everything is observed as an operator would: the cloud's management API, the
nodes' OCI API and `/readyz`, the JSON lines each process logs. Waiting is for a condition with a deadline, never for
time to pass.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path
from typing import Sequence

import pytest
import requests

from conftest import _SERVERS_KEY
from hierarchy import (
    ADMIN, MANIFEST_ACCEPT, PROPAGATION_TIMEOUT, PUSH_AND_READ, READY_TIMEOUT, STATUS_INTERVAL, CloudServer,
    ConnectedRegistryServer, Management, Observed, Token, client, readyz, wait_for_status, wait_until,
)
from oci_client import Manifest, OciClient, describe, make_config, make_image, make_layer, random_bytes

OPENSSL_TIMEOUT = 30
CR_NAME = "edgenode"
REPOSITORIES = ["apps/*"]


# --- certificates ----------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Certificates:
    ca: Path           # the throwaway CA's certificate: what a client must trust
    server_cert: Path  # signed by the CA for IP:127.0.0.1
    server_key: Path


def openssl(*args: str) -> None:
    result = subprocess.run(["openssl", *args], capture_output=True, text=True, timeout=OPENSSL_TIMEOUT)
    assert result.returncode == 0, f"openssl {' '.join(args)} exited {result.returncode}\n{result.stderr}"


def make_certificates(directory: Path) -> Certificates:
    directory.mkdir(parents=True, exist_ok=True)
    ca, ca_key = directory / "ca.pem", directory / "ca.key"
    cert, key, request = directory / "server.pem", directory / "server.key", directory / "server.csr"
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    openssl("req", "-x509", *ec, "-subj", "/CN=Outpost test CA", "-days", "1",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", str(ca_key), "-out", str(ca))
    openssl("req", *ec, "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(request))
    extensions = directory / "server.ext"
    extensions.write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                          "keyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n")
    openssl("x509", "-req", "-in", str(request), "-CA", str(ca), "-CAkey", str(ca_key), "-set_serial", "2",
            "-days", "1", "-extfile", str(extensions), "-out", str(cert))
    return Certificates(ca, cert, key)


# --- nodes -----------------------------------------------------------------------------------------------------------


class HttpsCloud(CloudServer):
    """The cloud with a certificate: its login server and its data endpoint both speak https only."""

    def __init__(self, binary: Path, data_dir: Path, certificates: Certificates):
        super().__init__(binary, data_dir, ["--tls-cert", str(certificates.server_cert),
                                            "--tls-key", str(certificates.server_key)])

    @property
    def url(self) -> str:
        return f"https://{self._require_address()}"


@dataclasses.dataclass
class TlsSetup:
    certificates: Certificates
    cloud: HttpsCloud
    mgmt: Management
    root: Path
    binary: Path
    report: list

    def oci(self, url: str, auth: tuple[str, str] | None) -> OciClient:
        """A client of `url` that trusts the throwaway CA (the cloud) and nothing from the environment."""
        oci = client(url, auth)
        oci.session.verify = str(self.certificates.ca)
        return oci

    def token(self, name: str, actions: Sequence[str]) -> Token:
        self.mgmt.put_scope_map(f"{name}-map", [f"repositories/{repo}/{action}" for repo in REPOSITORIES
                                                for action in actions])
        return self.mgmt.create_token(name, f"{name}-map")

    def create_connected_registry(self, client_token: Token) -> str:
        """Creates the ReadWrite connected registry `edge` under the cloud; returns its connection string."""
        created = self.mgmt.create_connected_registry(CR_NAME, {
            "mode": "ReadWrite", "parent": None, "repositories": REPOSITORIES, "clientTokens": [client_token.name],
            "sync": {"schedule": "* * * * *", "messageTtl": "P2D"},
        })
        return created["connectionString"]

    def start_connected_registry(self, connection_string: str, extra_args: Sequence[str]) -> ConnectedRegistryServer:
        server = ConnectedRegistryServer(self.binary, self.root / CR_NAME,
                                         ["--connection-string", connection_string,
                                          "--sync-status-interval", STATUS_INTERVAL, *extra_args], name=CR_NAME)
        self.report.append(server)  # registered before starting: stopped and reported whatever happens
        server.start()
        return server


@pytest.fixture
def tls(request: pytest.FixtureRequest, admin_credentials, outpost_bin: Path, tmp_path: Path) -> TlsSetup:
    """A cloud served with a certificate of a throwaway CA; every process started is stopped at teardown (connected
    registries first) and reported when the test fails."""
    servers: list = request.node.stash.setdefault(_SERVERS_KEY, [])
    certificates = make_certificates(tmp_path / "certificates")
    cloud = HttpsCloud(outpost_bin, tmp_path / "cloud", certificates)
    servers.append(cloud)
    cloud.start()
    mgmt = Management(cloud.url)
    mgmt.http.verify = str(certificates.ca)
    yield TlsSetup(certificates, cloud, mgmt, tmp_path, outpost_bin, servers)
    problems = []
    for server in [s for s in servers if s is not cloud] + [cloud]:
        if server.running:
            try:
                server.stop()
            except AssertionError as e:
                problems.append(str(e))
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


# --- helpers ---------------------------------------------------------------------------------------------------------


def connection_fields(connection_string: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in connection_string.split(";"))


def image(name: str, layer_size: int) -> Manifest:
    """An image whose layer spans several of the client's 256 KiB read pieces, so bodies cross TLS records."""
    return make_image(make_config(name), [make_layer({f"{name}.bin": random_bytes(layer_size, name)})])


def manifest_at(oci: OciClient, repo: str, reference: str) -> requests.Response:
    return oci.request("GET", f"/v2/{repo}/manifests/{reference}", headers=MANIFEST_ACCEPT)


def assert_same_image(oci: OciClient, repo: str, tag: str, expected: Manifest) -> None:
    got = manifest_at(oci, repo, tag)
    assert got.status_code == 200 and got.content == expected.body, describe(got)
    for blob in expected.blobs:
        fetched = oci.get_blob(repo, blob.digest)
        assert fetched.status_code == 200 and fetched.content == blob.data, describe(fetched)


def sync_failures(server: ConnectedRegistryServer) -> list[str]:
    return [entry.get("error", "") for entry in server.logged("sync failed")]


# --- tests -----------------------------------------------------------------------------------------------------------


def test_content_syncs_both_ways_over_https_with_the_parent_ca(tls: TlsSetup):
    """An https cloud hands out https connection strings naming its data endpoint; a connected registry given the CA
    activates, reports, pulls what is pushed at the cloud, and pushes up what is pushed at it, all over TLS."""
    edge_client = tls.token("edgeclient", PUSH_AND_READ)
    connection_string = tls.create_connected_registry(edge_client)
    fields = connection_fields(connection_string)
    assert fields["ParentEndpointProtocol"] == "https", connection_string
    assert fields["ParentGatewayEndpoint"] == tls.cloud.data_endpoint, connection_string

    edge = tls.start_connected_registry(connection_string, ["--parent-ca-file", str(tls.certificates.ca)])
    wait_until(lambda: Observed(readyz(edge.url) == 200, "/readyz is not 200"), READY_TIMEOUT,
               lambda: f"{CR_NAME} to be ready over https\n{edge.tail(20)}")

    def reported() -> Observed:
        view = tls.mgmt.connected_registry(CR_NAME)
        ok = (view["activation"] == "Active" and view["connectionState"] == "Online"
              and view["loginServer"] == edge.address)
        return Observed(ok, {k: view.get(k) for k in ("activation", "connectionState", "loginServer", "statusDetails")})
    wait_until(reported, READY_TIMEOUT, f"the cloud to show {CR_NAME} Active and Online")

    # Down: pushed at the cloud (admin, over https), it arrives at the connected registry.
    web = image("web", 1024 * 1024 + 4321)
    with tls.oci(tls.cloud.url, ADMIN) as cloud:
        pushed = cloud.push_image("apps/web", web, "1")
        assert pushed.status_code == 201, describe(pushed)
    with tls.oci(edge.url, edge_client.auth) as at_edge:
        wait_for_status(lambda: manifest_at(at_edge, "apps/web", "1"), 200, f"apps/web:1 at {CR_NAME}")
        assert_same_image(at_edge, "apps/web", "1", web)

    # Up: pushed at the ReadWrite connected registry, it reaches the cloud through the TLS uplink.
    tool = image("tool", 600 * 1024)
    with tls.oci(edge.url, edge_client.auth) as at_edge:
        pushed = at_edge.push_image("apps/tool", tool, "1")
        assert pushed.status_code == 201, describe(pushed)
    with tls.oci(tls.cloud.url, ADMIN) as cloud:
        wait_for_status(lambda: manifest_at(cloud, "apps/tool", "1"), 200, "apps/tool:1 at the cloud",
                        timeout=PROPAGATION_TIMEOUT)
        assert_same_image(cloud, "apps/tool", "1", tool)

    assert not [e for e in sync_failures(edge) if "TLS" in e or "certificate" in e], edge.tail(30)


def test_without_the_parent_ca_the_certificate_is_refused_and_nothing_syncs(tls: TlsSetup):
    """The system store does not trust the throwaway CA: the connected registry says why in its log (the TLS
    verification error, naming what it trusted), never activates, and stays unready; it keeps running (SPEC 5.6)."""
    edge_client = tls.token("edgeclient", PUSH_AND_READ)
    connection_string = tls.create_connected_registry(edge_client)
    with tls.oci(tls.cloud.url, ADMIN) as cloud:
        pushed = cloud.push_image("apps/web", image("web", 4096), "1")
        assert pushed.status_code == 201, describe(pushed)

    edge = tls.start_connected_registry(connection_string, [])

    def refused_twice() -> Observed:
        # Two failures: the first attempt and a retry after backoff, both refused for the same reason.
        failures = [e for e in sync_failures(edge) if "certificate verify failed" in e]
        return Observed(len(failures) >= 2, sync_failures(edge)[-3:])
    failures = wait_until(refused_twice, READY_TIMEOUT,
                          lambda: f"{CR_NAME} to log a refused certificate twice\n{edge.tail(20)}").seen
    error = failures[-1]
    assert "TLS handshake with https://" + tls.cloud.data_endpoint in error, error
    assert "trusted: the system store" in error, error

    assert edge.running
    assert readyz(edge.url) == 503
    view = tls.mgmt.connected_registry(CR_NAME)
    assert view["activation"] == "Inactive", view
    assert view.get("loginServer") in (None, ""), view
    states = [entry.get("state") for entry in edge.logged("connection state")]
    assert "Online" not in states and "Syncing" not in states, states
    with tls.oci(edge.url, edge_client.auth) as at_edge:
        assert manifest_at(at_edge, "apps/web", "1").status_code != 200


def test_a_parent_ca_file_that_cannot_be_loaded_stops_the_start(outpost_bin: Path, tmp_path: Path):
    """A trust setting the node cannot honour is an error at start, not a surprise at the first sync (flag and
    OUTPOST_PARENT_CA_FILE alike); the cloud, which has no parent, refuses the option."""
    connection_string = ("ConnectedRegistryName=edgenode;SyncTokenName=edgenode-sync-token;SyncTokenPassword=secret;"
                         "ParentGatewayEndpoint=127.0.0.1:1;ParentEndpointProtocol=https")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate\n")

    def serve(data: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(outpost_bin), "serve", "--listen", "127.0.0.1:0", "--data", str(tmp_path / data),
                               *args], capture_output=True, text=True, timeout=OPENSSL_TIMEOUT,
                              env={**os.environ, **(env or {})})

    missing = serve("a", "--connection-string", connection_string, "--parent-ca-file", str(tmp_path / "missing.pem"))
    assert missing.returncode == 1 and f"cannot read the CA bundle {tmp_path / 'missing.pem'}" in missing.stderr, \
        missing.stderr
    unusable = serve("b", "--connection-string", connection_string, env={"OUTPOST_PARENT_CA_FILE": str(garbage)})
    assert unusable.returncode == 1 and f"the CA bundle {garbage} holds no usable PEM certificate" in unusable.stderr, \
        unusable.stderr
    at_cloud = serve("c", "--parent-ca-file", str(garbage))
    assert at_cloud.returncode == 1 and "--parent-ca-file is for a connected registry" in at_cloud.stderr, \
        at_cloud.stderr
