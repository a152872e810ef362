"""The fault proxy in front of a real registry: `outpost proxy serve` forwards a link to `outpost serve`, and the
`outpost proxy ...` client verbs change it while a client pulls through it.

What is checked: a pull through the link gets the registry's exact bytes; `down` makes pulls fail and `up` restores
them; toxics added and removed by the CLI act on the pulls; a link's own bandwidth (`outpost proxy bandwidth`) is shown,
kept by a reset and lets concurrent pulls through intact; the link's counters (from `outpost proxy show`) grow with
the traffic; links from a file at start (`serve --config`) and by `outpost proxy populate` (kept, replaced, made); the
CLI's errors and exit statuses (1 for a refusal, 2 for a wrong command line).
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import subprocess
from pathlib import Path

import pytest
import requests

from conftest import _SERVERS_KEY, OutpostServer
from oci_client import OciClient, make_config, make_image, make_layer, random_bytes

CLI_TIMEOUT = 30  # seconds for one `outpost proxy ...` client verb
REPO = "proxied/app"


class FaultProxyServer(OutpostServer):
    """`outpost proxy serve` as the fixtures run servers: it logs "listening" with the API's address, and the
    addresses its links are bound to under "links"."""

    def __init__(self, binary: Path, work_dir: Path, args: list[str]):
        super().__init__(binary, work_dir, args, name="fault-proxy")

    def command(self) -> list[str]:
        return [str(self.binary), "proxy", "serve", "--api", "127.0.0.1:0", *self.args]

    def link_address(self, name: str) -> str:
        for entry in self.log_entries():
            if entry.get("msg") == "listening":
                return entry["links"][name]
        raise AssertionError(f"no listening line\n{self.tail()}")


@pytest.fixture
def fault_proxy(request: pytest.FixtureRequest, outpost_bin: Path, registry, tmp_path: Path) -> FaultProxyServer:
    """A fault proxy with one link, "registry", in front of the `registry` fixture's node."""
    proxy = FaultProxyServer(outpost_bin, tmp_path / "proxy",
                             ["--seed", "7", "--link", f"registry=127.0.0.1:0,{registry.address}"])
    request.node.stash.setdefault(_SERVERS_KEY, []).append(proxy)  # its output joins a failing test's report
    proxy.start()
    yield proxy
    if proxy.running:
        proxy.stop()


def proxy_cli(outpost_bin: Path, proxy: FaultProxyServer, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(outpost_bin), "proxy", *args, "--api", proxy.address], capture_output=True, text=True,
                          timeout=CLI_TIMEOUT)


def proxy_json(outpost_bin: Path, proxy: FaultProxyServer, *args: str):
    done = proxy_cli(outpost_bin, proxy, *args)
    assert done.returncode == 0, f"outpost proxy {' '.join(args)}: {done.returncode}\n{done.stderr}"
    return json.loads(done.stdout) if done.stdout.strip() else None


@pytest.fixture
def image(registry):
    """A small image pushed straight to the registry (not through the proxy): a config and one 256 KiB layer."""
    layer = make_layer({"payload.bin": random_bytes(256 * 1024, "fault-proxy")})
    manifest = make_image(make_config("fault-proxy"), [layer])
    with OciClient(registry.url) as client:
        client.push_image(REPO, manifest, "v1")
    return manifest, layer


def pull(base_url: str, manifest, layer) -> None:
    """The manifest by tag and the layer by digest through `base_url`, compared byte for byte. A new session each
    time, so no kept-alive connection from before a change to the link is reused."""
    with OciClient(base_url) as client:
        got = client.get_manifest(REPO, "v1")
        assert got.status_code == 200, got.text
        assert got.content == manifest.body
        blob = client.get_blob(REPO, layer.digest)
        assert blob.status_code == 200
        assert blob.content == layer.data


def test_pull_through_the_link_down_and_up(outpost_bin, fault_proxy, image):
    manifest, layer = image
    link = "http://" + fault_proxy.link_address("registry")
    pull(link, manifest, layer)
    before = proxy_json(outpost_bin, fault_proxy, "show", "registry")["counters"]
    assert before["connections_total"] >= 1
    assert before["bytes_downstream"] >= layer.size + manifest.size
    assert before["bytes_upstream"] > 0

    down = proxy_json(outpost_bin, fault_proxy, "down", "registry")
    assert down["enabled"] is False
    with pytest.raises(requests.ConnectionError):
        pull(link, manifest, layer)

    up = proxy_json(outpost_bin, fault_proxy, "up", "registry")
    assert up["enabled"] is True
    pull(link, manifest, layer)

    after = proxy_json(outpost_bin, fault_proxy, "show", "registry")["counters"]
    assert after["connections_refused"] >= 1
    assert after["connections_total"] > before["connections_total"]
    assert after["bytes_downstream"] >= before["bytes_downstream"] + layer.size
    listed = proxy_json(outpost_bin, fault_proxy, "list")
    assert list(listed) == ["registry"]
    assert listed["registry"]["listen"] == fault_proxy.link_address("registry")


