"""`outpost serve` options from flags, environment and --config (SPEC 7.4), /metrics (SPEC 1.4), --login-server
(SPEC 1.3), TLS, and the demo that README's first command runs."""
import json
import re
import subprocess
from pathlib import Path

import requests

from hierarchy import ConnectedRegistryServer

TIMEOUT = 10


def listening_entry(server):
    return next(e for e in server.log_entries() if e.get("msg") == "listening")


def test_config_file_sets_metrics_listener_and_log_level(outpost_factory, tmp_path):
    config = tmp_path / "node.json"
    config.write_text(json.dumps({"metrics-listen": "127.0.0.1:0", "log-level": "warn"}))
    server = outpost_factory(args=["--config", str(config)])
    metrics_address = listening_entry(server)["metrics"]
    assert metrics_address != server.address
    # A request is counted once its response is written. On one keep-alive connection the server reads the next request
    # only after that, so the /healthz answer proves the /v2/ request is already in the metrics.
    with requests.Session() as session:
        assert session.get(f"{server.url}/v2/", timeout=TIMEOUT).status_code == 200
        assert session.get(f"{server.url}/healthz", timeout=TIMEOUT).status_code == 200
    # /metrics moved to its own port; the main port no longer serves it.
    assert requests.get(f"{server.url}/metrics", timeout=TIMEOUT).status_code == 404
    scrape = requests.get(f"http://{metrics_address}/metrics", timeout=TIMEOUT)
    assert scrape.status_code == 200
    assert 'outpost_http_requests_total{route="base",method="GET",status="200"} 1' in scrape.text
    # log-level warn from the file: no per-request info lines after the listening line.
    assert not [e for e in server.log_entries() if e.get("level") == "info" and e.get("msg") != "listening"]


