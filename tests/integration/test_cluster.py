"""`outpost cluster up|status|down` with the three-level demo topology (scenarios/topologies/edge-factory.json):
cloud -> factory (ReadWrite: apps/*, base) -> line1 (ReadOnly: apps/*), cloud -> store (ReadOnly: base), every
child -> parent link through the fault proxy.

What is checked: every endpoint cluster.json names answers, each node's on a port outside the ephemeral range; the
proxy has the links cluster.json names, pointing where it says; an image pushed at the cloud reaches line1 (polled with
a deadline), both hops' content crossed the proxy's links, and base reaches store; `status` reports the nodes;
`cluster down` leaves none of the recorded processes alive; a wrong topology is refused before anything starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest
import requests

from oci_client import OciClient, make_config, make_image, make_layer, random_bytes

REPO_ROOT = Path(__file__).resolve().parents[2]
TOPOLOGY = REPO_ROOT / "scenarios" / "topologies" / "edge-factory.json"
UP_TIMEOUT = 90        # seconds `cluster up` may take (its own --timeout)
DOWN_TIMEOUT = 60      # seconds for `cluster down` (10 s grace, then SIGKILL)
SYNC_DEADLINE = 60.0   # seconds for a push at the cloud to be listed two hops down
POLL = 0.2


def run_cli(outpost_bin: Path, *args: str, timeout: float = 30) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OUTPOST_")}
    return subprocess.run([str(outpost_bin), *args], capture_output=True, text=True, timeout=timeout, env=env)


def process_alive(pid: int, start_time: int) -> bool:
    """True while that process runs: a zombie (exited, not yet reaped by its new parent) or a recycled pid is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    fields = stat[stat.rindex(")") + 2:].split()
    return fields[0] not in ("Z", "X") and int(fields[19]) == start_time


def recorded_processes(info: dict) -> dict[str, tuple[int, int]]:
    processes = {name: (node["pid"], node["startTime"]) for name, node in info["nodes"].items()}
    processes["proxy"] = (info["proxy"]["pid"], info["proxy"]["startTime"])
    return processes


def tag_listed(client: OciClient, repository: str, tag: str) -> bool:
    """Whether `tag` is listed yet (a repository can be listed before its tag: the tag is committed last)."""
    answer = client.list_tags(repository)
    return answer.status_code == 200 and tag in (answer.json().get("tags") or [])


def logs_of(directory: Path) -> str:
    text = ""
    for log in sorted((directory / "logs").glob("*.log")):
        lines = log.read_text(errors="replace").splitlines()[-25:]
        text += f"\n--- {log.name} (last {len(lines)} lines)\n" + "\n".join(lines)
    return text


