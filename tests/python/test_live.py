"""outpost.LiveCluster on real `outpost serve` processes (docs/python.md, "LiveCluster"): what is particular to the
live world. The shared vocabulary in action is the business of scenarios/ (both worlds); here: teardown whatever
happens, restarts recorded where `outpost cluster down` finds them, the proxy links a fault may and may not cut, the
timeline steps checked before they apply, and link shapes (latency toxics, the links' own bandwidth). Needs the
outpost executable ($OUTPOST_BIN, or build/bin/outpost beside build/python)."""

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import pytest

import outpost
from outpost.live_processes import alive, find_binary, sanitizer

try:
    find_binary()
    HAVE_BINARY = True
except outpost.LiveClusterError:
    HAVE_BINARY = False

pytestmark = pytest.mark.skipif(not HAVE_BINARY, reason="no outpost executable: build `outpost` or set OUTPOST_BIN")


def processes(cluster_dir):
    """(pid, start time) of every process cluster.json records."""
    document = json.loads((pathlib.Path(cluster_dir) / "cluster.json").read_text())
    entries = list(document["nodes"].values()) + [document["proxy"]]
    return [(int(entry["pid"]), int(entry["startTime"])) for entry in entries if entry.get("pid")]


def test_a_script_that_fails_leaves_no_process_behind(tmp_path):
    """An exception escapes the script without close(): the interpreter's exit still stops every process."""
    script = textwrap.dedent(f"""
        import outpost
        live = outpost.LiveCluster(outpost.tree(2, 1), directory={str(tmp_path / 'c')!r}, keep=True)
        print(live.directory, flush=True)
        live.node("node1").crash()
        live.node("node1").restart()          # a process of this interpreter's own
        raise RuntimeError("the scenario failed")
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and "the scenario failed" in run.stderr, run.stderr
    cluster_dir = run.stdout.strip().splitlines()[0]
    recorded = processes(cluster_dir)
    assert len(recorded) == 4                 # proxy, cloud, node1 (restarted), node1n1
    assert not [pid for pid, start in recorded if alive(pid, start)]
    assert json.loads((pathlib.Path(cluster_dir) / "cluster.json").read_text())["state"] == "down"


def test_crash_restart_pause_and_close(tmp_path):
    with outpost.LiveCluster(outpost.tree(1, 1), directory=tmp_path / "c", keep=True) as live:
        before = processes(live.directory)
        live.node("node1").crash()
        status = live.node("node1").status()
        assert status["state"] == "down" and status["crashes"] == 1 and not status["ready"]
        assert live.node("node1").metrics() == {}
        live.node("node1").restart()
        after = processes(live.directory)
        assert after != before and len(after) == len(before)    # the new pid is in cluster.json
        live.node("node1").restart()                            # running: nothing to do
        assert processes(live.directory) == after
        live.node("node1").pause()
        assert live.node("node1").status()["paused"]
        verdict = live.converge(0.3)
        assert not verdict and "node1" in verdict.nodes and "paused" in verdict.why, verdict.why
        live.node("node1").resume()
        live.cloud.push("apps/x", "v1")
        live.converge("30s").check()
        assert any(key.startswith("outpost_sync_rounds_total") for key in live.node("node1").metrics())
    assert live.closed
    assert not [pid for pid, start in processes(tmp_path / "c" / "cluster") if alive(pid, start)]
    # Closed is closed: a restart once started a process nothing stopped any more.
    for after_close in (lambda: live.node("node1").restart(), lambda: live.heal_all(), lambda: live.node("node1").status(),
                        lambda: live.cloud.tags("apps/x")):
        with pytest.raises(outpost.LiveClusterError, match="closed"):
            after_close()
    assert not [pid for pid, start in processes(tmp_path / "c" / "cluster") if alive(pid, start)]


def test_cuts_and_toxics_need_links_no_other_node_uses():
    """Two children of the cloud share its content link, two children of node1 node1's front link: one child alone
    cannot be cut or shaped, all the children of a parent together can."""
    with outpost.LiveCluster(outpost.tree(2, 2)) as live:
        for attempt in (lambda: live.link("node1").down(), lambda: live.link("node1n1").down(),
                        lambda: live.link("node2n2").add_toxic("latency", latency=50),
                        lambda: live.partition(["node1n1"])):
            with pytest.raises(outpost.FaultNotSupported, match="proxy link"):
                attempt()
        assert not live.link("node1n1").is_down
        with live.partition(["node1n1", "node1n2"]):            # node1's front link, down for both at once
            live.cloud.push("apps/cut", "v1")
            assert live.run_until(lambda: live.node("node1").has("apps/cut", "v1"), 10)
            live.run_for(1.0)
            assert not live.node("node1n1").has("apps/cut", "v1")
        live.partition(["cloud"]).heal()                         # every child of the cloud cut, then healed
        live.converge("60s").check()


def test_a_down_toxic_switches_the_link_off_until_it_is_removed():
    """`add_toxic("down")` means what it means in the simulator: the link cut under the toxic's name (the proxy has
    no such toxic), listed among the link's toxics, and back when removed; a cut of the same link by another reason
    keeps it down."""
    with outpost.LiveCluster(outpost.tree(2, 1)) as live:
        link = live.link("node1n1")
        assert link.add_toxic("down", name="outage") == "outage"
        assert not live.proxy.link("node1")["enabled"]           # node1's front link: node1n1 its only user
        assert link.toxics() == [{"name": "outage", "type": "down", "stream": "both", "toxicity": 1.0}]
        live.cloud.push("apps/cut", "v1")
        assert live.run_until(lambda: live.node("node1").has("apps/cut", "v1"), 10)
        live.run_for(1.0)
        assert not live.node("node1n1").has("apps/cut", "v1")
        link.down()
        assert link.remove_toxic("outage") and not link.remove_toxic("outage")
        assert link.toxics() == [] and not live.proxy.link("node1")["enabled"]   # the down() still holds it
        link.up()
        assert live.proxy.link("node1")["enabled"]
        live.converge("60s").check()


def test_fault_steps_are_checked_before_they_apply():
    with outpost.LiveCluster(outpost.tree(1, 1)) as live:
        with pytest.raises(outpost.ScenarioError, match=r"^step\.target: 'nope'"):
            live.apply_fault({"action": "crash", "target": "nope"})
        with pytest.raises(outpost.ScenarioError, match=r"^step\.action"):
            live.apply_fault({"action": "explode", "target": "node1"})
        with pytest.raises(outpost.ScenarioError, match=r"^step\.for"):
            live.apply_fault({"action": "restart", "target": "node1", "for": "1s"})
        for step in ({"action": "clock-skew", "target": "node1", "attributes": {"skew": "1m"}},
                     {"action": "jam", "target": "node1"},
                     {"action": "partition", "target": "node1", "direction": "one-way"}):
            with pytest.raises(outpost.FaultNotSupported):
                live.apply_fault(step)
        # A toxic step's name and toxicity are read as the simulator reads them: an empty name once became the
        # default one, and this `down` cut the link.
        with pytest.raises(outpost.ScenarioError, match=r"^step\.toxic\.name"):
            live.apply_fault({"action": "toxic", "target": "node1", "toxic": {"type": "down", "name": ""}})
        with pytest.raises(outpost.ScenarioError, match=r"^step\.toxic\.name: .* other than \. and \.\.$"):
            live.apply_fault({"action": "toxic", "target": "node1", "toxic": {"type": "down", "name": ".."}})
        with pytest.raises(outpost.ScenarioError, match=r"^step\.toxic\.toxicity"):
            live.apply_fault({"action": "toxic", "target": "node1", "toxic": {"type": "latency", "toxicity": 2}})
        assert live.link("node1").toxics() == [] and not live.link("node1").is_down
        for method in (live.node("node1").fill_disk, live.node("node1").free_disk, live.node("node1").fill_disk):
            with pytest.raises(outpost.FaultNotSupported, match="disk"):  # the node's methods refuse as the step does
                method()
        # Windows of seconds, each check a second or more from an edge: a machine slow by a few hundred milliseconds
        # must not move a check to the other side of one.
        live.apply_fault({"action": "pause", "target": "node1", "at": "1s", "for": "2s"})
        assert not live.node("node1").status()["paused"]         # not yet: it fires while the cluster waits
        live.run_for(2.0)
        assert live.node("node1").status()["paused"]
        live.run_for(2.0)
        assert not live.node("node1").status()["paused"]
        live.apply_fault({"action": "toxic", "target": "node1", "toxic": {"type": "down"}, "for": "5s"})
        live.cloud.push("apps/late", "v1")
        assert not live.converge(1.0)
        live.converge("60s").check()                             # the `for` ended the cut meanwhile
        # A named down, then a remove-toxic step naming it: the same cut as Link.add_toxic's, undone by its name.
        switched_off = lambda: sorted(name for name, link in live.proxy.call("GET", "/proxies").items()  # noqa: E731
                                      if not link["enabled"])
        live.apply_fault({"action": "toxic", "target": "node1", "toxic": {"type": "down", "name": "outage"}})
        assert switched_off() == ["cloud", "cloud-data.node1"]    # node1's uplink: gateway and content links
        live.apply_fault({"action": "remove-toxic", "target": "node1", "toxic": {"name": "outage"}})
        assert switched_off() == [] and live.link("node1").toxics() == []
        # A heal step ends the link steps' `for` with their faults: a new cut is not lifted by an older step's end.
        live.apply_fault({"action": "link-down", "target": "node1", "for": "2s"})
        live.apply_fault({"action": "heal"})
        live.link("node1").down()
        live.run_for(3.0)
        assert live.link("node1").is_down
        live.link("node1").up()
        # A side with no node (or every node) is refused, as the simulator refuses it: its end healed every link.
        with pytest.raises(outpost.ScenarioError, match=r"^step\.groups"):
            live.apply_fault({"action": "partition", "groups": [[], list(live.names)], "for": "1s"})


def test_link_shapes_are_toxics_on_the_proxy():
    topology = outpost.tree(1, 1).set_default_link(latency="20ms")
    with outpost.LiveCluster(topology) as live:
        shaped = live.proxy.toxics("cloud")
        assert sorted(toxic["name"] for toxic in shaped) == ["outpost-link-latency-downstream",
                                                              "outpost-link-latency-upstream"]
        assert all(toxic["attributes"]["latency"] == 20 for toxic in shaped)
        assert live.link("node1").toxics() == []                # the topology's, not the scenario's
        with pytest.raises(ValueError, match="toxic"):
            live.link("node1").add_toxic("latency", name="bad", latency=-5)
        live.heal_all()                                          # the proxy reset, the shapes applied again
        assert live.link("node1").toxics() == [] and len(live.proxy.toxics("cloud")) == 2
        live.cloud.push("apps/shaped", "v1")
        live.converge("30s").check()
    with pytest.raises(outpost.FaultNotSupported, match="nics"):
        outpost.LiveCluster(outpost.tree(1, 1).set_nic("node1", "10Mbit/s"))


def test_link_bandwidth_is_the_proxy_links_own_rate():
    # Two children of the cloud: each has a gateway link of its own and shares the cloud's content link.
    topology = outpost.tree(1, 2).set_default_link(bandwidth=1_000_000)
    with outpost.LiveCluster(topology) as live:
        own = live.proxy.link("cloud-data.node1")
        assert own["bandwidth"] == {"upstream": 1_000_000, "downstream": 1_000_000}   # shared by its connections
        assert own["toxics"] == []                                                  # not a per-connection toxic
        # The shared link stands for both children's links: their sum, and no connection above one child's link.
        shared = live.proxy.link("cloud")
        assert shared["bandwidth"] == {"upstream": 2_000_000, "downstream": 2_000_000}
        assert sorted((toxic["type"], toxic["stream"], toxic["attributes"]["rate_bytes"])
                      for toxic in shared["toxics"]) == [("bandwidth", "downstream", 1_000_000),
                                                         ("bandwidth", "upstream", 1_000_000)]
        assert live.link("node1").toxics() == []                                    # the topology's shape, hidden
        live.heal_all()                                                              # the proxy's reset keeps it
        assert live.proxy.link("cloud-data.node2")["bandwidth"]["downstream"] == 1_000_000
        assert len(live.proxy.toxics("cloud")) == 2


def test_a_start_that_fails_says_why_and_cleans_up(tmp_path, monkeypatch):
    with pytest.raises(outpost.LiveClusterError, match="no outpost executable"):
        outpost.LiveCluster(outpost.tree(1, 1), binary=str(tmp_path / "missing"))
    monkeypatch.setenv("OUTPOST_BIN", str(tmp_path / "missing"))
    with pytest.raises(outpost.LiveClusterError):
        find_binary()
    assert not os.listdir(tmp_path)


def test_a_start_that_fails_keeps_the_logs_its_error_names(tmp_path):
    """`cluster up` fails after its processes wrote their logs: the error names the log directory, which is still
    there to read, though the cluster was not asked to be kept."""
    stand_in = tmp_path / "outpost"
    stand_in.write_text('#!/bin/sh\n'                       # cluster up TOPOLOGY --dir DIR ...
                        'mkdir -p "$5/logs" && echo "bind: address already in use" > "$5/logs/cloud.log"\n'
                        'echo "cloud did not start: see its log" >&2; exit 1\n')
    stand_in.chmod(0o755)
    directory = tmp_path / "cluster-home"
    with pytest.raises(outpost.LiveClusterError, match="cloud did not start") as raised:
        outpost.LiveCluster(outpost.tree(1, 1), binary=str(stand_in), directory=str(directory))
    logs = directory / "cluster" / "logs"
    assert str(logs) in str(raised.value)
    assert (logs / "cloud.log").read_text() == "bind: address already in use\n"


def test_a_start_in_the_directory_of_a_running_cluster_leaves_that_cluster_alone(tmp_path):
    """The failed start's cleanup once ran `cluster down` on the directory it was given: the cluster living there
    stopped, its topology.json overwritten, and the error said to remove its directory."""
    directory = tmp_path / "shared"
    with outpost.LiveCluster(outpost.tree(1, 1), directory=directory) as live:
        live.cloud.push("apps/a", "v1")
        started = (directory / "topology.json").read_text()
        recorded = processes(live.directory)
        with pytest.raises(outpost.LiveClusterError, match="is not empty: a cluster was started there") as refused:
            outpost.LiveCluster(outpost.tree(2, 1), directory=directory)
        assert f"remove {directory} when done" not in str(refused.value)
        assert all(alive(pid, start) for pid, start in recorded)
        assert (directory / "topology.json").read_text() == started
        assert live.cloud.tags("apps/a") == ["v1"]
    assert not directory.exists()                            # closed by its owner, which did not keep it


@pytest.mark.parametrize("timeout", [0, -1, float("nan"), float("inf"), "5", True, 86_401])
def test_start_timeout_is_a_number_of_seconds_above_zero(tmp_path, timeout):
    # A negative or zero timeout was raised to one second without a word.
    with pytest.raises(ValueError, match="start_timeout"):
        outpost.LiveCluster(outpost.tree(1, 1), directory=tmp_path / "c", start_timeout=timeout)
    assert not (tmp_path / "c").exists()                     # refused before anything was written


@pytest.mark.parametrize("timeout, whole", [(0.05, "1"), (1.5, "2"), (3, "3")])
def test_start_timeout_reaches_cluster_up_rounded_up_to_its_whole_seconds(tmp_path, timeout, whole):
    # 1.5 s once gave `cluster up` 1 s, less than asked.
    stand_in = tmp_path / "outpost"
    stand_in.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$(dirname "$0")/arguments"\nexit 1\n')
    stand_in.chmod(0o755)
    with pytest.raises(outpost.LiveClusterError):
        outpost.LiveCluster(outpost.tree(1, 1), binary=str(stand_in), directory=tmp_path / "c",
                            start_timeout=timeout)
    arguments = (tmp_path / "arguments").read_text().splitlines()
    assert arguments[arguments.index("--timeout") + 1] == whole


def test_a_sanitizer_build_says_so_in_its_version_line(tmp_path):
    """Checks that compare live timings with the model skip that comparison against a sanitizer build: the binary
    must say what it is, and a plain build must not claim to be one."""
    assert sanitizer(find_binary()) in (None, "ThreadSanitizer", "AddressSanitizer")
    stand_in = tmp_path / "outpost"
    stand_in.write_text("#!/bin/sh\necho 'outpost 0.1.0 (built with ThreadSanitizer)'\n")
    stand_in.chmod(0o755)
    assert sanitizer(str(stand_in)) == "ThreadSanitizer"
    stand_in.write_text("#!/bin/sh\necho 'outpost 0.1.0'\n")
    assert sanitizer(str(stand_in)) is None


def test_converge_follows_a_scope_changed_during_the_run():
    """A repository added by `permissions` is expected at the node (the harness's reader once could not read it, and
    the check judged by the topology's repositories); one removed is not."""
    with outpost.LiveCluster(outpost.tree(1, 1)) as live:
        live.connected_registries.permissions("node1", remove=["apps/*"], add=["other/*"])
        live.cloud.push("other/c", "v1")
        live.cloud.push("apps/b", "v1")
        live.converge("60s").check()
        assert live.node("node1").client("node1-live").has("other/c", "v1")