def test_toxics_from_the_cli_act_on_pulls(outpost_bin, fault_proxy, image):
    manifest, layer = image
    link = "http://" + fault_proxy.link_address("registry")

    added = proxy_json(outpost_bin, fault_proxy, "toxic", "add", "registry", "--type", "limit_data",
                       "--toxic-name", "cut", "--stream", "down", "--attribute", "bytes=2000")
    assert added == {"name": "cut", "type": "limit_data", "stream": "downstream", "toxicity": 1.0,
                     "attributes": {"bytes": 2000}}
    # Every connection ends after 2000 bytes of answers: the blob comes short (requests does not hold a body to its
    # Content-Length), or the connection breaks.
    with pytest.raises((requests.RequestException, AssertionError)):
        pull(link, manifest, layer)

    toxics = proxy_json(outpost_bin, fault_proxy, "toxic", "list", "registry")
    assert [toxic["name"] for toxic in toxics] == ["cut"]
    assert proxy_json(outpost_bin, fault_proxy, "toxic", "remove", "registry", "cut") is None
    pull(link, manifest, layer)

    # Bytes still arrive intact through latency, slicing and a bandwidth limit together.
    proxy_json(outpost_bin, fault_proxy, "toxic", "add", "registry", "--type", "latency", "-a", "latency=5",
               "-a", "jitter=2")
    proxy_json(outpost_bin, fault_proxy, "toxic", "add", "registry", "--type", "slicer", "--stream", "up",
               "-a", "average_size=64", "-a", "size_variation=32")
    proxy_json(outpost_bin, fault_proxy, "toxic", "add", "registry", "--type", "bandwidth",
               "-a", "rate_bytes=8388608")
    updated = proxy_json(outpost_bin, fault_proxy, "toxic", "update", "registry", "latency_downstream",
                         "-a", "latency=1")
    assert updated["attributes"] == {"latency": 1, "jitter": 2}
    pull(link, manifest, layer)

    assert proxy_json(outpost_bin, fault_proxy, "reset") is None
    assert proxy_json(outpost_bin, fault_proxy, "show", "registry")["toxics"] == []


def test_a_links_own_bandwidth_from_the_cli(outpost_bin, fault_proxy, image):
    manifest, layer = image
    link = "http://" + fault_proxy.link_address("registry")
    shaped = proxy_json(outpost_bin, fault_proxy, "bandwidth", "registry", "--down", "8000000")
    assert shaped["bandwidth"] == {"upstream": 0, "downstream": 8000000}
    assert shaped["toxics"] == []                                  # the link's own rate, not a toxic
    # Two pulls at once share the link; both get the registry's exact bytes.
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        for done in [pool.submit(pull, link, manifest, layer) for _ in range(2)]:
            done.result()
    both = proxy_json(outpost_bin, fault_proxy, "bandwidth", "registry", "--up", "1000000")
    assert both["bandwidth"] == {"upstream": 1000000, "downstream": 8000000}
    assert proxy_json(outpost_bin, fault_proxy, "reset") is None     # a reset removes faults, not the link's shape
    assert proxy_json(outpost_bin, fault_proxy, "show", "registry")["bandwidth"]["downstream"] == 8000000
    assert proxy_json(outpost_bin, fault_proxy, "bandwidth", "registry", "--down", "0")["bandwidth"]["downstream"] == 0
    pull(link, manifest, layer)
    nothing = proxy_cli(outpost_bin, fault_proxy, "bandwidth", "registry")
    assert nothing.returncode == 2 and "outpost: usage:" in nothing.stderr