class Cluster:
    def __init__(self, outpost_bin: Path, directory: Path, up: subprocess.CompletedProcess):
        self.outpost_bin = outpost_bin
        self.directory = directory
        self.up = up
        self.info = json.loads((directory / "cluster.json").read_text())

    def node(self, name: str) -> dict:
        return self.info["nodes"][name]

    def client(self, name: str) -> OciClient:
        """An OCI client of a node as its clients reach it, with the node's client token (the admin at the cloud)."""
        node = self.node(name)
        client = OciClient(node["url"])
        if name == "cloud":
            client.session.auth = (self.info["admin"]["username"], self.info["admin"]["password"])
        else:
            token = node["clientTokens"][0]
            client.session.auth = (token["name"], token["password"])
        return client

    def proxy_links(self) -> dict:
        answer = requests.get(f"http://{self.info['proxy']['api']}/proxies", timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def down(self) -> subprocess.CompletedProcess:
        return run_cli(self.outpost_bin, "cluster", "down", "--dir", str(self.directory), timeout=DOWN_TIMEOUT)


@pytest.fixture
def cluster(outpost_bin: Path, tmp_path: Path):
    directory = tmp_path / "edge-factory"
    up = run_cli(outpost_bin, "cluster", "up", str(TOPOLOGY), "--dir", str(directory), "--timeout", str(UP_TIMEOUT),
                 timeout=UP_TIMEOUT + 30)
    if up.returncode != 0:
        if (directory / "cluster.json").exists():
            run_cli(outpost_bin, "cluster", "down", "--dir", str(directory), timeout=DOWN_TIMEOUT)
        pytest.fail(f"cluster up exited {up.returncode}\n{up.stdout}\n{up.stderr}{logs_of(directory)}", pytrace=False)
    started = Cluster(outpost_bin, directory, up)
    yield started
    # Whatever the test did: nothing may outlive it. A second down is harmless ("was not running").
    started.down()


def test_up_records_every_endpoint_and_they_answer(cluster: Cluster):
    info = cluster.info
    assert info["state"] == "up"
    assert list(info["nodes"]) == ["cloud", "factory", "line1", "store"]  # parents before children
    assert "is up" in cluster.up.stdout and "factory" in cluster.up.stdout

    for name, node in info["nodes"].items():
        # Probes on the node's own address (exempt from the Host check), the API where clients reach it.
        for probe in ("/healthz", "/readyz"):
            answer = requests.get(f"http://{node['listen']}{probe}", timeout=10)
            assert answer.status_code == 200, f"{name} {probe}: {answer.status_code} {answer.text}"
        with cluster.client(name) as client:
            answer = client.get("/v2/")
            assert answer.status_code == 200, f"{name} /v2/ at {node['url']}: {answer.status_code} {answer.text}"

    # Every node listens outside this machine's ephemeral range, on the addresses its serve.json gives a restart: the
    # kernel cannot have handed such a port to an outgoing connection while the node was down.
    first, last = (int(n) for n in Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split())
    for name, node in info["nodes"].items():
        serve = json.loads(Path(node["config"]).read_text())
        addresses = [node["listen"]] + ([node["dataEndpoint"]] if "dataEndpoint" in node else [])
        assert [serve["listen"]] + ([serve["data-endpoint"]] if "data-endpoint" in serve else []) == addresses
        for address in addresses:
            port = int(address.rsplit(":", 1)[1])
            assert not first <= port <= last, f"{name} listens on {address}, in the ephemeral range {first}-{last}"

    assert info["nodes"]["line1"]["parent"] == "factory"
    assert info["nodes"]["line1"]["mode"] == "ReadOnly"
    assert info["nodes"]["factory"]["repositories"] == ["apps/*", "base"]
    assert (cluster.directory / "admin-password").read_text().strip() == info["admin"]["password"]

    # The proxy carries exactly the links cluster.json names, pointing where it says, all up.
    links = cluster.proxy_links()
    assert set(links) == set(info["proxy"]["links"]) == {"cloud", "factory", "cloud-data.factory", "cloud-data.store"}
    for name, link in info["proxy"]["links"].items():
        assert links[name]["listen"] == link["listen"]
        assert links[name]["upstream"] == link["upstream"]
        assert links[name]["enabled"] is True
    assert links["cloud"]["upstream"] == info["nodes"]["cloud"]["listen"]
    assert links["cloud-data.factory"]["upstream"] == info["nodes"]["cloud"]["dataEndpoint"]
    assert links["factory"]["upstream"] == info["nodes"]["factory"]["listen"]
    # Nodes with children are reached through their link; line1's parent gateway is factory's link.
    assert info["nodes"]["cloud"]["loginServer"] == links["cloud"]["listen"]
    assert info["nodes"]["factory"]["loginServer"] == links["factory"]["listen"]
    assert info["nodes"]["line1"]["parentGateway"] == links["factory"]["listen"]
    assert info["nodes"]["factory"]["parentGateway"] == links["cloud-data.factory"]["listen"]
    assert f"ParentGatewayEndpoint={links['factory']['listen']};" in info["nodes"]["line1"]["connectionString"]
    assert info["nodes"]["line1"]["uplinks"] == ["factory"]
    assert info["nodes"]["store"]["uplinks"] == ["cloud-data.store", "cloud"]

    # Every node reports to the cloud (status every 2 s): `cluster status` shows them Online.
    deadline = time.monotonic() + SYNC_DEADLINE
    while True:
        done = run_cli(cluster.outpost_bin, "cluster", "status", "--dir", str(cluster.directory), "--output", "json")
        assert done.returncode == 0, done.stderr
        status = json.loads(done.stdout)
        states = {node["name"]: node.get("connectionState") for node in status["nodes"] if node["name"] != "cloud"}
        if all(state == "Online" for state in states.values()):
            break
        assert time.monotonic() < deadline, f"not all Online within {SYNC_DEADLINE} s: {states}"
        time.sleep(POLL)
    assert all(node["process"] == "running" for node in status["nodes"])
    table = run_cli(cluster.outpost_bin, "cluster", "status", "--dir", str(cluster.directory))
    assert table.returncode == 0 and "line1" in table.stdout and "Online" in table.stdout, table.stdout


def test_push_at_cloud_reaches_line1_through_the_proxy(cluster: Cluster):
    layer = make_layer({"payload.bin": random_bytes(512 * 1024, "cluster")})
    manifest = make_image(make_config("cluster"), [layer])
    before = cluster.proxy_links()
    with cluster.client("cloud") as cloud:
        cloud.push_image("apps/hello", manifest, "v1")

    deadline = time.monotonic() + SYNC_DEADLINE
    with cluster.client("line1") as line1:
        while True:
            tags = line1.list_tags("apps/hello")
            if tags.status_code == 200 and "v1" in (tags.json().get("tags") or []):
                break
            assert tags.status_code in (200, 404), f"line1 tags/list: {tags.status_code} {tags.text}"
            assert time.monotonic() < deadline, (f"apps/hello:v1 not at line1 within {SYNC_DEADLINE} s "
                                                 f"(last: {tags.status_code} {tags.text}){logs_of(cluster.directory)}")
            time.sleep(POLL)
        got = line1.get_manifest("apps/hello", "v1")
        assert got.status_code == 200 and got.content == manifest.body
        blob = line1.get_blob("apps/hello", layer.digest)
        assert blob.status_code == 200 and blob.content == layer.data

    # factory read the layer from the cloud through link "cloud", line1 from factory through link "factory": the
    # content crossed the proxy on both hops (not only the gateway requests).
    after = cluster.proxy_links()
    for link in ("cloud", "factory"):
        grown = after[link]["counters"]["bytes_downstream"] - before[link]["counters"]["bytes_downstream"]
        assert grown >= len(layer.data), f"link {link} carried {grown} bytes down, the layer has {len(layer.data)}"

    # store syncs base only: a push there arrives; apps/* is outside its scope, and its client token may not even ask
    # (403 comes before "not synced here" in the order of checks, SPEC 4.3).
    base = make_image(make_config("cluster-base"), [make_layer({"base.txt": b"base layer"})])
    with cluster.client("cloud") as cloud:
        cloud.push_image("base", base, "v1")
    with cluster.client("store") as store:
        deadline = time.monotonic() + SYNC_DEADLINE
        while not tag_listed(store, "base", "v1"):
            assert time.monotonic() < deadline, f"base:v1 not at store in {SYNC_DEADLINE} s{logs_of(cluster.directory)}"
            time.sleep(POLL)
        assert store.get_manifest("base", "v1").content == base.body
        assert store.list_tags("apps/hello").status_code == 403


def test_down_leaves_no_process_alive(cluster: Cluster):
    processes = recorded_processes(cluster.info)
    assert all(process_alive(pid, start) for pid, start in processes.values())

    done = cluster.down()
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    for name, (pid, start) in processes.items():
        assert not process_alive(pid, start), f"{name} (pid {pid}) still runs after cluster down"
        assert f"{name} (pid {pid}): stopped" in done.stdout, done.stdout
    assert "is down" in done.stdout
    assert json.loads((cluster.directory / "cluster.json").read_text())["state"] == "down"

    again = cluster.down()
    assert again.returncode == 0 and "was not running" in again.stdout, again.stdout
    status = run_cli(cluster.outpost_bin, "cluster", "status", "--dir", str(cluster.directory), "--output", "json")
    assert status.returncode == 1  # the cloud cannot be asked any more
    assert all(node["process"] == "stopped" for node in json.loads(status.stdout)["nodes"])


def test_a_wrong_topology_is_refused_before_anything_starts(outpost_bin: Path, tmp_path: Path):
    topology = tmp_path / "bad.json"
    topology.write_text(json.dumps({"name": "bad", "nodes": [
        {"name": "parent1", "mode": "ReadOnly", "repositories": ["a"]},
        {"name": "child1", "parent": "parent1", "mode": "ReadWrite"},
    ]}))
    done = run_cli(outpost_bin, "cluster", "up", str(topology), "--dir", str(tmp_path / "bad"))
    assert done.returncode == 1
    assert "nodes[1] (child1).mode" in done.stderr and "ReadOnly parent" in done.stderr, done.stderr
    assert not (tmp_path / "bad").exists()