def test_config_file_with_unknown_key_is_refused(outpost_bin, tmp_path):
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"listen": "127.0.0.1:0", "colour": "blue"}))
    result = subprocess.run([str(outpost_bin), "serve", "--config", str(config), "--data", str(tmp_path / "d")],
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode != 0
    assert "unknown option 'colour'" in result.stderr


def test_login_server_from_environment_refuses_other_hosts(outpost_factory, monkeypatch):
    monkeypatch.setenv("OUTPOST_LOGIN_SERVER", "registry.example:443")
    server = outpost_factory()
    refused = requests.get(f"{server.url}/v2/", timeout=TIMEOUT)
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["code"] == "DENIED"
    served = requests.get(f"{server.url}/v2/", headers={"Host": "registry.example:443"}, timeout=TIMEOUT)
    assert served.status_code == 200
    # Host names are case-insensitive (RFC 9110 4.2.3): the same host in capitals was refused.
    capitals = requests.get(f"{server.url}/v2/", headers={"Host": "REGISTRY.Example:443"}, timeout=TIMEOUT)
    assert capitals.status_code == 200
    # Probes answer whatever the Host, so an orchestrator can reach the node by any address.
    assert requests.get(f"{server.url}/healthz", timeout=TIMEOUT).status_code == 200


def test_metrics_count_requests_and_bytes(registry):
    # One keep-alive connection: each request is recorded before the server reads the next, so the scrape sees them all.
    with requests.Session() as session:
        for _ in range(2):
            session.get(f"{registry.url}/v2/", timeout=TIMEOUT)
        session.get(f"{registry.url}/v2/nothing/manifests/latest", timeout=TIMEOUT)
        text = session.get(f"{registry.url}/metrics", timeout=TIMEOUT).text
    assert 'outpost_http_requests_total{route="base",method="GET",status="200"} 2' in text
    assert 'outpost_http_requests_total{route="manifest",method="GET",status="404"} 1' in text
    assert re.search(r'^outpost_http_request_duration_seconds_count\{route="base"\} 2$', text, re.M)
    assert re.search(r"^outpost_storage_blob_bytes \d+$", text, re.M)


def test_tls_serves_https(outpost_factory, tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-days", "1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True, timeout=TIMEOUT)
    server = outpost_factory(args=["--tls-cert", str(cert), "--tls-key", str(key)])
    assert listening_entry(server)["tls"] is True
    reply = requests.get(f"https://{server.address}/v2/", verify=str(cert), timeout=TIMEOUT)
    assert reply.status_code == 200
    assert reply.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_demo_pushes_and_pulls_with_skopeo(outpost_bin, tmp_path):
    """README's first command ends in `build/bin/outpost`: the demo must work on its embedded defaults."""
    env = {"XDG_DATA_HOME": str(tmp_path / "xdg"), "_CONTAINERS_ROOTLESS_UID": "1000", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([str(outpost_bin), "demo", "--work", str(tmp_path / "demo")], capture_output=True, text=True,
                            timeout=120, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "identical" in result.stdout
    assert (tmp_path / "demo" / "pulled" / "index.json").is_file()
    # The commands it suggests next name the executable as it was run, whatever the build directory.
    assert f"  {outpost_bin} serve --listen" in result.stdout
    assert f"  {outpost_bin} token create" in result.stdout


def test_an_empty_admin_password_file_stops_the_start_before_the_data_directory_is_touched(outpost_bin, tmp_path):
    """A refused start leaves no half-made node: had the data directory been initialised without the admin's hash,
    the next start would have made up a password of its own."""
    empty = tmp_path / "empty.pw"
    empty.write_text("\n")
    data = tmp_path / "data"
    result = subprocess.run([str(outpost_bin), "serve", "--listen", "127.0.0.1:0", "--data", str(data),
                             "--admin-password-file", str(empty)], capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 1, result.stderr
    assert f"--admin-password-file {empty} is empty" in result.stderr
    assert not data.exists() or not any(data.iterdir())


def test_status_offline_after_is_checked_before_the_data_directory_is_touched(outpost_bin, tmp_path):
    """--status-offline-after is the cloud's (a connected registry shows no one's status), and takes a duration
    above zero or `none`; a refusal comes before the data directory exists."""
    data = tmp_path / "data"

    def refusal(*args):
        result = subprocess.run([str(outpost_bin), "serve", "--listen", "127.0.0.1:0", "--data", str(data), *args],
                                capture_output=True, text=True, timeout=TIMEOUT)
        assert result.returncode == 1, result.stderr
        assert not data.exists() or not any(data.iterdir())
        return result.stderr

    assert "'0s' is not a duration longer than zero" in refusal("--status-offline-after", "0s")
    assert "'soon' is not a duration" in refusal("--status-offline-after", "soon")
    connection = ("ConnectedRegistryName=edge1;SyncTokenName=edge1-sync-token;SyncTokenPassword=x;"
                  "ParentGatewayEndpoint=127.0.0.1:9;ParentEndpointProtocol=http")
    assert "--status-offline-after is for the cloud" in refusal("--connection-string", connection,
                                                                "--status-offline-after", "none")


def test_a_cloud_takes_status_offline_after_none(outpost_factory):
    server = outpost_factory(args=["--status-offline-after", "none"])
    assert requests.get(f"{server.url}/v2/", timeout=TIMEOUT).status_code in (200, 401)


def test_ports_login_servers_and_long_polls_out_of_range_are_refused(outpost_bin, tmp_path):
    """A port past 65535 was taken modulo 65536 (99999 listened on 34463), a --login-server with a space or port 99999
    was accepted and then refused every request as "served as ...", and a --sync-long-poll longer than a parent holds
    one (600 s) was cut short without a word: each is refused at the start, the last two before the data directory is
    touched."""
    data = tmp_path / "data"

    def refusal(*args, touches_nothing=True):
        result = subprocess.run([str(outpost_bin), "serve", "--data", str(data), *args],
                                capture_output=True, text=True, timeout=TIMEOUT)
        assert result.returncode == 1, result.stderr
        if touches_nothing:
            assert not data.exists() or not any(data.iterdir())
        return result.stderr

    assert "is not HOST or HOST:PORT" in refusal("--listen", "127.0.0.1:0", "--login-server", "bad host:5000")
    assert "is not HOST or HOST:PORT" in refusal("--listen", "127.0.0.1:0", "--login-server", "registry:99999")
    assert "longer than a parent holds a long poll" in refusal("--listen", "127.0.0.1:0", "--sync-long-poll", "1h")
    assert "the port must be a number from 0 to 65535" in refusal("--listen", "127.0.0.1:99999",
                                                                  touches_nothing=False)


def test_a_data_directory_serves_only_the_node_it_belongs_to(outpost_factory, outpost_bin, tmp_path):
    """A connected registry's data directory started with another CR's connection string served its content under the
    other name and activated with its instance id (turning the real one down); the cloud's, or a CR's used for the
    other role, mixed the two. Each is refused at the start, naming whose directory it is."""
    def connection(name: str) -> str:  # a parent that is not there: the check comes before any request
        return (f"ConnectedRegistryName={name};SyncTokenName={name}-sync-token;SyncTokenPassword=x;"
                "ParentGatewayEndpoint=127.0.0.1:9;ParentEndpointProtocol=http")

    edge = ConnectedRegistryServer(outpost_bin, tmp_path / "edge", ["--connection-string", connection("edgeone")])
    edge.start()
    edge.stop()
    cloud = outpost_factory(data_dir=tmp_path / "cloud")
    cloud.stop()

    def refusal(data: Path, *args: str) -> str:
        result = subprocess.run([str(outpost_bin), "serve", "--listen", "127.0.0.1:0", "--data", str(data), *args],
                                capture_output=True, text=True, timeout=TIMEOUT)
        assert result.returncode == 1, result.stderr
        return result.stderr

    assert "belongs to connected registry 'edgeone', not to 'edgetwo'" in \
        refusal(tmp_path / "edge", "--connection-string", connection("edgetwo"))
    assert "belongs to connected registry 'edgeone', not to the cloud" in refusal(tmp_path / "edge")
    assert "belongs to the cloud, not to connected registry 'edgeone'" in \
        refusal(tmp_path / "cloud", "--connection-string", connection("edgeone"))
    # Its own node still starts on it, the name written in capitals or not.
    again = ConnectedRegistryServer(outpost_bin, tmp_path / "edge", ["--connection-string", connection("EdgeOne")])
    again.start()
    try:
        assert requests.get(f"{again.url}/healthz", timeout=TIMEOUT).status_code == 200
    finally:
        again.stop()