def test_cli_errors_and_exit_statuses(outpost_bin, fault_proxy, registry):
    missing = proxy_cli(outpost_bin, fault_proxy, "down", "nobody")
    assert missing.returncode == 1
    assert "outpost: HTTP_404: proxy not found" in missing.stderr

    bad_type = proxy_cli(outpost_bin, fault_proxy, "toxic", "add", "registry", "--type", "earthquake")
    assert bad_type.returncode == 1
    assert "invalid toxic type" in bad_type.stderr

    for args in (["toxic", "add", "registry", "--type", "latency", "--stream", "sideways"],
                 ["toxic", "add", "registry", "--type", "latency", "--attribute", "latency=soon"],
                 ["toxic", "add", "registry"],
                 # a number no double holds, a boolean, a negative rate (once sent as 2^64 - 1): usage errors
                 ["toxic", "add", "registry", "--type", "latency", "--attribute", "latency=1e400"],
                 ["toxic", "add", "registry", "--type", "latency", "--attribute", "latency=true"],
                 ["bandwidth", "registry", "--up", "-1"],
                 ["create", "other"]):
        done = proxy_cli(outpost_bin, fault_proxy, *args)
        assert done.returncode == 2, f"{args}: {done.returncode}\n{done.stderr}"
        assert "outpost: usage:" in done.stderr

    created = proxy_json(outpost_bin, fault_proxy, "create", "other", "--upstream", registry.address)
    assert created["name"] == "other" and created["enabled"] is True
    assert created["listen"].startswith("127.0.0.1:") and not created["listen"].endswith(":0")
    again = proxy_cli(outpost_bin, fault_proxy, "create", "other", "--upstream", registry.address)
    assert again.returncode == 1 and "proxy already exists" in again.stderr
    assert proxy_json(outpost_bin, fault_proxy, "delete", "other") is None

    unreachable = subprocess.run([str(outpost_bin), "proxy", "list", "--api", "127.0.0.1:1"], capture_output=True,
                                 text=True, timeout=CLI_TIMEOUT)
    assert unreachable.returncode == 1
    assert unreachable.stderr.startswith("outpost: error:")
    # A link named twice is refused before anything listens (it once failed after the first was announced).
    twice = subprocess.run([str(outpost_bin), "proxy", "serve", "--api", "127.0.0.1:0",
                            "--link", "a=127.0.0.1:0," + registry.address, "--link", "a=127.0.0.1:0," + registry.address],
                           capture_output=True, text=True, timeout=CLI_TIMEOUT)
    assert twice.returncode == 2 and "link a is given twice" in twice.stderr and twice.stdout == ""
    # A negative seed (once wrapped around to 2^64 - 1) and zero threads (once read as one): usage errors.
    for flags in (["--seed", "-1"], ["--seed", "18446744073709551616"], ["--threads", "0"]):
        refused = subprocess.run([str(outpost_bin), "proxy", "serve", "--api", "127.0.0.1:0", *flags],
                                 capture_output=True, text=True, timeout=CLI_TIMEOUT)
        assert refused.returncode == 2 and "outpost: usage:" in refused.stderr and refused.stdout == "", flags
    # --api wins over OUTPOST_PROXY_API (the environment once replaced it), which is the default without it.
    elsewhere = dict(os.environ, OUTPOST_PROXY_API="127.0.0.1:1")
    assert subprocess.run([str(outpost_bin), "proxy", "list", "--api", fault_proxy.address], capture_output=True,
                          text=True, timeout=CLI_TIMEOUT, env=elsewhere).returncode == 0
    here = dict(os.environ, OUTPOST_PROXY_API=fault_proxy.address)
    assert subprocess.run([str(outpost_bin), "proxy", "list"], capture_output=True, text=True, timeout=CLI_TIMEOUT,
                          env=here).returncode == 0

    # A control port in use is named with its reason, not with Asio's source location.
    busy_api = fault_proxy.address
    busy = subprocess.run([str(outpost_bin), "proxy", "serve", "--api", busy_api], capture_output=True, text=True,
                          timeout=CLI_TIMEOUT)
    assert busy.returncode == 1
    assert f"cannot listen on {busy_api}: Address already in use" in busy.stderr, busy.stderr


def test_links_from_a_file_at_start_and_by_populate(outpost_bin, registry, image, tmp_path, request):
    manifest, layer = image
    links_file = tmp_path / "links.json"
    links_file.write_text(json.dumps([{"name": "first", "upstream": registry.address},
                                      {"name": "spare", "upstream": "127.0.0.1:1", "enabled": False}]))
    proxy = FaultProxyServer(outpost_bin, tmp_path / "proxy", ["--config", str(links_file)])
    request.node.stash.setdefault(_SERVERS_KEY, []).append(proxy)
    proxy.start()
    try:
        first = proxy.link_address("first")
        pull("http://" + first, manifest, layer)
        assert proxy_json(outpost_bin, proxy, "show", "spare")["enabled"] is False
        proxy_json(outpost_bin, proxy, "toxic", "add", "first", "--type", "latency", "--attribute", "latency=1")

        # first as it is (kept, with its toxic), spare pointed elsewhere and up (replaced), third new.
        links_file.write_text(json.dumps([{"name": "first", "listen": first, "upstream": registry.address},
                                          {"name": "spare", "upstream": registry.address},
                                          {"name": "third", "upstream": registry.address}]))
        answer = proxy_json(outpost_bin, proxy, "populate", str(links_file))
        links = {link["name"]: link for link in answer["proxies"]}
        assert list(links) == ["first", "spare", "third"]
        assert links["first"]["listen"] == first and len(links["first"]["toxics"]) == 1
        assert links["spare"]["enabled"] is True and links["spare"]["upstream"] == registry.address
        for link in links.values():
            pull("http://" + link["listen"], manifest, layer)

        # A file that is not a list of links is refused before anything is sent or started.
        links_file.write_text(json.dumps([{"name": "nowhere"}]))
        refused = proxy_cli(outpost_bin, proxy, "populate", str(links_file))
        assert refused.returncode == 2 and "link 1: missing required field: upstream" in refused.stderr, refused.stderr
        not_started = subprocess.run([str(outpost_bin), "proxy", "serve", "--api", "127.0.0.1:0", "--config",
                                      str(links_file)], capture_output=True, text=True, timeout=CLI_TIMEOUT)
        assert not_started.returncode == 2 and "link 1: missing required field: upstream" in not_started.stderr
        assert proxy_json(outpost_bin, proxy, "list").keys() == {"first", "spare", "third"}
    finally:
        proxy.stop()


def test_serve_stops_on_sigterm(fault_proxy):
    assert fault_proxy.stop() == 0
    assert any(entry.get("msg") == "stopped" for entry in fault_proxy.log_entries())
